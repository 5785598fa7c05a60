public import AuthCrypto
import Logging

/// Administration of users, roles and permissions: the use cases behind the admin API and
/// `authctl user|role`. Every use case checks the actor's permission itself (front ends may check
/// earlier, to answer 403 before reading a body), validates the input and lets the store apply
/// each change atomically with its audit row.
public struct AdminService: Sendable {
    public struct Configuration: Sendable {
        public var defaultPageSize: Int
        public var maximumPageSize: Int
        public var passwordPolicy: PasswordPolicy
        /// The scopes clients may be given (`oauth.scopes`).
        public var scopes: Set<String>
        /// What clients' ID tokens may be signed with (`JWTKeyring.idTokenAlgorithms`).
        public var idTokenAlgorithms: [JWSAlgorithm]
        /// New accounts and changed addresses are sent a verification link and code, and an old
        /// address a notice (mail is on and verifies addresses).
        public var verifyEmail: Bool
        /// Writes invitations; nil: no mail, so no invitations.
        public var mail: (any AccountMail)?
        /// Seconds an invitation's link is valid.
        public var invitationLifetime: Int64

        public init(
            defaultPageSize: Int = 50, maximumPageSize: Int = 200, passwordPolicy: PasswordPolicy = .init(),
            scopes: Set<String> = [], idTokenAlgorithms: [JWSAlgorithm] = [.rs256], verifyEmail: Bool = false,
            mail: (any AccountMail)? = nil, invitationLifetime: Int64 = 72 * 3600
        ) {
            self.verifyEmail = verifyEmail
            self.mail = mail
            self.invitationLifetime = invitationLifetime
            self.idTokenAlgorithms = idTokenAlgorithms
            self.defaultPageSize = defaultPageSize
            self.maximumPageSize = maximumPageSize
            self.passwordPolicy = passwordPolicy
            self.scopes = scopes
        }
    }

    /// One page of a listing; `nextCursor` is nil on the last page.
    public struct Page<Item: Sendable>: Sendable {
        public var items: [Item]
        public var nextCursor: String?
    }

    let configuration: Configuration
    let directory: any DirectoryStore
    let importer: any UserImportStore
    let mfa: any MFAStore
    let lockouts: any LockoutStore
    let users: any UserStore
    let clients: any ClientStore
    let hashing: HashingPool
    let hasher: PasswordHasher
    /// Changes apply here at once; other instances hear of them through their feed.
    let revocations: RevocationState
    let logger: Logger

    public init(
        configuration: Configuration = .init(), dependencies: AuthDependencies, directory: any DirectoryStore,
        importer: any UserImportStore, mfa: any MFAStore, lockouts: any LockoutStore
    ) {
        self.configuration = configuration
        self.lockouts = lockouts
        self.importer = importer
        self.revocations = dependencies.revocations
        self.directory = directory
        self.mfa = mfa
        self.users = dependencies.users
        self.clients = dependencies.clients
        self.hashing = dependencies.hashing
        self.hasher = dependencies.hasher
        self.logger = dependencies.logger
    }

    // MARK: Users

    /// Keyset pagination in id order: a user present when the listing starts appears exactly once
    /// across its pages, however many are inserted meanwhile.
    public func users(matching filter: UserFilter, cursor: String?, limit: Int?, by actor: Actor) async throws
        -> Page<User>
    {
        try permit(actor, Permission.usersRead)
        if let role = filter.role { _ = try Identity.validRoleName(role) }
        if let prefix = filter.usernamePrefix { _ = try Identity.validUsernamePrefix(prefix) }
        if let scheme = filter.hashScheme, scheme != UserFilter.importedSchemes, !ImportedHash.names.contains(scheme) {
            throw AuthError(
                .invalidInput,
                "hash scheme must be \(UserFilter.importedSchemes) or one of \(ImportedHash.names.joined(separator: ", "))"
            )
        }
        let limit = try pageSize(limit)
        let found = try await directory.users(matching: filter, after: try Cursor.decode(cursor), limit: limit + 1)
        return Page(
            items: Array(found.prefix(limit)),
            nextCursor: found.count > limit ? Cursor.encode(found[limit - 1].id) : nil)
    }

