public import AuthCore
public import AuthCrypto
public import Logging

/// The one assembly: authd, authctl and the tests build the object graph here, so the stores,
/// pools and use cases are wired the same way everywhere. Owns the connection and hashing pools;
/// `close()` once everything that uses them has stopped.
public struct PostgresBackend: Sendable {
    public struct Configuration: Sendable {
        public var pool: PostgresPool.Configuration
        public var hashing: HashingPool.Configuration
        public var scrypt: ScryptParameters
        public var importedFloor: ImportedHashFloor
        public var hashCeiling: HashCostCeiling
        public var retention: RetentionPolicy
        public var revocation: RevocationState.Configuration

        public init(
            pool: PostgresPool.Configuration, hashing: HashingPool.Configuration = .init(),
            scrypt: ScryptParameters = .default, importedFloor: ImportedHashFloor = .init(),
            hashCeiling: HashCostCeiling = .init(), retention: RetentionPolicy,
            revocation: RevocationState.Configuration = .init()
        ) {
            self.importedFloor = importedFloor
            self.hashCeiling = hashCeiling
            self.pool = pool
            self.hashing = hashing
            self.scrypt = scrypt
            self.retention = retention
            self.revocation = revocation
        }
    }

    public let pool: PostgresPool
    public let hashing: HashingPool
    public let users: PostgresUserStore
    public let sessions: PostgresSessionStore
    public let lockouts: PostgresLockoutStore
    public let directory: PostgresDirectoryStore
    public let mfa: PostgresMFAStore
    public let clients: PostgresClientStore
    /// What both services share.
    public let dependencies: AuthDependencies

    public init(
        configuration: Configuration, clock: @escaping @Sendable () -> Int64 = UnixTime.now, logger: Logger
    ) throws {
        pool = PostgresPool(configuration: configuration.pool, logger: logger)
        hashing = HashingPool(configuration: configuration.hashing)
        users = PostgresUserStore(pool: pool)
        sessions = PostgresSessionStore(pool: pool, retention: configuration.retention)
        lockouts = PostgresLockoutStore(pool: pool)
        directory = PostgresDirectoryStore(pool: pool, retention: configuration.retention)
        mfa = PostgresMFAStore(pool: pool)
        clients = PostgresClientStore(pool: pool, retention: configuration.retention)
        dependencies = AuthDependencies(
            users: users, sessions: sessions, clients: clients, codes: PostgresAuthorizationCodeStore(pool: pool),
            lockouts: lockouts, hashing: hashing,
            hasher: try PasswordHasher(
                parameters: configuration.scrypt, floor: configuration.importedFloor,
                ceiling: configuration.hashCeiling),
            revocations: RevocationState(configuration: configuration.revocation), clock: clock, logger: logger)
    }

    public var revocations: RevocationState { dependencies.revocations }

    /// The TOTP use cases on this database, under `keyring`.
    public func secondFactor(policy: MFAPolicy = .init(), keyring: SealingKeyring) -> SecondFactor {
        SecondFactor(policy: policy, store: mfa, keyring: keyring)
    }

    /// Login and stacks, sessions, MFA and token authorization. Throws `StackConfigError` for a bad
    /// stack file.
    public func authService(
        configuration: AuthService.Configuration, tokens: AccessTokenCodec, secondFactor: SecondFactor?,
        stacks: AuthService.StackSource
    ) throws -> AuthService {
        try AuthService(
            configuration: configuration, dependencies: dependencies, tokens: tokens, secondFactor: secondFactor,
            stacks: stacks)
    }

    /// The browser portal's sign-in, SSO sessions and consents, over `auth`.
    public func portalService(auth: AuthService, policy: PortalPolicy = .init()) -> PortalService {
        PortalService(auth: auth, store: PostgresPortalStore(pool: pool), policy: policy)
    }

    /// Users, roles, permissions and the audit trail.
    public func adminService(configuration: AdminService.Configuration) -> AdminService {
        AdminService(
            configuration: configuration, dependencies: dependencies, directory: directory, importer: directory,
            mfa: mfa)
    }

    public func close() async {
        await pool.close()
        await hashing.shutdown()
    }
}
