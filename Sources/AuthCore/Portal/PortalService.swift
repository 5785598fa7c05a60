public import AuthCrypto
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How a portal sign-in went: signed in (the cookie to set), or a second step for an account
/// with MFA (the challenge to carry to the one-time-code page).
public enum PortalSignIn: Hashable, Sendable {
    case signedIn(cookie: String, SSOSession)
    case secondFactorRequired(challenge: String)
}

/// The browser portal's use cases: sign-in through the `http` stack (lockout, rate limits, MFA;
/// the same refusal for an unknown user and a wrong password), the SSO session a cookie stands
/// for, sign-out, consent, and the authorization endpoint's next step. The HTML front end only
/// renders what these decide.
public struct PortalService: Sendable {
    let auth: AuthService
    let store: any PortalStore
    /// `oidc.*`: consent, and the nginx portal flow's cookie domain and return hosts.
    public let policy: PortalPolicy
    let logger: Logger

    public init(auth: AuthService, store: any PortalStore, policy: PortalPolicy = .init()) {
        self.auth = auth
        self.store = store
        self.policy = policy
        self.logger = auth.logger
    }

    /// Seals pending authorization requests; derived from the JWT secret like the MFA challenges.
    public var keyring: JWTKeyring { auth.tokens.codec.keyring }
    /// Unix seconds, on the service's clock.
    public var now: Int64 { auth.tokens.clock() }
    /// `oauth.issuer`: the `iss` parameter of authorization responses (RFC 9207).
    public var issuer: String { auth.oauth.issuer }

    /// The authorization request checked against its client (`AuthorizationRules`), looked up
    /// when its id is well-formed.
    public func check(_ parameters: AuthorizationParameters) async throws
        -> Result<AuthorizationRequest, AuthorizationRefusal>
    {
        var client: OAuthClient?
        if let id = parameters.clientID { client = try await self.client(id: id) }
        return AuthorizationRules.check(
            parameters, client: client, configuredScopes: auth.oauth.scopes,
            requirePushed: policy.requirePushedRequests)
    }

    /// A client's name for the pages; nil for no such client.
    public func clientName(id: String) async throws -> String? {
        try await client(id: id)?.name
    }

    /// The client `id` names; nil when it is malformed or unknown (never a query for a malformed one).
    func client(id: String) async throws -> OAuthClient? {
        guard Identity.isRoleName(id) else { return nil }
        return try await auth.oauth.clients.client(id: id)
    }

    /// 256 random bits, base64url: 43 characters. Only its SHA-256 is stored.
    static let cookieLength = 43

    /// The sign-in form: the `http` stack, as `POST /login` runs it. The session it opens is the
    /// SSO session's; its tokens never leave the server. The browser's previous SSO session
    /// (`replacing`, its cookie) ends once the new one is open.
    public func signIn(
        username: String, password: String, source: String?, userAgent: String?, replacing previous: String? = nil
    ) async throws -> PortalSignIn {
        try await signIn(
            try await auth.login(username: username, password: password, source: source, userAgent: userAgent),
            methods: ["pwd"], replacing: previous)
    }

    /// A login another use case made (sign-in by mail: `methods` `["email"]`) as the browser's SSO
    /// session, or the challenge of its second step.
    public func signIn(_ outcome: LoginOutcome, methods: [String], replacing previous: String? = nil) async throws
        -> PortalSignIn
    {
        switch outcome {
        case .session(let tokens): try await open(tokens, methods: methods, replacing: previous)
        case .secondFactorRequired(let challenge, _): .secondFactorRequired(challenge: challenge)
        }
    }

    /// The one-time-code page: a TOTP or recovery code for the challenge `signIn` returned.
    public func completeSignIn(
        challenge: String, code: String, source: String?, userAgent: String?, replacing previous: String? = nil
    ) async throws -> PortalSignIn {
        let tokens = try await auth.completeLogin(
            challenge: challenge, code: code, source: source, userAgent: userAgent)
        return try await open(tokens, methods: ["pwd", "otp"], replacing: previous)
    }

    private func open(_ tokens: SessionTokens, methods: [String], replacing previous: String?) async throws
        -> PortalSignIn
    {
        let claims = try auth.tokens.authorize(accessToken: tokens.accessToken, for: .account)
        guard let userID = Int64(claims.subject) else { throw AuthError(.internal, "a login's token names no user") }
        let cookie = Base64.url.encode(try SecureRandom.bytes(32))
        let session = SSOSession(
            sessionID: tokens.sessionID, userID: userID, authTime: claims.issuedAt, methods: methods)
        try await store.create(ssoHash: try Self.hash(cookie), session)
        logger.info("portal sign-in", metadata: ["user_id": "\(userID)"])
        try await signOut(cookie: previous)
        return .signedIn(cookie: cookie, session)
    }

