import AuthCrypto

/// A stored account. `passwordHash` is a PHC string and never leaves AuthCore's use cases.
public struct User: Hashable, Sendable {
    public var id: Int64
    public var username: String
    public var email: String
    public var passwordHash: String
    public var roles: [String]
    public var mfaEnabled: Bool
    public var disabled: Bool
    /// Unix seconds.
    public var createdAt: Int64
    /// The owner proved the address (a link or code sent to it, or an administrator said so);
    /// false again whenever the address changes.
    public var emailVerified: Bool
    /// Access tokens issued (`iat`) before this Unix second are refused: set by a role change,
    /// disable or revoke-all.
    public var notBefore: Int64?

    public init(
        id: Int64, username: String, email: String, passwordHash: String, roles: [String],
        mfaEnabled: Bool, disabled: Bool, createdAt: Int64, emailVerified: Bool = false, notBefore: Int64? = nil
    ) {
        self.id = id
        self.username = username
        self.email = email
        self.passwordHash = passwordHash
        self.roles = roles
        self.mfaEnabled = mfaEnabled
        self.disabled = disabled
        self.createdAt = createdAt
        self.emailVerified = emailVerified
        self.notBefore = notBefore
    }

    /// The scheme of the stored hash: `scrypt` (authd's own) or an imported one a login will
    /// replace, as `users.password_scheme` tags it.
    public var passwordScheme: String { ImportedHash.name(of: passwordHash) ?? "unknown" }

    public var profile: UserProfile {
        UserProfile(
            id: id, username: username, email: email, roles: roles, mfaEnabled: mfaEnabled,
            createdAt: createdAt, emailVerified: emailVerified)
    }
}

/// What clients may see of an account.
public struct UserProfile: Hashable, Sendable {
    public var id: Int64
    public var username: String
    public var email: String
    public var roles: [String]
    public var mfaEnabled: Bool
    public var createdAt: Int64
    public var emailVerified: Bool
}
