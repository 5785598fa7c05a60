public import AuthCrypto

/// Access tokens, the seam every front end and the coming OAuth endpoints share: issued,
/// verified and authorized here, answered from memory (the revocation state) with no database
/// round trip. The one policy behind HTTP guards and the line protocol's VERIFY, HASROLE and
/// HASPERM, so the front ends cannot disagree about who may do what.
public struct TokenAuthority: Sendable {
    let codec: AccessTokenCodec
    let revocations: RevocationState
    /// Seconds an access token lives.
    public let lifetime: Int64
    let clock: @Sendable () -> Int64

    public init(
        codec: AccessTokenCodec, revocations: RevocationState, lifetime: Int64,
        clock: @escaping @Sendable () -> Int64 = UnixTime.now
    ) {
        self.codec = codec
        self.revocations = revocations
        self.lifetime = lifetime
        self.clock = clock
    }

    /// The public keys that verify access tokens, as JWKs (RFC 7517) with `kid`, `alg` and `use`:
    /// the signing pair's first, then the previous pairs still configured. Empty when only the
    /// HS256 secret is configured: a secret is never published.
    public var publicKeys: [[String: String]] { codec.keyring.publicKeys }

    /// Whether ID tokens can be signed (an RS256 key is configured).
    public var canSignIDTokens: Bool { codec.keyring.idTokenPair != nil }

    /// What a client's ID tokens may be signed with (`id_token_signed_response_alg`).
    public var idTokenAlgorithms: [JWSAlgorithm] { codec.keyring.idTokenAlgorithms }

    /// Issued no earlier than the user's `notBefore`, so a token made in the same second as a role
    /// change (which cuts off tokens issued before the next whole second) is not born revoked.
    /// `issuedAt` (default: now) is no later than the user's state was read, so that a cut-off
    /// recorded by a change after that read refuses the token.
    /// A session opened through an OAuth client gives its tokens that `clientID` and `scope`: a
    /// delegated token, whose audience is the client and whose roles are there only when a scope
    /// asks for them (`TokenPolicy.delegatedRoles`).
    public func issue(
        for user: User, sessionID: String? = nil, issuedAt: Int64? = nil, clientID: String? = nil,
        scope: String? = nil
    ) throws -> IssuedAccessToken {
        let now = max(issuedAt ?? clock(), user.notBefore ?? 0)
        let roles =
            clientID == nil
            ? user.roles
            : TokenPolicy.delegatedRoles(user.roles, scopes: scope?.split(separator: " ").map(String.init) ?? [])
        let claims = AccessTokenClaims(
            issuer: clientID == nil ? codec.validation.issuer : codec.clientTokenIssuer,
            audience: clientID ?? codec.validation.audience, subject: String(user.id),
            name: user.username, roles: roles, issuedAt: now, notBefore: now, expiresAt: now + lifetime,
            id: Base64.url.encode(try SecureRandom.bytes(16)), sessionID: sessionID, clientID: clientID, scope: scope,
            confirmation: try ProofOfPossession.keyForIssuing())
        return IssuedAccessToken(token: try codec.sign(claims), expiresIn: lifetime, claims: claims)
    }

    /// A client's own token (client credentials): `sub` and `client_id` are the client, `roles` what
    /// it was granted, `scope` the granted scopes; issued no earlier than the client's cut-off. It
    /// lives the client's token lifetime if it has one.
    public func issue(for client: OAuthClient, scopes: [String]) throws -> IssuedAccessToken {
        let now = max(clock(), client.notBefore ?? 0)
        let lifetime = client.tokenLifetime ?? lifetime
        let claims = AccessTokenClaims(
            issuer: codec.clientTokenIssuer, audience: codec.validation.audience, subject: client.id,
            name: client.id, roles: client.roles, issuedAt: now, notBefore: now, expiresAt: now + lifetime,
            id: Base64.url.encode(try SecureRandom.bytes(16)), clientID: client.id,
            scope: scopes.isEmpty ? nil : scopes.joined(separator: " "),
            confirmation: try ProofOfPossession.keyForIssuing(to: client))
        return IssuedAccessToken(token: try codec.sign(claims), expiresIn: lifetime, claims: claims)
    }