    /// The SSO session behind a cookie, with its account: nil for a malformed, unknown or ended one
    /// (the authd session revoked or expired, the account disabled or deleted, or unused for
    /// longer than `oidc.sso_idle_timeout_seconds`, which ends it and its authd session).
    public func session(cookie: String?) async throws -> (session: SSOSession, user: User)? {
        guard let cookie, Identity.isBase64URL(cookie, lengths: Self.cookieLength...Self.cookieLength) else {
            return nil
        }
        let hash = try Self.hash(cookie)
        guard let (session, user) = try await store.sso(hash: hash) else { return nil }
        let now = auth.tokens.clock()
        if session.isIdle(now: now, timeout: policy.ssoIdleTimeout) {
            try await end(session, hash: hash)
            logger.info("portal session ended: idle", metadata: ["user_id": "\(session.userID)"])
            return nil
        }
        if session.needsTouch(now: now) { try await store.touch(ssoHash: hash) }
        return (session, user)
    }

    /// Ends the cookie's SSO session and the authd session under it, on every instance (the
    /// sessions clients were issued in it end too, and those with a back-channel URI are told).
    /// Returns what the signed-out page loads in iframes (OpenID Connect Front-Channel Logout 1.0
    /// §2): each front-channel URI of a client issued a session in it, with `iss` and `sid`.
    @discardableResult
    public func signOut(cookie: String?) async throws -> [String] {
        guard let (session, _) = try await self.session(cookie: cookie), let cookie else { return [] }
        let clientIDs = try await store.clients(issuedIn: session.sessionID)
        try await end(session, hash: try Self.hash(cookie))
        logger.info("portal sign-out", metadata: ["user_id": "\(session.userID)"])
        var frontChannel: [String] = []
        for id in clientIDs {
            guard let uri = try await client(id: id)?.logout.frontChannel else { continue }
            frontChannel.append(
                URLEncoding.adding([("iss", issuer), ("sid", SSOSession.sid(of: session.sessionID))], to: uri))
        }
        return frontChannel
    }

    /// Ends the SSO sessions that lapsed unused (idle past `oidc.sso_idle_timeout_seconds`, or
    /// past their absolute end), telling their clients, a batch at a time until none is left; how
    /// many it removed. Every instance runs it now and then (`LapsedSessionSweep`).
    @discardableResult
    public func endLapsedSessions(batch: Int = 100) async throws -> Int {
        var total = 0
        while true {
            let changed = try await store.endLapsed(idleTimeout: policy.ssoIdleTimeout, limit: batch)
            auth.tokens.revocations.apply(changed.revocations)
            total += changed.value
            if changed.value < batch { break }
        }
        if total > 0 { logger.info("lapsed SSO sessions removed", metadata: ["count": "\(total)"]) }
        return total
    }

    private func end(_ session: SSOSession, hash: String) async throws {
        try await auth.sessions.end(sessionID: session.sessionID, of: session.userID)
        try await store.delete(ssoHash: hash)
    }

    /// The nginx portal flow: an access token of the cookie's SSO session (its authd session, so
    /// it is revoked with it) for the `access_token` cookie applications behind nginx receive;
    /// nil when the browser is not signed in.
    public func accessToken(cookie: String?) async throws -> IssuedAccessToken? {
        guard let (session, user) = try await self.session(cookie: cookie) else { return nil }
        return try auth.tokens.issue(for: user, sessionID: session.sessionID)
    }

    /// What the authorization endpoint does next for `request` in this browser; a code when
    /// nothing needs asking.
    public func authorize(_ request: AuthorizationRequest, cookie: String?, interaction: Interaction = .init())
        async throws
        -> (step: AuthorizationStep, code: String?)
    {
        let current = try await session(cookie: cookie)
        var consent: Consent?
        if let current { consent = try await store.consent(userID: current.user.id, clientID: request.client.id) }
        let step = AuthorizationPolicy.next(
            for: request, session: current?.session, consent: consent, interaction: interaction,
            consentMode: policy.consent, now: auth.tokens.clock())
        guard case .issueCode(let session) = step, let user = current?.user else { return (step, nil) }
        let code = try await auth.oauth.issueCode(
            for: request, user: user, authTime: session.authTime, methods: session.methods,
            ssoSessionID: session.sessionID)
        return (step, code)
    }

    /// The signed-in user and their consents, for the page that revokes them; nil when not signed in.
    public func consents(cookie: String?) async throws -> (user: User, consents: [Consent])? {
        guard let (_, user) = try await session(cookie: cookie) else { return nil }
        return (user, try await store.consents(userID: user.id))
    }

