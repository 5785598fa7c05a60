/// A new account as the store receives it: validated, normalised, password already hashed.
public struct NewUser: Hashable, Sendable {
    public var username: String
    public var email: String
    public var passwordHash: String
    public var roles: [String]
    /// Written to the outbox in the account's transaction (its address's verification request).
    public var messages: [OutboxMessage]

    public init(
        username: String, email: String, passwordHash: String, roles: [String], messages: [OutboxMessage] = []
    ) {
        self.username = username
        self.email = email
        self.passwordHash = passwordHash
        self.roles = roles
        self.messages = messages
    }
}

/// Persistent accounts. Implementations enforce uniqueness in the database and report it as
/// `usernameTaken` / `emailTaken`; an unreachable database is `unavailable`.
public protocol UserStore: Sendable {
    func create(_ user: NewUser) async throws -> User
    /// Whether an account has this username (case-insensitively) or this normalised e-mail: a
    /// cheap early answer for registration; the unique indexes stay the arbiter.
    func taken(username: String, email: String) async throws -> (username: Bool, email: Bool)
    /// Case-insensitive lookup by username.
    func find(username: String) async throws -> User?
    func find(id: Int64) async throws -> User?
    /// Replaces the hash only if it is still `old`, so a concurrent password change wins.
    /// False when the stored hash was no longer `old`.
    @discardableResult
    func replacePasswordHash(userID: Int64, old: String, new: String) async throws -> Bool
}
