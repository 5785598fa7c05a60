import AuthCrypto

/// A code exchanged: the session it opened through the client, and what the code stood for (the
/// ID token is made from both).
public struct CodeExchange: Hashable, Sendable {
    public var tokens: SessionTokens
    public var grant: AuthorizationGrant
    public var user: User
    /// When the grant had `openid`.
    public var idToken: String?
}

/// The authorization code grant (RFC 6749 §4.1, RFC 7636): codes issued once the portal has
/// authenticated the user and had their consent, and exchanged at the token endpoint.
extension OAuthService {
    /// Seconds a code lives: RFC 6749 §4.1.2 says ten minutes at most; a redirect takes one.
    public static let codeLifetime: Int64 = 60

    /// A new code for `request`, which `user` authenticated at `authTime` by `methods` and
    /// consented to, in the SSO session `ssoSessionID` (the session the code opens ends with it).
    /// 256 random bits; only its SHA-256 is stored.
    public func issueCode(
        for request: AuthorizationRequest, user: User, authTime: Int64, methods: [String], ssoSessionID: String? = nil
    ) async throws -> String {
        let code = Base64.url.encode(try SecureRandom.bytes(32))
        try await codes.save(
            codeHash: try Digest.sha256Hex(Array(code.utf8)),
            grant: AuthorizationGrant(
                clientID: request.client.id, userID: user.id, redirectURI: request.redirectURI, scopes: request.scopes,
                nonce: request.nonce, codeChallenge: request.codeChallenge, authTime: authTime, methods: methods,
                ssoSessionID: ssoSessionID),
            lifetime: Self.codeLifetime)
        logger.info(
            "authorization code issued", metadata: ["client_id": "\(request.client.id)", "user_id": "\(user.id)"])
        return code
    }

    /// A public client at the token endpoint: it has no secret, so it names itself with
    /// `client_id` and proves the code is its own with PKCE. Unknown, disabled or confidential:
    /// `invalidClient`, as a wrong secret is.
    public func publicClient(id clientID: String, source: String? = nil) async throws -> OAuthClient {
        try limits.spendAttempt(from: source)
        guard Identity.isRoleName(clientID) else { throw Self.invalidClient }
        guard let client = try await clients.client(id: clientID), !client.disabled, client.type == .public else {
            throw Self.invalidClient
        }
        return client
    }

    /// RFC 6749 §4.1.3 and RFC 7636 §4.6: the code is spent whatever follows, so a stolen one
    /// cannot be tried twice; then `redirect_uri` must be the request's, the verifier must match
    /// the challenge (and be absent when there was none), and the account must be as it was: still
    /// enabled, and not cut off (password change, logout everywhere, disable) since the user
    /// authenticated. A second presentation of a spent code ends the session the first opened
    /// (§4.1.2), on every instance. Every refusal is `invalidGrant`.
    public func exchange(
        code: String?, redirectURI: String?, codeVerifier: String?, for client: OAuthClient, source: String? = nil,
        userAgent: String? = nil
    ) async throws -> CodeExchange {
        guard client.grantTypes.contains(.authorizationCode) else {
            throw AuthError(.unauthorizedClient, "this client may not use the authorization_code grant")
        }
        let refused = AuthError(.invalidGrant, "the code is invalid, expired, used or another client's")
        guard let code, Identity.isBase64URL(code, lengths: 43...43) else { throw refused }
        let codeHash = try Digest.sha256Hex(Array(code.utf8))
        let grant: AuthorizationGrant
        switch try await codes.redeem(codeHash: codeHash, clientID: client.id) {
        case .invalid:
            throw refused
        case .replayed(let sessionID, let userID):
            if let sessionID { try await sessions.end(sessionID: sessionID, of: userID) }
            logger.warning(
                "authorization code replayed: the session it opened is ended",
                metadata: ["client_id": "\(client.id)", "user_id": "\(userID)"])
            throw refused
        case .redeemed(let redeemed):
            grant = redeemed
        }
        guard redirectURI == grant.redirectURI else {
            throw AuthError(.invalidGrant, "redirect_uri is not the one the code was issued for")
        }
        switch (grant.codeChallenge, codeVerifier) {
        case (nil, nil): break
        case (let challenge?, let verifier?) where AuthorizationRules.verifierMatches(verifier, challenge: challenge):
            break
        default: throw AuthError(.invalidGrant, "code_verifier does not match the code's challenge")
        }
        return try await open(
            grant, client: client, source: source, userAgent: userAgent, refused: refused, codeHash: codeHash)
    }

