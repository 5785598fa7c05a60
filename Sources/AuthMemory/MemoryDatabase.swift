public import AuthCore
import AuthCrypto
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Every store in memory, for the route, portal and protocol tests that need no PostgreSQL: one
/// set of tables under one lock, so each method is one transaction as the PostgreSQL store's is,
/// with the same constraints (unique names and e-mails, foreign keys and their cascades) and the
/// same answers. `Tests/AuthMemoryTests`' contract suite runs the same cases against both, so the
/// two cannot drift. One instance only: there is no feed, so it is no model of two daemons.
public final class MemoryDatabase: Sendable {
    let tables: Mutex<Tables>
    let retention: RetentionPolicy
    /// Unix milliseconds: the database's clock.
    let clock: @Sendable () -> Int64

    public init(retention: RetentionPolicy, clock: @escaping @Sendable () -> Int64 = MemoryDatabase.milliseconds) {
        self.retention = retention
        self.clock = clock
        tables = Mutex(Tables())
    }

    /// The system clock in Unix milliseconds.
    public static func milliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// This database as every store of `Stores`.
    public var stores: Stores {
        Stores(
            users: self, sessions: self, clients: self, codes: self, lockouts: self, directory: self, importer: self,
            mfa: self, portal: self, outbox: self, accountTokens: self, proofReplays: self,
            passkeys: self)
    }

    /// Loads `state` with the revocations in force and every role's permissions, and marks it
    /// current, as `PostgresPool.loadRevocations(into:)` does.
    public func loadRevocations(into state: RevocationState) {
        let (revocations, permissions) = transaction { tables, now in
            (
                tables.revocations.values.filter { $0.expiresAt * 1000 > now },
                tables.roles.mapValues(\.permissions)
            )
        }
        state.replaceAll(Array(revocations), permissions: permissions)
        state.feedConnected()
    }

    /// Runs `body` on the tables under the lock, with the time it runs at (Unix milliseconds). A
    /// throw leaves the tables as they were: the body works on a copy that replaces them on return.
    func transaction<T>(_ body: (inout Tables, Int64) throws -> T) rethrows -> T {
        let now = clock()
        return try tables.withLock { tables in
            var copy = tables
            let result = try body(&copy, now)
            tables = copy
            return result
        }
    }
}

/// The rows, as the migrations in sql/ define them.
struct Tables {
    struct UserRow {
        var id: Int64
        var username: String
        var email: String
        var passwordHash: String
        var roles: Set<String>
        var mfaEnabled = false
        var disabled = false
        var createdAt: Int64
        var emailVerified = false
        /// Unix seconds.
        var notBefore: Int64?

        var user: User {
            User(
                id: id, username: username, email: email, passwordHash: passwordHash, roles: roles.sorted(),
                mfaEnabled: mfaEnabled, disabled: disabled, createdAt: createdAt, emailVerified: emailVerified,
                notBefore: notBefore)
        }
    }

    struct RoleRow {
        var description: String
        var builtin: Bool
        var permissions: Set<String>
    }

    struct SessionRow {
        var id: String
        var userID: Int64
        var createdAt: Int64
        /// Unix milliseconds, as the refresh rules read them.
        var lastUsedAt: Int64
        var expiresAt: Int64
        var clientAddress: String
        var userAgent: String
        var refreshCount = 0
        var clientID: String?
        var scope: String?
        var parentID: String?
        var proofKey: String?
        var tokenHash: String
        var previousHash: String?
        var rotatedAt: Int64?
        var gracePair: [UInt8]?
        var revokedAt: Int64?

        func isLive(at now: Int64) -> Bool { revokedAt == nil && expiresAt > now }

        var session: Session {
            Session(
                id: id, userID: userID, createdAt: createdAt / 1000, lastUsedAt: lastUsedAt / 1000,
                expiresAt: expiresAt / 1000, clientAddress: clientAddress, userAgent: userAgent,
                refreshCount: refreshCount, clientID: clientID, scope: scope, proofKey: proofKey)
        }
    }

    struct ClientRow {
        var client: OAuthClient
        var secretHash: String?
    }

    struct CodeRow {
        var grant: AuthorizationGrant
        var expiresAt: Int64
        var usedAt: Int64?
        var replayedAt: Int64?
        var sessionID: String?
    }

    struct DeviceRow {
        enum Status { case pending, allowed, denied, used }
        var userCode: String
        var clientID: String
        var scopes: [String]
        /// Unix milliseconds, as `now`.
        var expiresAt: Int64
        var interval: Int64
        var polledAt: Int64?
        var status = Status.pending
        var approval: DeviceApproval?
    }