    /// Signature, algorithm, type, time and audience checks only; `authorize` adds revocation and
    /// the proof a key-bound token needs (`ProofOfPossession`).
    func verify(accessToken: String) throws(AuthError) -> AccessTokenClaims {
        do {
            return try codec.verify(accessToken, now: clock())
        } catch let error where error.code == .expired {
            throw AuthError(.tokenExpired, "access token expired")
        } catch {
            throw AuthError(.invalidToken, "access token is invalid")
        }
    }

    /// A valid, unrevoked token of a kind `use` accepts (`TokenPolicy`), presented as its binding
    /// says (`ProofOfPossession.check`), whose holder meets
    /// `requirement`: `invalidToken`, `tokenExpired` or `tokenRevoked` otherwise, `forbidden` when
    /// the token is good but the role or permission is missing, `unavailable` while the revocation
    /// state is stale (and configured to fail closed).
    public func authorize(accessToken: String, for use: TokenUse, requiring requirement: Requirement? = nil)
        throws(AuthError) -> AccessTokenClaims
    {
        let claims = try authorizeAnyKind(accessToken: accessToken)
        try ProofOfPossession.check(claims, presented: accessToken)
        guard TokenPolicy.accepts(claims, for: use) else {
            throw AuthError(.invalidToken, "this token was issued to an OAuth client and is not accepted here")
        }
        if let requirement, !holds(requirement, claims) {
            throw AuthError(.forbidden, "this token lacks the role, permission or scope the request needs")
        }
        return claims
    }

    /// Valid and unrevoked, of whatever kind: for the checks that decide the kind themselves
    /// (introspection by the token's own client).
    func authorizeAnyKind(accessToken: String) throws(AuthError) -> AccessTokenClaims {
        let claims = try verify(accessToken: accessToken)
        let userID = Int64(claims.subject)
        guard userID != nil || claims.kind == .client else { throw AuthError(.invalidToken, "access token is invalid") }
        try revocations.check(claims, userID: userID, now: clock())
        return claims
    }

    /// The subject of a valid, unrevoked token of any kind, for the access log; nil otherwise.
    public func subject(ofAccessToken token: String) -> String? {
        try? authorizeAnyKind(accessToken: token).subject
    }

    /// The token's holder as the admin use cases take it: authorized for `.admin` as `authorize` does, from
    /// `source` (the client address, for the audit trail).
    public func actor(accessToken: String, requiring requirement: Requirement? = nil, source: String?)
        throws(AuthError) -> Actor
    {
        let claims = try authorize(accessToken: accessToken, for: .admin, requiring: requirement)
        if claims.kind == .client {
            return Actor(id: nil, name: "client:\(claims.subject)", source: source ?? "", roles: claims.roles)
        }
        return Actor(id: Int64(claims.subject), name: claims.name, source: source ?? "", roles: claims.roles)
    }

    /// The account a first-party access token stands for (`authorize(… for: .account)`), read from
    /// `users`: a deleted or disabled account is an invalid token.
    func account(accessToken: String, in users: any UserStore) async throws -> User {
        let claims = try authorize(accessToken: accessToken, for: .account)
        guard let id = Int64(claims.subject), let user = try await users.find(id: id), !user.disabled else {
            throw AuthError(.invalidToken, "access token is invalid")
        }
        return user
    }

    /// Roles and scopes come from the token (a change to either revokes older tokens); permissions
    /// are what those roles grant now.
    func holds(_ requirement: Requirement, _ claims: AccessTokenClaims) -> Bool {
        switch requirement {
        case .role(let role): claims.roles.contains(role)
        case .permission(let permission): revocations.permissions(of: claims.roles).contains(permission)
        case .scope(let scope): claims.scopes.contains { $0 == scope }
        }
    }
}
