/// Every store the use cases read and change, as one value: from PostgreSQL (`PostgresStores`) in
/// authd, authctl and the tests that touch SQL, or from memory (`MemoryStores`) in route, portal
/// and protocol tests. `AuthAssembly` builds the use cases over it.
public struct Stores: Sendable {
    public var users: any UserStore
    public var sessions: any SessionStore
    public var clients: any ClientStore
    public var codes: any AuthorizationCodeStore
    /// Failure counters for the `lockout` module and `authctl user unlock`.
    public var lockouts: any LockoutStore
    /// Users, roles, permissions and the audit trail, as the admin API changes them.
    public var directory: any DirectoryStore
    /// Batches of imported accounts.
    public var importer: any UserImportStore
    public var mfa: any MFAStore
    /// The browser portal's SSO sessions and consents.
    public var portal: any PortalStore
    /// Outgoing mail and other work, delivered by `OutboxDelivery`.
    public var outbox: any OutboxStore
    /// Single-use tokens sent by mail (password reset).
    public var accountTokens: any AccountTokenStore
    /// DPoP proofs seen lately, so that none is accepted twice.
    public var proofReplays: any ProofReplayStore
    /// Passkeys (WebAuthn credentials) and their ceremonies' challenges.
    public var passkeys: any PasskeyStore

    public init(
        users: any UserStore, sessions: any SessionStore, clients: any ClientStore, codes: any AuthorizationCodeStore,
        lockouts: any LockoutStore, directory: any DirectoryStore, importer: any UserImportStore, mfa: any MFAStore,
        portal: any PortalStore, outbox: any OutboxStore, accountTokens: any AccountTokenStore,
        proofReplays: any ProofReplayStore, passkeys: any PasskeyStore
    ) {
        self.users = users
        self.sessions = sessions
        self.clients = clients
        self.codes = codes
        self.lockouts = lockouts
        self.directory = directory
        self.importer = importer
        self.mfa = mfa
        self.portal = portal
        self.outbox = outbox
        self.accountTokens = accountTokens
        self.proofReplays = proofReplays
        self.passkeys = passkeys
    }
}
