import AuthCrypto
import Logging

/// How long sessions live and how refresh-token retries are forgiven (README, "Sessions and revocation"). Seconds.
public struct SessionPolicy: Sendable {
    /// A session ends this long after login, however it is used.
    public var lifetime: Int64
    /// A session not refreshed for this long ends.
    public var idleTimeout: Int64
    /// A refresh token presented again this soon after its rotation gets the same new pair
    /// (a client retrying a lost response); later it counts as theft.
    public var refreshGrace: Int64

    public init(lifetime: Int64 = 30 * 86_400, idleTimeout: Int64 = 7 * 86_400, refreshGrace: Int64 = 10) {
        self.lifetime = lifetime
        self.idleTimeout = idleTimeout
        self.refreshGrace = refreshGrace
    }
}

/// What a login or a refresh hands the client.
public struct SessionTokens: Hashable, Sendable {
    public var accessToken: String
    public var expiresIn: Int64
    /// Opaque, 256 random bits; the server keeps only its SHA-256.
    public var refreshToken: String
    public var sessionID: String
    /// The DPoP key's thumbprint the access token is bound to; nil for a bearer token.
    public var proofKey: String?

    /// RFC 9449 §5's `token_type`.
    public var tokenType: String { proofKey == nil ? "Bearer" : "DPoP" }
}

/// A user's session as listed to them.
public struct SessionListing: Sendable {
    public var sessions: [Session]
    /// The session of the token that asked.
    public var current: String?
}

/// Sessions: their start after a login, refresh-token rotation, logout, listing and ending them,
/// and password change (which ends the others). The rules of a refresh are `SessionPolicy.decide`'s.
public struct SessionService: Sendable {
    let policy: SessionPolicy
    let passwordPolicy: PasswordPolicy
    let store: any SessionStore
    let users: any UserStore
    let tokens: TokenAuthority
    let hashing: HashingPool
    let hasher: PasswordHasher
    let revocations: RevocationState
    /// The login's limits: password changes spend from its per-address attempt limit too.
    let limits: LoginLimits
    let clock: @Sendable () -> Int64
    let logger: Logger

    init(
        configuration: AuthService.Configuration, dependencies: AuthDependencies, tokens: TokenAuthority,
        limits: LoginLimits
    ) {
        policy = configuration.sessions
        passwordPolicy = configuration.passwordPolicy
        store = dependencies.sessions
        users = dependencies.users
        self.tokens = tokens
        hashing = dependencies.hashing
        hasher = dependencies.hasher
        revocations = dependencies.revocations
        self.limits = limits
        clock = dependencies.clock
        logger = dependencies.logger
    }

    /// A new session for an authenticated user, with its first token pair. Refused like a wrong
    /// password when the account changed since its password was checked (a password change or a
    /// disable in between); the token carries the roles as they stand when the session is created.
    /// With `client`, the session is that OAuth client's (only it may refresh it) and its tokens
    /// carry the client and `scopes`; with `parent`, it ends with that (SSO) session, and is
    /// refused when that one has ended already.
    public func start(
        for user: User, source: String?, userAgent: String?, client: OAuthClient? = nil, scopes: [String] = [],
        parent: String? = nil
    ) async throws -> SessionTokens {
        let scope = client == nil || scopes.isEmpty ? nil : scopes.joined(separator: " ")
        let sessionID = Base64.url.encode(try SecureRandom.bytes(16))
        let refreshToken = try Self.newRefreshToken()
        // Before the account's row is read: a role change that waited for it cuts off this second.
        let readAt = clock()
        // RFC 9449 §5: a confidential client's refresh tokens are bound by its authentication instead.
        let proofKey = try ProofOfPossession.keyForIssuing(to: client)
        let current = try await store.create(
            NewSession(
                id: sessionID, userID: user.id, tokenHash: try Digest.sha256Hex(Array(refreshToken.utf8)),
                lifetime: policy.lifetime,
                clientAddress: Identity.storable(source ?? "", maximumScalars: 64),
                userAgent: Identity.storable(userAgent ?? "", maximumScalars: 256), clientID: client?.id,
                scope: scope, parentID: parent, proofKey: client?.type == .confidential ? nil : proofKey),
            passwordHash: user.passwordHash)
        guard let current else { throw AuthError(.invalidCredentials, "invalid username or password") }
        let access = try tokens.issue(
            for: current, sessionID: sessionID, issuedAt: readAt, clientID: client?.id, scope: scope)
        logger.info("session started", metadata: ["user_id": "\(user.id)"])
        return SessionTokens(
            accessToken: access.token, expiresIn: access.expiresIn, refreshToken: refreshToken, sessionID: sessionID,
            proofKey: access.claims.confirmation)
    }