    public func user(id: Int64, by actor: Actor) async throws -> User {
        try permit(actor, Permission.usersRead)
        guard let user = try await users.find(id: id) else { throw AuthError(.notFound, "no such user") }
        return user
    }

    public func user(named username: String, by actor: Actor) async throws -> User {
        try permit(actor, Permission.usersRead)
        guard let user = try await users.find(username: username) else { throw AuthError(.notFound, "no such user") }
        return user
    }

    public func createUser(
        username: String, email: String, password: String, roles: [String], by actor: Actor
    ) async throws -> User {
        try permit(actor, Permission.usersWrite)
        let username = try Identity.validUsername(username)
        let email = try Identity.normalisedEmail(email)
        let roles = try validRoles(roles)
        guard delegation(of: actor).mayChangeRoles(from: [], to: roles) else { throw Delegation.refused }
        try await configuration.passwordPolicy.validate(password)
        let hasher = self.hasher
        let hash = try await hashing.run { try hasher.hash(Array(password.utf8)) }
        let user = try await directory.create(
            NewUser(
                username: username, email: email, passwordHash: hash, roles: roles,
                messages: configuration.verifyEmail
                    ? [EmailVerificationService.request(username: username, email: email)] : []
            ), by: actor)
        logger.notice("user created", metadata: ["user_id": "\(user.id)", "actor": "\(actor.name)"])
        return user
    }

    /// Invites `email` to make an account with `roles` (the inviter must be allowed to give them):
    /// a link is mailed; whoever opens it chooses a username and password once, before
    /// `invitationLifetime` runs out. Returns when the link expires (Unix seconds).
    public func invite(email: String, roles: [String], by actor: Actor) async throws -> Int64 {
        try permit(actor, Permission.usersWrite)
        guard let mail = configuration.mail else {
            throw AuthError(.mailUnavailable, "invitations need mail, and mail.transport is none")
        }
        let invitation = Invitation(email: try Identity.normalisedEmail(email), roles: try validRoles(roles))
        guard delegation(of: actor).mayChangeRoles(from: [], to: invitation.roles) else { throw Delegation.refused }
        let token = Base64.url.encode(try SecureRandom.bytes(32))
        let lifetime = configuration.invitationLifetime
        try await directory.invite(
            invitation, tokenHash: try Digest.sha256Hex(Array(token.utf8)), lifetime: lifetime,
            messages: [try mail.invitation(to: invitation.email, token: token, lifetime: lifetime)], by: actor)
        logger.notice("invitation sent", metadata: ["actor": "\(actor.name)"])
        return UnixTime.now() + lifetime
    }

    /// Makes the invited account: the link's `token` is the authority (no actor), good once. The
    /// username and password follow the registration's rules; the address is the invitation's,
    /// verified (the invitee read the mail).
    public func acceptInvitation(token: String, username: String, password: String) async throws -> User {
        let invalid = AuthError(.invalidInvitation, "the invitation is unknown, used or expired")
        guard Identity.isBase64URL(token, lengths: 43...43) else { throw invalid }
        let username = try Identity.validUsername(username)
        let tokenHash = try Digest.sha256Hex(Array(token.utf8))
        // Checked before the password is hashed: without a live invitation a request costs no scrypt.
        guard try await directory.invitation(tokenHash: tokenHash) != nil else { throw invalid }
        try await configuration.passwordPolicy.validate(password)
        let hasher = self.hasher
        let hash = try await hashing.run { try hasher.hash(Array(password.utf8)) }
        guard
            let user = try await directory.acceptInvitation(
                tokenHash: tokenHash, username: username, passwordHash: hash)
        else { throw invalid }
        logger.notice("invitation accepted", metadata: ["user_id": "\(user.id)"])
        return user
    }