    struct SSORow {
        var session: SSOSession
    }

    struct ConsentKey: Hashable {
        var userID: Int64
        var clientID: String
    }

    struct OutboxRow {
        var message: OutboxMessage
        var createdAt: Int64
        var dueAt: Int64
        var attempts = 0
        var lastError: String?
        var failedAt: Int64?
    }

    struct AccountTokenRow {
        var purpose: String
        var userID: Int64
        var createdAt: Int64
        var expiresAt: Int64
        var usedAt: Int64?
        /// Verification tokens: the address, the code's hash and the wrong codes tried.
        var email: String?
        var codeHash: String?
        var attempts = 0
    }

    struct InvitationRow {
        var invitation: Invitation
        var invitedBy: String
        var expiresAt: Int64
        var usedAt: Int64?
    }

    struct LockoutKey: Hashable {
        var username: String
        var source: String
    }

    var nextUserID: Int64 = 1
    var users: [Int64: UserRow] = [:]
    var roles: [String: RoleRow] = [
        Role.user: RoleRow(description: "every account, from registration", builtin: true, permissions: []),
        Role.admin: RoleRow(
            description: "administers users, roles and sessions", builtin: true,
            permissions: [
                Permission.usersRead, Permission.usersWrite, "roles:read", "roles:write", Permission.sessionsRevoke,
                "audit:read", "clients:read", "clients:write",
            ]),
    ]
    var sessions: [String: SessionRow] = [:]
    /// Every refresh token hash a session has had, to its session.
    var sessionTokens: [String: String] = [:]
    /// By `kind:subject`.
    var revocations: [String: Revocation] = [:]
    var nextAuditID: Int64 = 1
    var audit: [AuditEntry] = []
    var lockouts: [LockoutKey: LockoutPolicy.Counter] = [:]
    var clients: [String: ClientRow] = [:]
    var codes: [String: CodeRow] = [:]
    /// Device codes by hash.
    var devices: [String: DeviceRow] = [:]
    /// Initial access tokens by hash: expiry (ms) and uses left (nil: any number).
    var registrationTokens: [String: (expiresAt: Int64, uses: Int?)] = [:]
    /// DPoP proof hashes and when they may be forgotten (Unix milliseconds).
    var proofs: [String: Int64] = [:]
    var passkeys: [[UInt8]: Passkey] = [:]
    var passkeyChallenges: [String: PasskeyChallenge] = [:]
    /// Registration access tokens' hashes, by client id.
    var registrationHashes: [String: String] = [:]
    /// Pushed authorization requests by hash: the client, the parameters, the expiry (ms), taken.
    var pushed: [String: (clientID: String, parameters: String, expiresAt: Int64, taken: Bool)] = [:]
    var totp: [Int64: TOTPEnrolment] = [:]
    /// Per user: code hash to whether it was used.
    var recoveryCodes: [Int64: [String: Bool]] = [:]
    var usedChallenges: [String: Int64] = [:]
    var sso: [String: SSORow] = [:]
    var consents: [ConsentKey: Set<String>] = [:]
    var nextOutboxID: Int64 = 1
    var outbox: [Int64: OutboxRow] = [:]
    /// By token hash.
    var accountTokens: [String: AccountTokenRow] = [:]
    /// By token hash.
    var invitations: [String: InvitationRow] = [:]

    // MARK: Constraints

    func user(named username: String) -> UserRow? {
        users.values.first { $0.username.lowercased() == username.lowercased() }
    }

    /// Inserts the account with its roles, as `PostgresUserStore.insert`.
    mutating func insert(_ new: NewUser, disabled: Bool = false, now: Int64) throws -> User {
        if user(named: new.username) != nil { throw AuthError(.usernameTaken, "username is already taken") }
        if users.values.contains(where: { $0.email == new.email }) {
            throw AuthError(.emailTaken, "email is already registered")
        }
        guard new.roles.allSatisfy({ roles[$0] != nil }) else { throw AuthError(.unknownRole, "no such role") }
        let row = UserRow(
            id: nextUserID, username: new.username, email: new.email, passwordHash: new.passwordHash,
            roles: Set(new.roles), disabled: disabled, createdAt: now / 1000)
        nextUserID += 1
        users[row.id] = row
        enqueue(new.messages, now: now)
        return row.user
    }