    /// The tokens of a grant just spent (a code, an allowed device): the account must be as it
    /// was (still enabled, not cut off since the user authenticated) and the SSO session it was
    /// given in still live; then a session of the client, its child, with an ID token for
    /// `openid`. `codeHash`: the code, to which the session is attached (a replay ends it).
    func open(
        _ grant: AuthorizationGrant, client: OAuthClient, source: String?, userAgent: String?, refused: AuthError,
        codeHash: String? = nil
    ) async throws -> CodeExchange {
        guard let user = try await users.find(id: grant.userID), !user.disabled,
            (user.notBefore ?? 0) <= grant.authTime
        else { throw refused }
        let signer = try idTokenSigner(for: grant, client: client)
        let tokens: SessionTokens
        do {
            tokens = try await sessions.start(
                for: user, source: source, userAgent: userAgent, client: client, scopes: grant.scopes,
                parent: grant.ssoSessionID)
        } catch let error as AuthError where error.code == .invalidCredentials {
            // The account changed since, or the SSO session it was authorized in has ended.
            throw refused
        }
        if let codeHash, !(try await codes.attach(sessionID: tokens.sessionID, toCodeHash: codeHash)) {
            try await sessions.end(sessionID: tokens.sessionID, of: user.id)
            throw refused
        }
        logger.info(
            codeHash == nil ? "device code exchanged" : "authorization code exchanged",
            metadata: ["client_id": "\(client.id)", "user_id": "\(user.id)"])
        return CodeExchange(
            tokens: tokens, grant: grant, user: user,
            idToken: try signer.map { try idToken(for: grant, user: user, accessToken: tokens.accessToken, with: $0) })
    }

    /// The pair the client's ID tokens are signed with when `openid` was granted, found before a
    /// session is opened: a keyring that lost the client's algorithm is an error, not a session
    /// without its ID token.
    func idTokenSigner(for grant: AuthorizationGrant, client: OAuthClient) throws -> (id: String, key: SigningKey)? {
        guard grant.scopes.contains("openid") else { return nil }
        guard let pair = tokens.codec.keyring.idTokenPair(for: client.idTokenAlgorithm) else {
            logger.error(
                "no key signs this client's ID tokens: set its id_token_signed_response_alg to RS256",
                metadata: ["client_id": "\(client.id)", "alg": "\(client.idTokenAlgorithm.rawValue)"])
            throw AuthError(.internal, "no key signs \(client.idTokenAlgorithm.rawValue) ID tokens")
        }
        return pair
    }

    /// OpenID Connect Core §3.1.3.3 and §5.4: the ID token of an exchange whose grant had `openid`,
    /// living as long as the access token beside it; `roles` adds the roles, `profile` the names,
    /// `email` the address and whether its owner verified it. `acr` says whether a
    /// second factor was used.
    func idToken(
        for grant: AuthorizationGrant, user: User, accessToken: String, with pair: (id: String, key: SigningKey)
    ) throws -> String {
        let now = tokens.clock()
        let profile = grant.scopes.contains("profile")
        let email = grant.scopes.contains("email")
        let claims = IDTokenClaims(
            issuer: issuer, subject: String(user.id), audience: grant.clientID, expiresAt: now + tokens.lifetime,
            issuedAt: now, authTime: grant.authTime, nonce: grant.nonce,
            accessTokenHash: try IDToken.accessTokenHash(accessToken, signedWith: pair.key.algorithm),
            methods: grant.methods,
            authenticationClass: grant.methods.contains("otp") ? Self.acrSecondFactor : Self.acrPassword,
            roles: grant.scopes.contains("roles") ? user.roles : nil, name: profile ? user.username : nil,
            preferredUsername: profile ? user.username : nil,
            email: email ? user.email : nil, emailVerified: email ? user.emailVerified : nil,
            sessionID: grant.ssoSessionID.map(SSOSession.sid(of:)))
        return try IDToken.sign(claims, with: pair)
    }

    /// `acr` values: a password alone, or a password and a one-time code.
    public static let acrPassword = "urn:authd:acr:password"
    public static let acrSecondFactor = "urn:authd:acr:password+otp"
}

/// OpenID Connect Core §5.3: the claims about the user an access token's scopes let its client
/// read. `sub` always; `roles`: the roles; `profile`: `name`, `preferred_username`; `email`:
/// `email`, `email_verified` (true once the owner proved the address, e.g. by the mailed link).
public struct UserInfo: Hashable, Sendable {
    public var subject: String
    public var roles: [String]?
    public var name: String?
    public var preferredUsername: String?
    public var email: String?
    public var emailVerified: Bool?
}

extension OAuthService {
    /// The user behind an access token issued with `openid` (`forbidden` otherwise: RFC 6750's
    /// insufficient_scope), checked as every token is, from memory. Only the address needs the
    /// account read (it is not in the token); a deleted account is `tokenRevoked` already.
    public func userInfo(accessToken: String) async throws -> UserInfo {
        let claims = try tokens.authorize(accessToken: accessToken, for: .userInfo, requiring: .scope("openid"))
        guard let userID = Int64(claims.subject) else { throw AuthError(.forbidden, "a client's own token") }
        var info = UserInfo(subject: claims.subject, roles: claims.scopes.contains("roles") ? claims.roles : nil)
        if claims.scopes.contains("profile") {
            info.name = claims.name
            info.preferredUsername = claims.name
        }
        if claims.scopes.contains("email") {
            guard let user = try await users.find(id: userID) else {
                throw AuthError(.tokenRevoked, "the account no longer exists")
            }
            info.email = user.email
            info.emailVerified = user.emailVerified
        }
        return info
    }
}
