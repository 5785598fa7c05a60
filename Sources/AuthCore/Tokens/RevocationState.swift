public import AuthCrypto
import Metrics
import Synchronization

/// This instance's copy of every revocation still in force and of every role's permissions, so
/// that verifying a token costs no database round trip (README, "Sessions and revocation"). A feed (the PostgreSQL
/// listener) loads it, keeps it current and reports whether it is connected; changes made here
/// are applied at once as well. While the feed has been away longer than `maximumStaleness`,
/// checks fail closed with `unavailable` unless configured to fail open.
public final class RevocationState: Sendable {
    public struct Configuration: Sendable {
        /// Seconds of disconnected feed after which the state counts as stale.
        public var maximumStaleness: Int64
        /// Keep answering from stale state instead of refusing with `unavailable`.
        public var failOpen: Bool

        public init(maximumStaleness: Int64 = 30, failOpen: Bool = false) {
            self.maximumStaleness = maximumStaleness
            self.failOpen = failOpen
        }
    }

    /// Token and session ids authd issues are 16 random bytes in base64url: kept as one
    /// `UInt128` (no heap string per entry); any other subject as its text.
    private struct Identifiers {
        var compact: [UInt128: Int64]
        var other: [String: Int64] = [:]

        init(capacity: Int = 0) {
            compact = Dictionary(minimumCapacity: capacity)
        }

        func contains(_ subject: String) -> Bool {
            if let key = Base64.url.decode128(subject) { return compact[key] != nil }
            return other[subject] != nil
        }

        mutating func keep(_ subject: String, until expiresAt: Int64) {
            if let key = Base64.url.decode128(subject) {
                compact[key] = max(compact[key] ?? 0, expiresAt)
            } else {
                other[subject] = max(other[subject] ?? 0, expiresAt)
            }
        }

        mutating func prune(now: Int64) {
            compact = compact.filter { $0.value > now }
            other = other.filter { $0.value > now }
        }

        var count: Int { compact.count + other.count }
    }

    private struct Storage {
        var tokens = Identifiers()
        var sessions = Identifiers()
        var users: [Int64: (cutOff: Int64, expiresAt: Int64)] = [:]
        var clients: [String: (cutOff: Int64, expiresAt: Int64)] = [:]
        var permissions: [String: Set<String>] = [:]
        var loaded = false
        var connected = false
        var disconnectedSince: Int64

        mutating func apply(_ revocation: Revocation) {
            switch revocation.kind {
            case .token: tokens.keep(revocation.subject, until: revocation.expiresAt)
            case .session: sessions.keep(revocation.subject, until: revocation.expiresAt)
            case .user:
                guard let id = Int64(revocation.subject) else { return }
                let old = users[id] ?? (cutOff: Int64.min, expiresAt: 0)
                users[id] = (max(old.cutOff, revocation.cutOff), max(old.expiresAt, revocation.expiresAt))
            case .client:
                let old = clients[revocation.subject] ?? (cutOff: Int64.min, expiresAt: 0)
                clients[revocation.subject] = (
                    max(old.cutOff, revocation.cutOff), max(old.expiresAt, revocation.expiresAt)
                )
            }
        }
    }

    public let configuration: Configuration
    private let storage: Mutex<Storage>

    public init(configuration: Configuration = .init(), now: Int64 = UnixTime.now()) {
        self.configuration = configuration
        storage = Mutex(Storage(disconnectedSince: now))
    }

    /// `authd_revocation_entries{kind}` and `authd_revocation_listener_connected`, set after each change.
    private let gauges = (
        tokens: Gauge(label: "authd_revocation_entries", dimensions: [("kind", "token")]),
        sessions: Gauge(label: "authd_revocation_entries", dimensions: [("kind", "session")]),
        users: Gauge(label: "authd_revocation_entries", dimensions: [("kind", "user")]),
        connected: Gauge(label: "authd_revocation_listener_connected")
    )

    private func publish() {
        let (tokens, sessions, users, connected) = storage.withLock {
            ($0.tokens.count, $0.sessions.count, $0.users.count, $0.connected)
        }
        gauges.tokens.record(tokens)
        gauges.sessions.record(sessions)
        gauges.users.record(users)
        gauges.connected.record(connected ? 1 : 0)
    }