    /// Removes the account and what the foreign keys cascade to.
    mutating func deleteUser(_ id: Int64) {
        users[id] = nil
        for session in sessions.values where session.userID == id { deleteSession(session.id) }
        totp[id] = nil
        recoveryCodes[id] = nil
        codes = codes.filter { $0.value.grant.userID != id }
        devices = devices.filter { $0.value.approval?.userID != id }
        sso = sso.filter { $0.value.session.userID != id }
        consents = consents.filter { $0.key.userID != id }
        accountTokens = accountTokens.filter { $0.value.userID != id }
    }

    mutating func deleteSession(_ id: String) {
        sessions[id] = nil
        sessionTokens = sessionTokens.filter { $0.value != id }
        sso = sso.filter { $0.value.session.sessionID != id }
        for (hash, code) in codes where code.sessionID == id { codes[hash]?.sessionID = nil }
    }

    mutating func deleteClient(_ id: String) {
        clients[id] = nil
        for session in sessions.values where session.clientID == id { deleteSession(session.id) }
        codes = codes.filter { $0.value.grant.clientID != id }
        devices = devices.filter { $0.value.clientID != id }
        pushed = pushed.filter { $0.value.clientID != id }
        registrationHashes[id] = nil
        consents = consents.filter { $0.key.clientID != id }
    }

    // MARK: Revocations and the audit trail

    /// Records `revocation`, keeping the later cut-off and expiry of one already there.
    @discardableResult
    mutating func record(_ revocation: Revocation) -> Revocation {
        let key = "\(revocation.kind.rawValue):\(revocation.subject)"
        if let stored = revocations[key] {
            revocations[key] = Revocation(
                kind: revocation.kind, subject: revocation.subject, cutOff: max(stored.cutOff, revocation.cutOff),
                expiresAt: max(stored.expiresAt, revocation.expiresAt))
        } else {
            revocations[key] = revocation
        }
        return revocation
    }

    /// Ends the user's live sessions but `kept`.
    mutating func endSessions(of userID: Int64, except kept: String?, retention: RetentionPolicy, now: Int64)
        -> [Revocation]
    {
        let ended = sessions.values.filter { $0.userID == userID && $0.isLive(at: now) && $0.id != kept }.map(\.id)
        return revoke(ended, retention: retention, now: now)
            + endChildren(of: ended, retention: retention, now: now)
    }

    /// Marks `ids` revoked now and records their revocations.
    mutating func revoke(_ ids: [String], retention: RetentionPolicy, now: Int64) -> [Revocation] {
        ids.sorted().map {
            sessions[$0]?.revokedAt = now
            return record(retention.revocation(.session, of: $0, at: now / 1000))
        }
    }

    /// As `PostgresRevocations.endChildren`: the sessions clients were issued in the SSO sessions
    /// `parents` end with them, and each such client with a back-channel logout URI gets a notice
    /// in the outbox.
    mutating func endChildren(of parents: [String], retention: RetentionPolicy, now: Int64) -> [Revocation] {
        let parents = Set(parents)
        let children = sessions.values.filter { $0.parentID.map(parents.contains) == true }
        let notices = Set(
            children.compactMap { child -> BackChannelLogoutNotice? in
                guard let client = child.clientID, let parent = child.parentID,
                    clients[client]?.client.logout.backChannel != nil
                else { return nil }
                return BackChannelLogoutNotice(clientID: client, userID: child.userID, ssoSessionID: parent)
            })
        enqueue(notices.sorted { ($0.sessionID, $0.clientID) < ($1.sessionID, $1.clientID) }.map(\.message), now: now)
        return revoke(children.filter { $0.isLive(at: now) }.map(\.id), retention: retention, now: now)
    }

    /// Cuts off the user's tokens, as `PostgresRevocations.cutOff`; nil without such a user.
    mutating func cutOff(_ userID: Int64, retention: RetentionPolicy, now: Int64) -> Revocation? {
        guard let user = users[userID] else { return nil }
        let notBefore = retention.notBefore(after: user.notBefore, cutOffIn: now / 1000)
        users[userID]?.notBefore = notBefore
        return record(retention.userCutOff(userID, notBefore: notBefore))
    }

    mutating func audit(_ actor: Actor, _ action: String, target: String, _ details: [String: String], now: Int64) {
        audit.append(
            AuditEntry(
                id: nextAuditID, at: now / 1000, actorID: actor.id, actor: actor.name, source: actor.source,
                action: action, target: target, details: details))
        nextAuditID += 1
    }
}
