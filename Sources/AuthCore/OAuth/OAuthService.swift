public import AuthCrypto
import Logging

/// The OAuth 2 token endpoint's use cases (RFC 6749, 7662, 7009): client authentication, the
/// client-credentials grant, introspection and revocation. Front ends parse the form and speak the
/// RFCs' shapes; every decision is made here.
public struct OAuthService: Sendable {
    let clients: any ClientStore
    let codes: any AuthorizationCodeStore
    let users: any UserStore
    let tokens: TokenAuthority
    let sessions: SessionService
    let limits: LoginLimits
    /// `oauth.scopes`: a scope leaves the set, and no client gets it any more.
    let scopes: Set<String>
    /// `oauth.issuer`: ID tokens' `iss`.
    let issuer: String
    let revocations: RevocationState
    let logger: Logger

    init(
        scopes: Set<String>, issuer: String, dependencies: AuthDependencies, tokens: TokenAuthority,
        sessions: SessionService, limits: LoginLimits
    ) {
        self.issuer = issuer
        self.clients = dependencies.clients
        self.codes = dependencies.codes
        self.users = dependencies.users
        self.tokens = tokens
        self.sessions = sessions
        self.limits = limits
        self.scopes = scopes
        self.revocations = dependencies.revocations
        self.logger = dependencies.logger
    }

    /// The configured scopes, sorted, for the server's metadata.
    public var supportedScopes: [String] { scopes.sorted() }

    static let invalidClient = AuthError(.invalidClient, "client authentication failed")

    /// A confidential, enabled client whose secret is `secret`. Unknown client, wrong secret,
    /// disabled or public client: the same `invalidClient` after the same work (one lookup and one
    /// constant-time comparison). Attempts spend the per-address limit, and failures a budget of
    /// the client's from that address group (as the lockout counts a login's per account and
    /// address): whoever guesses secrets shuts out only their own address, never the client
    /// calling with the right secret from its own. A secret of 256 random bits needs no
    /// budget shared by every address to stay unguessable.
    public func authenticate(clientID: String, secret: String, source: String? = nil) async throws -> OAuthClient {
        try limits.spendAttempt(from: source)
        let wellFormed = Identity.isRoleName(clientID)
        let key = "client:\(clientID.prefix(64))@\(source.map(limits.grouping.key) ?? "")"
        try limits.requireAccountBudget(key)
        let credential = wellFormed && secret.utf8.count <= 256 ? try await clients.credential(id: clientID) : nil
        let matches = ClientSecret.matches(secret, storedHash: credential?.secretHash)
        guard matches, let client = credential?.client, !client.disabled, client.type == .confidential else {
            limits.chargeFailure(key)
            // Only an id that could be one goes to the log: the rest is whatever the request said.
            logger.info(
                "client authentication failed", metadata: ["client_id": "\(wellFormed ? clientID : "(malformed)")"])
            throw Self.invalidClient
        }
        return client
    }

    /// RFC 6749 §4.4: a token for the client itself, with the scopes asked for (all it may have when
    /// `scope` is absent). No refresh token (§4.4.3): the client asks again.
    public func clientCredentials(for client: OAuthClient, scope: String?) throws -> IssuedAccessToken {
        guard client.grantTypes.contains(.clientCredentials) else {
            throw AuthError(.unauthorizedClient, "this client may not use the client_credentials grant")
        }
        let granted = try OAuthScope.granted(scope, allowed: Set(client.scopes).intersection(scopes))
        let issued = try tokens.issue(for: client, scopes: granted)
        logger.info("client token issued", metadata: ["client_id": "\(client.id)", "jti": "\(issued.claims.id)"])
        return issued
    }

    /// RFC 6749 §6: a new pair for a refresh token of a session opened through this client, rotated
    /// as `POST /token/refresh` rotates a login's. Any other refresh token (a login's, another
    /// client's, an unknown, rotated or ended one) is `invalidGrant`, and another client's is left
    /// as it was. `scope` may narrow the new access token within what the session was granted.
    public func refresh(for client: OAuthClient, refreshToken: String?, scope: String?) async throws -> SessionTokens {
        guard client.grantTypes.contains(.refreshToken) else {
            throw AuthError(.unauthorizedClient, "this client may not use the refresh_token grant")
        }
        guard let refreshToken else { throw AuthError(.invalidInput, "refresh_token is required") }
        let narrowed: [String]?
        if let scope, !scope.isEmpty {
            narrowed = try OAuthScope.tokens(in: scope)
        } else {
            narrowed = nil
        }
        do {
            return try await sessions.refresh(refreshToken: refreshToken, client: client, scopes: narrowed)
        } catch let error as AuthError where error.code == .invalidRefreshToken {
            throw AuthError(.invalidGrant, "refresh token is invalid, expired, revoked or another client's")
        }
    }

    /// RFC 7662: the token's claims while it is valid and unrevoked, decided from memory as VERIFY
    /// is, asked by the client the token was issued to, or by a resource server (a client allowed
    /// `introspection`) about a token `TokenPolicy` lets resource servers see (never another
    /// client's delegated token); nil (`"active": false`) for anything else: expired, revoked,
    /// malformed, not authd's, somebody else's. `unavailable` while the revocation state is stale
    /// (fail closed), as for every check.
    public func introspect(token: String, by client: OAuthClient) throws(AuthError) -> AccessTokenClaims? {
        do {
            let claims = try tokens.authorizeAnyKind(accessToken: token)
            if claims.clientID == client.id { return claims }
            guard client.mayIntrospect, TokenPolicy.accepts(claims, for: .introspection) else { return nil }
            return claims
        } catch  where error.code == .unavailable {
            throw error
        } catch {
            return nil
        }
    }

    /// RFC 7009: revokes an access token issued to `client`, on every instance, until it would
    /// have expired; or ends the session of one of its refresh tokens (and so every access token
    /// the session issued). Anything else (expired, malformed, another client's or a login's) is
    /// left alone and answered the same, so the endpoint tells nothing. `token_type_hint` is not
    /// needed: the two kinds cannot be mistaken for each other.
    public func revoke(token: String, by client: OAuthClient) async throws {
        if try await sessions.revoke(refreshToken: token, by: client) {
            logger.info("session ended by its client's revocation", metadata: ["client_id": "\(client.id)"])
            return
        }
        guard let claims = try? tokens.verify(accessToken: token), claims.clientID == client.id else { return }
        revocations.apply(try await clients.revoke(tokenID: claims.id, expiresAt: claims.expiresAt).revocations)
        logger.info("token revoked by its client", metadata: ["client_id": "\(client.id)", "jti": "\(claims.id)"])
    }
}