    /// A new pair for a current refresh token (rotation: the old one stops working). Two
    /// refreshes racing with one token get one pair between them; an already-rotated token gets
    /// that pair again within the grace window, and revokes the session after it
    /// (`SessionPolicy.decide` says which).
    ///
    /// A session opened through an OAuth client is refreshed only by that `client` (RFC 6749 §6),
    /// and a login's only without one; anyone else's attempt is refused before anything changes,
    /// so it neither rotates nor revokes the session. `scopes` narrows this access token's scope
    /// (nil: the session's); one the session was not granted is `invalidScope`, before anything
    /// changes.
    public func refresh(refreshToken: String, client: OAuthClient? = nil, scopes: [String]? = nil) async throws
        -> SessionTokens
    {
        let refused = AuthError(.invalidRefreshToken, "refresh token is invalid, expired or revoked")
        // 43 characters: 32 random bytes. Anything else is refused before any lookup.
        guard Identity.isBase64URL(refreshToken, lengths: 43...43) else { throw refused }
        let hash = try Digest.sha256Hex(Array(refreshToken.utf8))
        guard let owner = try await store.owner(ofRefreshTokenHash: hash), owner.session.clientID == client?.id else {
            throw refused
        }
        let session = owner.session
        let proofKey = try ProofOfPossession.keyForIssuing(to: client)
        if let bound = session.proofKey, proofKey != bound {
            throw AuthError(.invalidDPoPProof, "this refresh token is bound to a key: refresh with a DPoP proof by it")
        }
        let granted = session.scope?.split(separator: " ") ?? []
        for asked in scopes ?? [] where !granted.contains(Substring(asked)) {
            throw AuthError(.invalidScope, "the session was not granted the scope \(asked)")
        }
        let scope = scopes.map { $0.joined(separator: " ") } ?? session.scope
        let decision = policy.decide(owner.state)
        if decision == .refuse { throw refused }
        if decision == .rotate {
            guard let user = try await users.find(id: session.userID), !user.disabled else { throw refused }
            let next = try Self.newRefreshToken()
            let access = try tokens.issue(
                for: user, sessionID: session.id, clientID: session.clientID, scope: scope)
            let pair = SessionTokens(
                accessToken: access.token, expiresIn: access.expiresIn, refreshToken: next, sessionID: session.id,
                proofKey: access.claims.confirmation)
            let rotated = try await store.rotate(
                sessionID: session.id, from: hash, to: try Digest.sha256Hex(Array(next.utf8)),
                gracePair: try Self.seal(pair, under: refreshToken))
            if rotated { return pair }
        }
        // Decided again on the session as it stands once held: another rotation may have won.
        let stale = try await store.stale(sessionID: session.id, presented: hash) { policy.decide($0) }
        revocations.apply(stale.revocations)
        switch stale.value {
        case .gracePair(let sealed):
            guard let pair = Self.open(sealed, under: refreshToken, sessionID: session.id) else { throw refused }
            return pair
        case .revoked(.reused):
            logger.warning(
                "a rotated refresh token was presented again: session revoked",
                metadata: ["user_id": "\(session.userID)", "session_id": "\(session.id)"])
            throw refused
        case .revoked(.idle):
            logger.info(
                "idle session ended at refresh",
                metadata: ["user_id": "\(session.userID)", "session_id": "\(session.id)"])
            throw refused
        case .ended:
            throw refused
        }
    }

    /// RFC 7009 for refresh tokens: ends the session a refresh token of `client`'s belongs to (its
    /// current one or one it replaced), and with it every access token the session issued. False,
    /// and nothing changed, for anything else: a login's, another client's, an unknown token.
    public func revoke(refreshToken: String, by client: OAuthClient) async throws -> Bool {
        guard Identity.isBase64URL(refreshToken, lengths: 43...43) else { return false }
        let hash = try Digest.sha256Hex(Array(refreshToken.utf8))
        guard let owner = try await store.owner(ofRefreshTokenHash: hash), owner.session.clientID == client.id else {
            return false
        }
        let ended = try await store.revoke(sessionID: owner.session.id, of: owner.session.userID, tokenID: nil)
        revocations.apply(ended.revocations)
        return ended.value
    }

    /// Ends a session and every access token it issued, on every instance (a replayed
    /// authorization code's).
    func end(sessionID: String, of userID: Int64) async throws {
        revocations.apply(try await store.revoke(sessionID: sessionID, of: userID, tokenID: nil).revocations)
        logger.info("session ended", metadata: ["user_id": "\(userID)"])
    }

