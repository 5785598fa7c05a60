import AuthCrypto

/// One account as an export describes it (README, "Moving to authd"), before any validation. The
/// readers in AuthImport make these from the seed app's database, CSV, JSON lines, shadow and
/// htpasswd files; `line` is where it came from, for the report.
public struct ImportRecord: Hashable, Sendable {
    public var line: Int
    public var username: String
    public var email: String
    public var passwordHash: String
    /// Roles besides `user`, which every account holds.
    public var roles: [String]
    public var disabled: Bool
    /// The export says the account had MFA. Its secret cannot come along: the account is imported
    /// without MFA and reported, so the operator can ask the user to enrol again.
    public var mfa: Bool

    public init(
        line: Int, username: String, email: String, passwordHash: String, roles: [String] = [],
        disabled: Bool = false, mfa: Bool = false
    ) {
        self.line = line
        self.username = username
        self.email = email
        self.passwordHash = passwordHash
        self.roles = roles
        self.disabled = disabled
        self.mfa = mfa
    }
}

/// A row that was not imported, or a warning about one that was: a stable code, the line and a
/// sentence without the password hash.
public struct ImportNotice: Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        public static let malformedRow = Code(name: "malformed_row")
        public static let invalidUsername = Code(name: "invalid_username")
        public static let invalidEmail = Code(name: "invalid_email")
        public static let unknownHashFormat = Code(name: "unknown_hash_format")
        public static let malformedHash = Code(name: "malformed_hash")
        /// A hash asking for more memory or work than `password.imported_ceiling` allows.
        public static let hashOverCeiling = Code(name: "hash_over_ceiling")
        public static let unknownRole = Code(name: "unknown_role")
        /// The admin API: a role the importing token does not hold (nobody hands out more than
        /// they have).
        public static let roleNotHeld = Code(name: "role_not_held")
        public static let duplicateUsername = Code(name: "duplicate_username")
        public static let duplicateEmail = Code(name: "duplicate_email")
        /// A warning, not a skip: imported without MFA.
        public static let mfaWithoutSecret = Code(name: "mfa_without_secret")

        public init(name: String) { self.name = name }
    }

    public var code: Code
    public var line: Int
    /// As the row gave it (possibly invalid), at most 64 characters.
    public var username: String
    public var reason: String

    public init(_ code: Code, line: Int, username: String, _ reason: String) {
        self.code = code
        self.line = line
        self.username = String(username.unicodeScalars.prefix(64).filter { $0.value >= 0x20 && $0.value != 0x7F })
        self.reason = reason
    }

    public var description: String { "line \(line): \(code) \(username): \(reason)" }
}

/// What a reader yields for each row: a record, or the reason the row could not be read.
public typealias ImportItem = Result<ImportRecord, ImportNotice>

extension ImportNotice: Error {}

/// A validated row as the store writes it: username as given, e-mail normalised, hash parsed,
/// roles known (or to be created) and including `user`.
public struct ImportRow: Hashable, Sendable {
    public var line: Int
    public var username: String
    public var email: String
    public var passwordHash: String
    public var roles: [String]
    public var disabled: Bool
    /// The export said MFA: warned about once the row is imported.
    public var mfa: Bool

    public init(
        line: Int, username: String, email: String, passwordHash: String, roles: [String], disabled: Bool, mfa: Bool
    ) {
        self.line = line
        self.username = username
        self.email = email
        self.passwordHash = passwordHash
        self.roles = roles
        self.disabled = disabled
        self.mfa = mfa
    }
}

/// What the store did with one row.
public enum ImportOutcome: Hashable, Sendable {
    case imported
    /// An account of this username and e-mail exists already (a second run of the same import).
    case unchanged
    case usernameTaken
    case emailTaken
}

public struct ImportOptions: Hashable, Sendable {
    /// Runs every batch and rolls it back: the report says what a real run would do.
    public var dryRun: Bool
    /// Creates roles the rows name that do not exist yet (needs `roles:write`) instead of skipping
    /// the rows.
    public var createRoles: Bool
    /// Rows per transaction.
    public var batchSize: Int
    /// Batches written at once, each on its own connection: while one is in the database the next
    /// is read, checked and sent. Outcomes are still reported in file order. A failing batch can
    /// leave the one after it written; running the import again picks up where it stopped.
    public var concurrency: Int
    /// Where the rows came from, for the audit trail (`csv`, `flask`, `admin-api`…).
    public var source: String

    public init(
        dryRun: Bool = false, createRoles: Bool = false, batchSize: Int = 5000, concurrency: Int = 2, source: String
    ) {
        self.dryRun = dryRun
        self.createRoles = createRoles
        self.batchSize = batchSize
        self.concurrency = concurrency
        self.source = source
    }
}

