/// One login (README, "Sessions and revocation"): the refresh token chain and the access tokens issued from it, all
/// carrying its id as `sid`. Times are Unix seconds.
public struct Session: Hashable, Sendable {
    public var id: String
    public var userID: Int64
    public var createdAt: Int64
    public var lastUsedAt: Int64
    /// The absolute end of the session, whatever its use.
    public var expiresAt: Int64
    public var clientAddress: String
    public var userAgent: String
    public var refreshCount: Int
    /// The OAuth client the session was opened through (only it may refresh it), with the scopes
    /// granted then, space-separated; nil for a login's session.
    public var clientID: String?
    public var scope: String?
    /// The thumbprint of the DPoP key the session is bound to: only proofs by it refresh it.
    public var proofKey: String?

    public init(
        id: String, userID: Int64, createdAt: Int64, lastUsedAt: Int64, expiresAt: Int64, clientAddress: String,
        userAgent: String, refreshCount: Int, clientID: String? = nil, scope: String? = nil, proofKey: String? = nil
    ) {
        self.id = id
        self.userID = userID
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.clientAddress = clientAddress
        self.userAgent = userAgent
        self.refreshCount = refreshCount
        self.clientID = clientID
        self.scope = scope
        self.proofKey = proofKey
    }
}

/// A new session as the store receives it; the refresh token only as its SHA-256.
public struct NewSession: Sendable {
    public var id: String
    public var userID: Int64
    public var tokenHash: String
    /// Seconds from now until the absolute end.
    public var lifetime: Int64
    public var clientAddress: String
    public var userAgent: String
    public var clientID: String?
    public var scope: String?
    /// The SSO session a client's session was authorized in: it ends with it, and is refused
    /// when that one has ended already.
    public var parentID: String?
    /// The DPoP key's thumbprint the session is bound to (RFC 9449 §5).
    public var proofKey: String?

    public init(
        id: String, userID: Int64, tokenHash: String, lifetime: Int64, clientAddress: String, userAgent: String,
        clientID: String? = nil, scope: String? = nil, parentID: String? = nil, proofKey: String? = nil
    ) {
        self.id = id
        self.userID = userID
        self.tokenHash = tokenHash
        self.lifetime = lifetime
        self.clientAddress = clientAddress
        self.userAgent = userAgent
        self.clientID = clientID
        self.scope = scope
        self.parentID = parentID
        self.proofKey = proofKey
    }
}

/// The session a presented refresh token belongs to, and what `SessionPolicy.decide` needs of it.
public struct RefreshTokenOwner: Sendable {
    public var session: Session
    public var state: RefreshState

    public init(session: Session, state: RefreshState) {
        self.session = session
        self.state = state
    }
}

/// How the store carried out the decision on a refresh token that could not rotate.
public enum StaleRefresh: Sendable, Equatable {
    /// The pair the last rotation issued, sealed.
    case gracePair([UInt8])
    /// The session has just been revoked, for this reason.
    case revoked(RefreshDecision.Reason)
    /// The session had ended already.
    case ended
}

/// Persistent sessions. Every change that refuses tokens returns its revocations (recorded and
/// announced to the other instances in the same transaction).
public protocol SessionStore: Sendable {
    /// Creates the session only while the account is enabled and its password hash is still
    /// `passwordHash` (the one the login verified), holding the account's row so that a password
    /// change, disable or role change either comes first (and the session is not created) or
    /// comes after (and ends or cuts it off). Returns the account as it stood then (what the
    /// session's first token carries); nil when refused, as when its `parentID` has ended.
    func create(_ session: NewSession, passwordHash: String) async throws -> User?
    /// The session that issued the refresh token with this hash, however it stands now.
    func owner(ofRefreshTokenHash hash: String) async throws -> RefreshTokenOwner?
    /// Replaces `old` by `new` in one statement that only succeeds while `old` is still current
    /// and the session unrevoked, keeping `gracePair` for retries of `old`. False when another
    /// rotation (or a revocation) came first.
    func rotate(sessionID: String, from old: String, to new: String, gracePair: [UInt8]) async throws -> Bool
    /// A token that did not rotate: holding the session, carries out `decide` on its state as it
    /// stands then (the grace pair handed out again, or the session revoked).
    func stale(
        sessionID: String, presented hash: String, decide: @escaping @Sendable (RefreshState) -> RefreshDecision
    ) async throws -> Changed<StaleRefresh>
    /// The user's live sessions, most recently used first.
    func sessions(of userID: Int64) async throws -> [Session]
    /// Ends one of the user's sessions, plus the access token `tokenID` if given; false when the
    /// user has no such live session.
    func revoke(sessionID: String, of userID: Int64, tokenID: String?) async throws -> Changed<Bool>
    /// Ends every session of the user and cuts off all their access tokens.
    func revokeAll(of userID: Int64) async throws -> Changed<Void>
    /// Stores the new password hash if the stored one is still `old`, and ends every other
    /// session of the user (all of them when `keeping` is nil, with their access tokens cut off).
    /// False when the hash changed meanwhile.
    func changePassword(userID: Int64, old: String, new: String, keeping sessionID: String?) async throws
        -> Changed<Bool>
}