    /// Forgets a consent: the client asks again at its next sign-in. `notFound` when there was none.
    public func revokeConsent(clientID: String, cookie: String?) async throws {
        guard let (_, user) = try await session(cookie: cookie) else {
            throw AuthError(.invalidCredentials, "sign in first")
        }
        try await withdraw(clientID: clientID, userID: user.id)
    }

    /// The JSON API's consents: the token's user's, for a token of their own (not one an OAuth
    /// client holds for them, which must not withdraw what the user granted).
    public func consents(accessToken: String) async throws -> [Consent] {
        try await store.consents(userID: try ownUser(accessToken))
    }

    /// Withdraws the token's user's consent for `clientID`; `notFound` when there was none.
    public func revokeConsent(clientID: String, accessToken: String) async throws {
        try await withdraw(clientID: clientID, userID: try ownUser(accessToken))
    }

    private func withdraw(clientID: String, userID: Int64) async throws {
        let none = AuthError(.notFound, "no consent for that client")
        guard Identity.isRoleName(clientID) else { throw none }
        guard try await store.revokeConsent(userID: userID, clientID: clientID) else { throw none }
        logger.info("consent withdrawn", metadata: ["user_id": "\(userID)", "client_id": "\(clientID)"])
    }

    private func ownUser(_ accessToken: String) throws -> Int64 {
        let claims = try auth.tokens.authorize(accessToken: accessToken, for: .account)
        guard claims.clientID == nil, let userID = Int64(claims.subject) else {
            throw AuthError(.forbidden, "consents are managed with the user's own token, not a client's")
        }
        return userID
    }

    static func hash(_ cookie: String) throws -> String {
        try Digest.sha256Hex(Array(cookie.utf8))
    }
}

/// OpenID Connect RP-Initiated Logout 1.0: where the browser goes once signed out.
public struct LogoutRequest: Hashable, Sendable {
    public var client: OAuthClient?
    /// A redirect URI the client registered (authd takes its redirect URIs as its post-logout
    /// ones too), or nil for the signed-out page.
    public var postLogoutRedirectURI: String?
    public var state: String?
    /// Why the browser is not sent back (an unregistered URI, a hint authd did not sign, an
    /// unknown client): the sign-out is still offered and ends on the signed-out page.
    public var refusal: String?
}

extension PortalService {
    /// Checks a logout request: `id_token_hint` must be an ID token authd signed (expired is
    /// fine) and name the same client as `client_id`; `post_logout_redirect_uri` must be one the
    /// client registered. A request that fails is not redirected anywhere (§3 of the spec), but
    /// the person may still sign out: it comes back without the redirect, saying why.
    public func checkLogout(
        clientID: String?, idTokenHint: String?, postLogoutRedirectURI: String?, state: String?
    ) async throws -> LogoutRequest {
        do {
            return try await validLogout(
                clientID: clientID, idTokenHint: idTokenHint, postLogoutRedirectURI: postLogoutRedirectURI,
                state: state)
        } catch let error as AuthError where error.code == .invalidInput {
            var client: OAuthClient?
            if let clientID, let found = try await self.client(id: clientID), !found.disabled { client = found }
            return LogoutRequest(client: client, postLogoutRedirectURI: nil, state: nil, refusal: error.message)
        }
    }

    private func validLogout(
        clientID: String?, idTokenHint: String?, postLogoutRedirectURI: String?, state: String?
    ) async throws -> LogoutRequest {
        var clientID = clientID
        if let idTokenHint {
            let pairs = keyring.idTokenAlgorithms.compactMap(keyring.idTokenPair(for:))
            guard let claims = pairs.lazy.compactMap({ IDToken.claims(of: idTokenHint, signedBy: $0) }).first,
                claims.issuer == issuer
            else { throw AuthError(.invalidInput, "id_token_hint is not an ID token authd issued") }
            guard clientID == nil || clientID == claims.audience else {
                throw AuthError(.invalidInput, "client_id is not the ID token's audience")
            }
            clientID = claims.audience
        }
        guard (state?.utf8.count ?? 0) <= AuthorizationRules.maximumStateLength else {
            throw AuthError(.invalidInput, "state is too long")
        }
        var client: OAuthClient?
        if let clientID {
            guard let found = try await self.client(id: clientID), !found.disabled else {
                throw AuthError(.invalidInput, "no such client, or it is disabled")
            }
            client = found
        }
        if let postLogoutRedirectURI {
            guard let client, client.redirectURIs.contains(postLogoutRedirectURI) else {
                throw AuthError(.invalidInput, "post_logout_redirect_uri is not one the client registered")
            }
        }
        return LogoutRequest(client: client, postLogoutRedirectURI: postLogoutRedirectURI, state: state)
    }
}