/// The running total of one import, handed to the progress callback after every batch.
public struct ImportReport: Hashable, Sendable {
    public var read = 0
    public var imported = 0
    public var unchanged = 0
    public var skipped = 0
    public var skippedByCode: [String: Int] = [:]
    public var warnings = 0
    /// Roles created by `createRoles`.
    public var createdRoles: [String] = []
    /// The first `noticeLimit` skips and warnings, in the order they happened.
    public var notices: [ImportNotice] = []
    public static let noticeLimit = 1000

    public init() {}

    mutating func note(_ notice: ImportNotice) {
        if notice.code == .mfaWithoutSecret {
            warnings += 1
        } else {
            skipped += 1
            skippedByCode[notice.code.name, default: 0] += 1
        }
        if notices.count < Self.noticeLimit { notices.append(notice) }
    }
}

/// Bulk writes for `AdminService.importUsers`.
public protocol UserImportStore: Sendable {
    func roleNames() async throws -> Set<String>
    /// Writes one batch in one transaction with one audit row (rolled back instead when
    /// `dryRun`), creating `newRoles` first. Never replaces an account: a row whose username or
    /// e-mail exists is reported as such. One outcome per row, in order.
    func importBatch(
        _ rows: [ImportRow], creatingRoles newRoles: [String], source: String, by actor: Actor, dryRun: Bool
    ) async throws -> [ImportOutcome]
}

extension ImportOptions {
    func validate() throws {
        guard (1...50_000).contains(batchSize) else {
            throw AuthError(.invalidInput, "batch size must be 1 to 50,000 rows")
        }
        guard (1...8).contains(concurrency) else {
            throw AuthError(.invalidInput, "1 to 8 batches may be written at once")
        }
    }
}

extension ImportReport {
    /// Counts what the store did with a written batch's rows; returns a notice for each row it
    /// refused and each imported one that loses its MFA.
    mutating func record(_ written: WrittenBatch) -> [ImportNotice] {
        var notes: [ImportNotice] = []
        for (row, outcome) in zip(written.rows, written.outcomes) {
            switch outcome {
            case .imported:
                imported += 1
                if row.mfa {
                    notes.append(
                        ImportNotice(
                            .mfaWithoutSecret, line: row.line, username: row.username,
                            "had MFA; imported without it (its secret cannot come along): ask the user to enrol again"))
                }
            case .unchanged: unchanged += 1
            case .usernameTaken:
                notes.append(
                    ImportNotice(
                        .duplicateUsername, line: row.line, username: row.username,
                        "an account with this username and another e-mail address exists"))
            case .emailTaken:
                notes.append(
                    ImportNotice(
                        .duplicateEmail, line: row.line, username: row.username,
                        "another account has this e-mail address"))
            }
        }
        createdRoles += written.createdRoles
        return notes
    }
}

/// The checks one import applies row by row, and what it has seen: a later row repeating an
/// earlier one's username or e-mail (case-insensitively) is skipped as a duplicate.
struct ImportValidator {
    var knownRoles: Set<String>
    let createRoles: Bool
    let delegation: Delegation
    /// Parses each hash as a login would, and refuses one over its ceiling.
    let hasher: PasswordHasher
    var newRoles: [String] = []
    /// What earlier rows reserved, as `digest`s: a million rows' names and addresses in about
    /// 40 MiB instead of the strings' 200.
    private var usernames: Set<UInt128> = []
    private var emails: Set<UInt128> = []

    init(knownRoles: Set<String>, createRoles: Bool, delegation: Delegation, hasher: PasswordHasher) {
        self.knownRoles = knownRoles
        self.createRoles = createRoles
        self.delegation = delegation
        self.hasher = hasher
    }

