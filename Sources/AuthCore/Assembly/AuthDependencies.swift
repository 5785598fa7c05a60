public import AuthCrypto
public import Logging

/// What the use cases share: the stores they read and change, the password hashing pool and its
/// hasher, the in-memory revocation state, the clock and the logger. One value, built in one place
/// (`AuthAssembly`, the composition root), handed to `AuthService` and `AdminService`.
public struct AuthDependencies: Sendable {
    public var users: any UserStore
    public var sessions: any SessionStore
    /// OAuth 2 clients.
    public var clients: any ClientStore
    /// OAuth 2 authorization codes.
    public var codes: any AuthorizationCodeStore
    /// Failure counters for the `lockout` module; nil where no stack may use one.
    public var lockouts: (any LockoutStore)?
    /// Audited account changes (an owner's new address).
    public var directory: any DirectoryStore
    public var hashing: HashingPool
    public var hasher: PasswordHasher
    /// Changes apply here at once; other instances hear of them through their feed.
    public var revocations: RevocationState
    /// Unix seconds.
    public var clock: @Sendable () -> Int64
    public var logger: Logger

    public init(
        users: any UserStore, sessions: any SessionStore, clients: any ClientStore, codes: any AuthorizationCodeStore,
        lockouts: (any LockoutStore)?, directory: any DirectoryStore,
        hashing: HashingPool,
        hasher: PasswordHasher, revocations: RevocationState, clock: @escaping @Sendable () -> Int64 = UnixTime.now,
        logger: Logger
    ) {
        self.users = users
        self.sessions = sessions
        self.clients = clients
        self.codes = codes
        self.lockouts = lockouts
        self.directory = directory
        self.hashing = hashing
        self.hasher = hasher
        self.revocations = revocations
        self.clock = clock
        self.logger = logger
    }
}