    /// Throws `tokenRevoked` for a revoked token, or `unavailable` while the state is stale and
    /// configured to fail closed (a state never loaded counts as stale at once).
    /// A user's token (`userID`) or a client's own (`userID` nil, `claims.kind == .client`).
    public func check(_ claims: AccessTokenClaims, userID: Int64?, now: Int64) throws(AuthError) {
        let verdict = storage.withLock { storage -> AuthError.Code? in
            if !storage.connected, !configuration.failOpen,
                !storage.loaded || now - storage.disconnectedSince > configuration.maximumStaleness
            {
                return .unavailable
            }
            if storage.tokens.contains(claims.id) { return .tokenRevoked }
            if let session = claims.sessionID, storage.sessions.contains(session) { return .tokenRevoked }
            let cut = if let userID { storage.users[userID] } else { storage.clients[claims.subject] }
            if let cut, claims.issuedAt < cut.cutOff { return .tokenRevoked }
            // A user's token issued through a client falls with the client's cut-off too.
            if userID != nil, let client = claims.clientID, let cut = storage.clients[client],
                claims.issuedAt < cut.cutOff
            {
                return .tokenRevoked
            }
            return nil
        }
        switch verdict {
        case nil: return
        case .unavailable?: throw AuthError(.unavailable, "revocation state is out of date, retry shortly")
        case let code?: throw AuthError(code, "access token has been revoked")
        }
    }

    public func apply(_ revocations: [Revocation]) {
        guard !revocations.isEmpty else { return }
        storage.withLock { storage in revocations.forEach { storage.apply($0) } }
        publish()
    }

    /// Replaces everything with a fresh load from the database (at start and after every reconnect).
    public func replaceAll(_ revocations: [Revocation], permissions: [String: Set<String>]) {
        storage.withLock { storage in
            // Sized up front: growing through a large load would leave each smaller table behind.
            storage.tokens = Identifiers(capacity: revocations.count { $0.kind == .token })
            storage.sessions = Identifiers(capacity: revocations.count { $0.kind == .session })
            storage.users = [:]
            storage.clients = [:]
            revocations.forEach { storage.apply($0) }
            storage.permissions = permissions
            storage.loaded = true
        }
        publish()
    }

    /// The union of what the roles grant.
    public func permissions(of roles: [String]) -> Set<String> {
        storage.withLock { storage in
            roles.reduce(into: Set<String>()) { $0.formUnion(storage.permissions[$1] ?? []) }
        }
    }

    /// A role's permissions changed here; nil when the role was deleted.
    public func setPermissions(_ permissions: [String]?, of role: String) {
        storage.withLock { $0.permissions[role] = permissions.map(Set.init) }
    }

    public func replacePermissions(_ permissions: [String: Set<String>]) {
        storage.withLock { $0.permissions = permissions }
    }

    public func feedConnected() {
        storage.withLock { $0.connected = true }
        publish()
    }

    /// The listener lost its link, last known good at `since` (staleness counts from then).
    public func feedDisconnected(since: Int64) {
        storage.withLock { storage in
            if storage.connected { storage.disconnectedSince = since }
            storage.connected = false
        }
        publish()
    }

    /// Forgets revocations whose tokens have all expired.
    public func prune(now: Int64) {
        storage.withLock { storage in
            storage.tokens.prune(now: now)
            storage.sessions.prune(now: now)
            storage.users = storage.users.filter { $0.value.expiresAt > now }
            storage.clients = storage.clients.filter { $0.value.expiresAt > now }
        }
        publish()
    }

    /// Entries held, for metrics and the benchmark.
    public var count: (tokens: Int, sessions: Int, users: Int) {
        storage.withLock { ($0.tokens.count, $0.sessions.count, $0.users.count) }
    }

    /// Whether the token with this id (`jti`) is held as revoked.
    func holdsRevokedToken(_ id: String) -> Bool {
        storage.withLock { $0.tokens.contains(id) }
    }

    /// Why this instance should not count as ready, if it should not.
    public func problem(now: Int64) -> String? {
        storage.withLock { storage in
            if storage.connected { return nil }
            return storage.loaded
                ? "revocation listener disconnected for \(now - storage.disconnectedSince) s"
                : "revocation state not loaded yet"
        }
    }
}
