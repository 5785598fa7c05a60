/// A browser's single sign-on session (the portal's cookie): bound to an authd session, so every
/// path that ends that session (logout everywhere, a password change, an admin's revoke or
/// disable) ends this one too, on every instance. Times are Unix seconds.
public struct SSOSession: Hashable, Sendable {
    public var sessionID: String
    public var userID: Int64
    /// When the user authenticated, and how (RFC 8176: `pwd`, `otp`).
    public var authTime: Int64
    public var methods: [String]
    /// When the session was last used (recorded at most once per `touchInterval`).
    public var lastSeen: Int64

    public init(sessionID: String, userID: Int64, authTime: Int64, methods: [String], lastSeen: Int64? = nil) {
        self.sessionID = sessionID
        self.userID = userID
        self.authTime = authTime
        self.methods = methods
        self.lastSeen = lastSeen ?? authTime
    }

    /// Seconds between two records of a session's use: a busy browser writes once a minute, not
    /// once a request.
    public static let touchInterval: Int64 = 60

    /// Unused for longer than `timeout` (`oidc.sso_idle_timeout_seconds`): it has ended. The
    /// recorded use may be up to `touchInterval` old, so a session can outlive its timeout by
    /// that much at most.
    public func isIdle(now: Int64, timeout: Int64) -> Bool { now - lastSeen > timeout }

    /// Whether this use should be recorded.
    public func needsTouch(now: Int64) -> Bool { now - lastSeen >= Self.touchInterval }
}

/// What a user let a client have, remembered so the next sign-in does not ask again.
public struct Consent: Hashable, Sendable {
    public var clientID: String
    /// For the consents page.
    public var clientName: String
    public var scopes: Set<String>

    public init(clientID: String, clientName: String, scopes: Set<String>) {
        self.clientID = clientID
        self.clientName = clientName
        self.scopes = scopes
    }
}

/// SSO sessions (by the SHA-256 of their cookie) and consents, in persistent storage.
public protocol PortalStore: Sendable {
    func create(ssoHash: String, _ session: SSOSession) async throws
    /// The session of the cookie with this hash while its authd session is live and its account
    /// enabled, with the account; nil otherwise.
    func sso(hash: String) async throws -> (session: SSOSession, user: User)?
    func delete(ssoHash: String) async throws
    /// Records a use of the session now.
    func touch(ssoHash: String) async throws
    /// Ends up to `limit` SSO sessions that lapsed while nobody used them (unused for longer than
    /// `idleTimeout` seconds, or their authd session past its absolute end) as a sign-out does:
    /// their authd sessions and the sessions clients were issued in them end, and those clients
    /// are told (`PostgresRevocations.endChildren`). Rows of sessions ended by another path go
    /// too. Any number of instances may run it at once: each row is ended by one. Returns how
    /// many SSO sessions it removed.
    func endLapsed(idleTimeout: Int64, limit: Int) async throws -> Changed<Int>
    /// The clients that were issued sessions in the SSO session whose authd session is
    /// `sessionID` (ended or not), by id.
    func clients(issuedIn sessionID: String) async throws -> [String]
    func consent(userID: Int64, clientID: String) async throws -> Consent?
    /// Adds `scopes` to what the user consented to for the client, as of now.
    func recordConsent(userID: Int64, clientID: String, scopes: [String]) async throws
    /// False when there was none.
    func revokeConsent(userID: Int64, clientID: String) async throws -> Bool
    /// By client id.
    func consents(userID: Int64) async throws -> [Consent]
}