    /// The row to write, or why not.
    mutating func check(_ record: ImportRecord) -> Result<ImportRow, ImportNotice> {
        let notice = { (code: ImportNotice.Code, reason: String) in
            ImportNotice(code, line: record.line, username: record.username, reason)
        }
        let username: String
        let email: String
        do {
            username = try Identity.validUsername(record.username)
        } catch {
            return .failure(notice(.invalidUsername, error.message))
        }
        do {
            email = try Identity.normalisedEmail(record.email)
        } catch {
            return .failure(notice(.invalidEmail, error.message))
        }
        do {
            _ = try hasher.scheme(ofStored: record.passwordHash)
        } catch  where error.code == .aboveCeiling {
            return .failure(notice(.hashOverCeiling, error.message))
        } catch {
            return ImportedHash.name(of: record.passwordHash) == nil
                ? .failure(notice(.unknownHashFormat, "not a password hash format authd verifies"))
                : .failure(notice(.malformedHash, error.message))
        }
        var roles = Set([Role.user])
        for role in record.roles {
            guard Identity.isRoleName(role), roles.count < 32 else {
                return .failure(notice(.unknownRole, "role \"\(role.prefix(64))\" is not a role name"))
            }
            roles.insert(role)
        }
        let sorted = roles.sorted()
        guard delegation.mayChangeRoles(from: [], to: sorted) else {
            return .failure(notice(.roleNotHeld, "gives a role the importing token does not hold"))
        }
        let missing = sorted.filter { !knownRoles.contains($0) }
        if let role = missing.first, !createRoles {
            return .failure(notice(.unknownRole, "no role \"\(role)\" (create it first, or import with create-roles)"))
        }
        let usernameKey = Self.digest(username.lowercased())
        let emailKey = Self.digest(email)
        guard !usernames.contains(usernameKey) else {
            return .failure(notice(.duplicateUsername, "an earlier row has this username"))
        }
        guard !emails.contains(emailKey) else {
            return .failure(notice(.duplicateEmail, "an earlier row has this e-mail address"))
        }
        // Only a row that is written reserves its names and creates its roles.
        usernames.insert(usernameKey)
        emails.insert(emailKey)
        knownRoles.formUnion(missing)
        newRoles += missing
        return .success(
            ImportRow(
                line: record.line, username: username, email: email, passwordHash: record.passwordHash, roles: sorted,
                disabled: record.disabled, mfa: record.mfa))
    }
}

extension ImportValidator {
    /// 128 bits of two SipHashes under the process's random key (Swift's `Hasher`), over the
    /// text prefixed 0 and 1: two different texts share a digest with a chance near 2^-128 each,
    /// so among a million rows a false "earlier row" is about 10^-27 likely, and nobody can aim
    /// for one without the key.
    static func digest(_ text: String) -> UInt128 {
        var first = Hasher()
        first.combine(UInt8(0))
        first.combine(text)
        var second = Hasher()
        second.combine(UInt8(1))
        second.combine(text)
        return UInt128(UInt64(bitPattern: Int64(first.finalize()))) << 64
            | UInt128(UInt64(bitPattern: Int64(second.finalize())))
    }
}

extension AdminService {
    /// Imports accounts with the password hashes they came with (verified at login, replaced by
    /// authd's own at the first match). Rows are checked one by one and written `batchSize` at a
    /// time, each batch one transaction; `progress` hears the running report after each, `notice`
    /// every skipped row and warning (the report keeps only the first thousand). Nothing
    /// already stored is changed, so running the same import twice imports nothing the second time.
    public func importUsers<Source: AsyncSequence>(
        _ items: Source, options: ImportOptions, by actor: Actor,
        progress: (ImportReport) -> Void = { _ in }, notice: (ImportNotice) -> Void = { _ in }
    ) async throws -> ImportReport where Source.Element == ImportItem {
        try permit(actor, Permission.usersWrite)
        if options.createRoles { try permit(actor, Permission.rolesWrite) }
        try options.validate()
        var validator = ImportValidator(
            knownRoles: try await importer.roleNames(), createRoles: options.createRoles,
            delegation: delegation(of: actor), hasher: hasher)
        var report = ImportReport()
        func note(_ item: ImportNotice) {
            report.note(item)
            notice(item)
        }
        func apply(_ written: WrittenBatch) {
            for refused in report.record(written) { note(refused) }
            progress(report)
        }

        var writer = ImportWriter(importer: importer, options: options, actor: actor)
        try await withThrowingTaskGroup(of: WrittenBatch.self) { group in
            var batch: [ImportRow] = []
            batch.reserveCapacity(options.batchSize)
            func flush() async throws {
                guard !batch.isEmpty else { return }
                let rows = batch
                batch.removeAll(keepingCapacity: true)
                let newRoles = validator.newRoles
                validator.newRoles = []
                try await writer.write(rows, creatingRoles: newRoles, in: &group, then: apply)
            }

            for try await item in items {
                report.read += 1
                switch item.flatMap({ validator.check($0) }) {
                case .failure(let skipped): note(skipped)
                case .success(let row):
                    batch.append(row)
                    if batch.count == options.batchSize { try await flush() }
                }
                if report.read % options.batchSize == 0, !batch.isEmpty { progress(report) }
            }
            try await flush()
            try await writer.settle(leaving: 0, in: &group, then: apply)
        }
        logger.notice(
            "users imported",
            metadata: [
                "actor": "\(actor.name)", "source": "\(options.source)", "imported": "\(report.imported)",
                "unchanged": "\(report.unchanged)", "skipped": "\(report.skipped)", "dry_run": "\(options.dryRun)",
            ])
        return report
    }
}