    /// Ends the token's session (its refresh token stops working) and the token itself.
    public func logout(accessToken: String) async throws {
        let claims = try tokens.authorize(accessToken: accessToken, for: .account)
        let userID = try Self.userID(claims)
        if let sessionID = claims.sessionID {
            revocations.apply(
                try await store.revoke(sessionID: sessionID, of: userID, tokenID: claims.id).revocations)
        } else {
            revocations.apply(try await store.revokeAll(of: userID).revocations)
        }
        logger.info("logged out", metadata: ["user_id": "\(userID)"])
    }

    /// Ends every session of the token's user and cuts off all their access tokens.
    public func logoutAll(accessToken: String) async throws {
        let userID = try Self.userID(try tokens.authorize(accessToken: accessToken, for: .account))
        revocations.apply(try await store.revokeAll(of: userID).revocations)
        logger.info("logged out everywhere", metadata: ["user_id": "\(userID)"])
    }

    /// The token holder's live sessions, most recently used first.
    public func list(accessToken: String) async throws -> SessionListing {
        let claims = try tokens.authorize(accessToken: accessToken, for: .account)
        return SessionListing(
            sessions: try await store.sessions(of: try Self.userID(claims)), current: claims.sessionID)
    }

    /// Ends one of the token holder's own sessions; `notFound` for any other id.
    public func end(id sessionID: String, accessToken: String) async throws {
        let userID = try Self.userID(try tokens.authorize(accessToken: accessToken, for: .account))
        guard Identity.isBase64URL(sessionID, lengths: 22...22) else {
            throw AuthError(.invalidInput, "malformed session id")
        }
        let ended = try await store.revoke(sessionID: sessionID, of: userID, tokenID: nil)
        guard ended.value else { throw AuthError(.notFound, "no such session") }
        revocations.apply(ended.revocations)
    }

    /// Replaces the password after checking the current one, and ends every other session.
    public func changePassword(
        accessToken: String, currentPassword: String, newPassword: String, source: String? = nil
    ) async throws {
        try limits.spendAttempt(from: source)
        let claims = try tokens.authorize(accessToken: accessToken, for: .account)
        guard let user = try await users.find(id: try Self.userID(claims)), !user.disabled else {
            throw AuthError(.invalidToken, "access token is invalid")
        }
        let wrong = AuthError(.wrongPassword, "the current password is wrong")
        guard currentPassword.utf8.count <= passwordPolicy.maximumBytes else { throw wrong }
        try await passwordPolicy.validate(newPassword)
        let hasher = self.hasher
        let stored = user.passwordHash
        let newHash = try await hashing.run { () throws -> String? in
            guard try hasher.verify(Array(currentPassword.utf8), against: stored) else { return nil }
            return try hasher.hash(Array(newPassword.utf8))
        }
        guard let newHash else { throw wrong }
        let changed = try await store.changePassword(
            userID: user.id, old: stored, new: newHash, keeping: claims.sessionID)
        revocations.apply(changed.revocations)
        guard changed.value else { throw AuthError(.conflict, "the password was changed meanwhile; retry") }
        logger.notice("password changed", metadata: ["user_id": "\(user.id)"])
    }

    // MARK: Helpers

    private static func userID(_ claims: AccessTokenClaims) throws(AuthError) -> Int64 {
        guard let id = Int64(claims.subject) else { throw AuthError(.invalidToken, "access token is invalid") }
        return id
    }

    static func newRefreshToken() throws -> String {
        Base64.url.encode(try SecureRandom.bytes(32))
    }

    /// The grace pair is sealed under a key only the holder of the previous refresh token can
    /// derive, and bound to its session: the database alone cannot hand it out.
    private static func graceKey(_ refreshToken: String) throws -> [UInt8] {
        try HMAC.authenticate(.sha256, key: Array(refreshToken.utf8), message: Array("authd refresh grace pair".utf8))
    }

    static func seal(_ pair: SessionTokens, under refreshToken: String) throws -> [UInt8] {
        let text = "\(pair.accessToken)\n\(pair.refreshToken)\n\(pair.expiresIn)\n\(pair.proofKey ?? "")"
        return try AESGCM.seal(
            Array(text.utf8), key: try graceKey(refreshToken), associatedData: Array(pair.sessionID.utf8))
    }

    static func open(_ sealed: [UInt8], under refreshToken: String, sessionID: String) -> SessionTokens? {
        guard
            let key = try? graceKey(refreshToken),
            let plain = try? AESGCM.open(sealed, key: key, associatedData: Array(sessionID.utf8))
        else { return nil }
        let parts = String(decoding: plain, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 4, let expiresIn = Int64(parts[2]) else { return nil }
        return SessionTokens(
            accessToken: String(parts[0]), expiresIn: expiresIn, refreshToken: String(parts[1]), sessionID: sessionID,
            proofKey: parts[3].isEmpty ? nil : String(parts[3]))
    }
}