    public func update(userID: Int64, _ change: UserChange, by actor: Actor) async throws -> User {
        try permit(actor, Permission.usersWrite)
        guard !change.isEmpty else {
            throw AuthError(.invalidInput, "nothing to change: give roles, disabled, email or email_verified")
        }
        var change = change
        if let roles = change.roles { change.roles = try validRoles(roles) }
        if let email = change.email { change.email = try Identity.normalisedEmail(email) }
        change.verification = configuration.verifyEmail
        try await authorize(actor, managing: userID, giving: change.roles)
        let changed = try await directory.update(userID: userID, change, by: actor)
        revocations.apply(changed.revocations)
        logger.notice("user changed", metadata: ["user_id": "\(userID)", "actor": "\(actor.name)"])
        return changed.value
    }

    public func delete(userID: Int64, by actor: Actor) async throws {
        try permit(actor, Permission.usersWrite)
        try await authorize(actor, managing: userID)
        revocations.apply(try await directory.delete(userID: userID, by: actor).revocations)
        logger.notice("user deleted", metadata: ["user_id": "\(userID)", "actor": "\(actor.name)"])
    }

    public func revokeTokens(userID: Int64, by actor: Actor) async throws {
        try permit(actor, Permission.sessionsRevoke)
        try await authorize(actor, managing: userID)
        revocations.apply(try await directory.revokeTokens(userID: userID, by: actor).revocations)
        logger.notice("user's tokens revoked", metadata: ["user_id": "\(userID)", "actor": "\(actor.name)"])
    }

    /// Clears the account's lockout counters on every instance, for every client address
    /// (`authctl user unlock`), audited. A name without an account is unlocked too: the counters of
    /// names tried against the lockout module exist whether or not the account does.
    public func unlock(username: String, by actor: Actor) async throws {
        try permit(actor, Permission.usersWrite)
        if let user = try await users.find(username: username) { try await authorize(actor, managing: user.id) }
        try await lockouts.unlock(username: username, by: actor)
        logger.notice("account unlocked", metadata: ["username": "\(username)", "actor": "\(actor.name)"])
    }

    /// Removes the user's TOTP enrolment and recovery codes (a lost phone), audited; the user logs
    /// in with the password alone until enrolling again. `mfaNotEnabled` when there was none.
    public func resetMFA(userID: Int64, by actor: Actor) async throws {
        try permit(actor, Permission.usersWrite)
        try await authorize(actor, managing: userID)
        guard try await mfa.remove(userID: userID, by: actor) else {
            throw AuthError(.mfaNotEnabled, "this user has no MFA enrolment")
        }
        logger.notice("user's MFA reset", metadata: ["user_id": "\(userID)", "actor": "\(actor.name)"])
    }

    /// Every use case checks its permission here, whatever the front end checked before.
    func permit(_ actor: Actor, _ permission: String) throws(AuthError) {
        guard let roles = actor.roles, !revocations.permissions(of: roles).contains(permission) else { return }
        throw AuthError(.forbidden, "this token lacks the role or permission the request needs")
    }

    /// What `actor` may hand out: its token's roles and what they grant now.
    func delegation(of actor: Actor) -> Delegation {
        Delegation(roles: actor.roles, permissions: actor.roles.map { revocations.permissions(of: $0) } ?? [])
    }

    /// Refuses a change to an account holding roles the actor does not, or one that gives or takes
    /// such a role. Checked before the change: an administrator changing the same account's roles
    /// at the same instant could slip between (the change itself is still atomic).
    private func authorize(_ actor: Actor, managing userID: Int64, giving roles: [String]? = nil) async throws {
        guard actor.roles != nil else { return }
        guard let target = try await users.find(id: userID) else { throw AuthError(.notFound, "no such user") }
        let delegation = delegation(of: actor)
        guard delegation.mayManage(accountWith: target.roles),
            roles.map({ delegation.mayChangeRoles(from: target.roles, to: $0) }) ?? true
        else { throw Delegation.refused }
    }

    /// 1…32 distinct, well-formed role names, sorted.
    private func validRoles(_ roles: [String]) throws -> [String] {
        guard (1...32).contains(roles.count) else { throw AuthError(.invalidInput, "give 1 to 32 roles") }
        return Set(try roles.map { try Identity.validRoleName($0) }).sorted()
    }

