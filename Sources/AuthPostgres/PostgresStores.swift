public import AuthCore
public import Logging

/// Every store on one PostgreSQL pool, as the `Stores` value `AuthAssembly` builds the use cases
/// over. Owns the pool: `close()` once the assembly has closed.
public struct PostgresStores: Sendable {
    public let pool: PostgresPool
    public let users: PostgresUserStore
    public let sessions: PostgresSessionStore
    public let lockouts: PostgresLockoutStore
    public let directory: PostgresDirectoryStore
    public let mfa: PostgresMFAStore
    public let clients: PostgresClientStore
    public let codes: PostgresAuthorizationCodeStore
    public let portal: PostgresPortalStore
    public let outbox: PostgresOutboxStore
    public let accountTokens: PostgresAccountTokenStore
    public let proofReplays: PostgresProofReplayStore
    public let passkeys: PostgresPasskeyStore

    public init(pool: PostgresPool.Configuration, retention: RetentionPolicy, logger: Logger) {
        self.pool = PostgresPool(configuration: pool, logger: logger)
        users = PostgresUserStore(pool: self.pool)
        sessions = PostgresSessionStore(pool: self.pool, retention: retention)
        lockouts = PostgresLockoutStore(pool: self.pool)
        directory = PostgresDirectoryStore(pool: self.pool, retention: retention)
        mfa = PostgresMFAStore(pool: self.pool)
        clients = PostgresClientStore(pool: self.pool, retention: retention)
        codes = PostgresAuthorizationCodeStore(pool: self.pool)
        portal = PostgresPortalStore(pool: self.pool, retention: retention)
        outbox = PostgresOutboxStore(pool: self.pool)
        accountTokens = PostgresAccountTokenStore(pool: self.pool, retention: retention)
        proofReplays = PostgresProofReplayStore(pool: self.pool)
        passkeys = PostgresPasskeyStore(pool: self.pool)
    }

    public var stores: Stores {
        Stores(
            users: users, sessions: sessions, clients: clients, codes: codes, lockouts: lockouts, directory: directory,
            importer: directory, mfa: mfa, portal: portal, outbox: outbox,
            accountTokens: accountTokens, proofReplays: proofReplays,
            passkeys: passkeys)
    }

    public func close() async {
        await pool.close()
    }
}
