/// Who makes an administrative change, for the audit trail and for the permission each admin use
/// case checks: the holder of a verified token (`TokenAuthority.actor(accessToken:…)`), or an operator
/// at the command line (`Actor.localOperator`). Only AuthCore makes one, so no front end can hand
/// the admin use cases an actor it did not authorize.
public struct Actor: Hashable, Sendable {
    public var id: Int64?
    public var name: String
    /// Client address, or `local` for the command line.
    public var source: String
    /// The roles of the token that acts; nil for an operator at the command line (who has the
    /// database's credentials, so nothing to escalate to).
    public var roles: [String]?

    init(id: Int64?, name: String, source: String, roles: [String]? = nil) {
        self.id = id
        self.name = name
        self.source = source
        self.roles = roles
    }

    /// A process holding the database's credentials (`authctl`): nothing to escalate to, so every
    /// permission. Audited as `authctl:<login>` from `local`.
    public static func localOperator(_ login: String) -> Actor {
        Actor(id: nil, name: "authctl:\(login.prefix(64))", source: "local")
    }

    /// Whoever accepted an invitation of `inviter`'s: audited as `invitation:<inviter>`, the
    /// inviter's authority carried by the link.
    public static func invitee(of inviter: String) -> Actor {
        Actor(id: nil, name: "invitation:\(inviter.prefix(96))", source: "link")
    }
}

/// Which users a listing returns. Every field narrows; nil means any.
public struct UserFilter: Hashable, Sendable {
    public var role: String?
    public var disabled: Bool?
    /// Case-insensitive prefix of the username.
    public var usernamePrefix: String?
    /// A name of `ImportedHash.names` (`scrypt` is authd's own), or `imported` for every hash a
    /// login has yet to replace.
    public var hashScheme: String?

    /// `hashScheme`'s value for any scheme but authd's own.
    public static let importedSchemes = "imported"

    public init(role: String? = nil, disabled: Bool? = nil, usernamePrefix: String? = nil, hashScheme: String? = nil) {
        self.role = role
        self.disabled = disabled
        self.usernamePrefix = usernamePrefix
        self.hashScheme = hashScheme
    }
}

/// An administrative edit of one account; nil fields stay as they are.
public struct UserChange: Hashable, Sendable {
    public var roles: [String]?
    public var disabled: Bool?
    public var email: String?
    /// An administrator vouching for the address (or withdrawing that); a new address is
    /// unverified unless the same change says otherwise.
    public var emailVerified: Bool?
    /// Set by `AdminService` when mail verifies addresses: a new address is sent a verification
    /// request, and the old one a notice, from the change's transaction.
    var verification = false

    public init(roles: [String]? = nil, disabled: Bool? = nil, email: String? = nil, emailVerified: Bool? = nil) {
        self.roles = roles
        self.disabled = disabled
        self.email = email
        self.emailVerified = emailVerified
    }

    public var isEmpty: Bool { roles == nil && disabled == nil && email == nil && emailVerified == nil }
}

/// One row of the audit trail. `details` never holds a password, token or secret.
public struct AuditEntry: Hashable, Sendable {
    public var id: Int64
    /// Unix seconds.
    public var at: Int64
    public var actorID: Int64?
    public var actor: String
    public var source: String
    public var action: String
    public var target: String
    public var details: [String: String]

    public init(
        id: Int64, at: Int64, actorID: Int64?, actor: String, source: String, action: String, target: String,
        details: [String: String]
    ) {
        self.id = id
        self.at = at
        self.actorID = actorID
        self.actor = actor
        self.source = source
        self.action = action
        self.target = target
        self.details = details
    }
}

/// Users, roles and permissions as administrators change them. Every change is one transaction
/// together with its audit row, so a change and its record stand or fall together. Errors:
/// `notFound`, `unknownRole`, `lastAdmin`, `emailTaken`, `roleExists`, `roleInUse`, `builtinRole`.
public protocol DirectoryStore: Sendable {
    /// Users in ascending id order with id > `after`, at most `limit`.
    func users(matching filter: UserFilter, after: Int64?, limit: Int) async throws -> [User]
    /// Creates an account with the given roles, audited.
    func create(_ user: NewUser, by actor: Actor) async throws -> User
    /// Applies the change; a change of roles or a disable also refuses the user's existing tokens.
    func update(userID: Int64, _ change: UserChange, by actor: Actor) async throws -> Changed<User>
    /// Deletes the account and refuses its tokens.
    func delete(userID: Int64, by actor: Actor) async throws -> Changed<Void>
    /// Refuses every token issued to the user until now.
    func revokeTokens(userID: Int64, by actor: Actor) async throws -> Changed<Void>

    func roles() async throws -> [RoleInfo]
    func role(named name: String) async throws -> RoleInfo?
    func create(_ role: RoleInfo, by actor: Actor) async throws -> RoleInfo
    func deleteRole(named name: String, by actor: Actor) async throws
    func grant(_ permission: String, to role: String, by actor: Actor) async throws -> RoleInfo
    func revoke(_ permission: String, from role: String, by actor: Actor) async throws -> RoleInfo

    /// Newest first, id < `before`, at most `limit`.
    func auditEntries(before: Int64?, limit: Int) async throws -> [AuditEntry]

    /// Stores the invitation (`tokenHash`, valid `lifetime` seconds) with `messages` for the
    /// outbox, audited, in one transaction; `emailTaken` when an account has the address, and
    /// `unknownRole` for a role that does not exist.
    func invite(
        _ invitation: Invitation, tokenHash: String, lifetime: Int64, messages: [OutboxMessage], by actor: Actor)
        async throws
    /// The invitation `tokenHash` while it is unused and unexpired; nil otherwise.
    func invitation(tokenHash: String) async throws -> Invitation?
    /// Uses the invitation `tokenHash` (unused, unexpired) to create `user` with its address and
    /// roles, the address verified, audited as the inviter's; nil when the token is not valid.
    func acceptInvitation(tokenHash: String, username: String, passwordHash: String) async throws -> User?
}

/// An address invited to make an account with these roles.
public struct Invitation: Hashable, Sendable {
    public var email: String
    public var roles: [String]

    public init(email: String, roles: [String]) {
        self.email = email
        self.roles = roles
    }
}