    // MARK: Roles

    public func roles(by actor: Actor) async throws -> [RoleInfo] {
        try permit(actor, Permission.rolesRead)
        return try await directory.roles()
    }

    public func role(named name: String, by actor: Actor) async throws -> RoleInfo {
        try permit(actor, Permission.rolesRead)
        guard let role = try await directory.role(named: try Identity.validRoleName(name)) else {
            throw AuthError(.notFound, "no such role")
        }
        return role
    }

    public func createRole(
        name: String, description: String, permissions: [String], by actor: Actor
    ) async throws -> RoleInfo {
        try permit(actor, Permission.rolesWrite)
        guard description.unicodeScalars.count <= 256, !description.utf8.contains(0) else {
            throw AuthError(.invalidInput, "description is at most 256 characters, without NUL")
        }
        guard permissions.count <= 64 else { throw AuthError(.invalidInput, "at most 64 permissions per role") }
        let role = RoleInfo(
            name: try Identity.validRoleName(name), description: description,
            permissions: Set(try permissions.map { try Identity.validPermission($0) }).sorted())
        guard delegation(of: actor).mayGrant(role.permissions) else { throw Delegation.refused }
        return applied(try await directory.create(role, by: actor))
    }

    public func deleteRole(named name: String, by actor: Actor) async throws {
        try permit(actor, Permission.rolesWrite)
        let name = try Identity.validRoleName(name)
        try await directory.deleteRole(named: name, by: actor)
        revocations.setPermissions(nil, of: name)
    }

    public func grant(_ permission: String, to role: String, by actor: Actor) async throws -> RoleInfo {
        try permit(actor, Permission.rolesWrite)
        guard delegation(of: actor).mayGrant([permission]) else { throw Delegation.refused }
        let permission = try Identity.validPermission(permission)
        let role = try Identity.validRoleName(role)
        try AdminInvariants.checkPermissionsEditable(of: role)
        return applied(try await directory.grant(permission, to: role, by: actor))
    }

    public func revoke(_ permission: String, from role: String, by actor: Actor) async throws -> RoleInfo {
        try permit(actor, Permission.rolesWrite)
        let permission = try Identity.validPermission(permission)
        let role = try Identity.validRoleName(role)
        try AdminInvariants.checkPermissionsEditable(of: role)
        return applied(try await directory.revoke(permission, from: role, by: actor))
    }

    /// A role's permissions as now stored take effect here at once.
    private func applied(_ role: RoleInfo) -> RoleInfo {
        revocations.setPermissions(role.permissions, of: role.name)
        return role
    }

    // MARK: Audit

    /// Newest first.
    public func auditEntries(cursor: String?, limit: Int?, by actor: Actor) async throws -> Page<AuditEntry> {
        try permit(actor, Permission.auditRead)
        let limit = try pageSize(limit)
        let found = try await directory.auditEntries(before: try Cursor.decode(cursor), limit: limit + 1)
        return Page(
            items: Array(found.prefix(limit)),
            nextCursor: found.count > limit ? Cursor.encode(found[limit - 1].id) : nil)
    }

    private func pageSize(_ limit: Int?) throws -> Int {
        guard let limit else { return configuration.defaultPageSize }
        guard (1...configuration.maximumPageSize).contains(limit) else {
            throw AuthError(.invalidInput, "limit must be 1 to \(configuration.maximumPageSize)")
        }
        return limit
    }
}

/// Page cursors: the last id of the previous page, in decimal. Clients should pass on
/// `next_cursor` as they got it; any positive id is a valid position to continue after.
enum Cursor {
    static func encode(_ id: Int64) -> String { String(id) }

    static func decode(_ cursor: String?) throws -> Int64? {
        guard let cursor else { return nil }
        guard (1...18).contains(cursor.utf8.count), cursor.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let id = Int64(cursor), id > 0
        else { throw AuthError(.invalidInput, "cursor must be a next_cursor this API returned") }
        return id
    }
}
