import AuthCore
import AuthCrypto
import AuthTelemetry
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `POST /oauth2/token`, `/oauth2/introspect` and `/oauth2/revoke`: form bodies in, the RFCs' own
/// JSON out (RFC 6749 §5, RFC 7662 §2.2, RFC 7009 §2.2), errors as RFC 6749 §5.2 says, never
/// authd's `{"error":{…}}` shape: OAuth clients parse the standard one. Every answer is
/// `Cache-Control: no-store`.
extension HTTPFrontEnd {
    func addOAuthRoutes(to router: MethodTable) {
        router.post("/oauth2/token") { request, context in
            await oauthAnswer(context) {
                let (form, client) = try await authenticatedClient(
                    request, context,
                    ["grant_type", "scope", "refresh_token", "code", "redirect_uri", "code_verifier", "device_code"],
                    allowingPublic: true)
                switch form["grant_type"] {
                case nil: throw AuthError(.invalidInput, "grant_type is required")
                case GrantType.clientCredentials.rawValue:
                    let issued = try service.oauth.clientCredentials(for: client, scope: form["scope"])
                    return OAuthTokenResponse(issued)
                case GrantType.refreshToken.rawValue:
                    let pair = try await service.oauth.refresh(
                        for: client, refreshToken: form["refresh_token"], scope: form["scope"])
                    return OAuthTokenResponse(pair)
                case GrantType.authorizationCode.rawValue:
                    let exchanged = try await service.oauth.exchange(
                        code: form["code"], redirectURI: form["redirect_uri"], codeVerifier: form["code_verifier"],
                        for: client, source: context.client, userAgent: request.headers[.userAgent])
                    return OAuthTokenResponse(exchanged)
                case GrantType.deviceCode.rawValue:
                    let exchanged = try await service.oauth.exchange(
                        deviceCode: form["device_code"], for: client, source: context.client,
                        userAgent: request.headers[.userAgent])
                    return OAuthTokenResponse(exchanged)
                case let other?:
                    let known = GrantType(rawValue: other) != nil
                    throw AuthError(
                        .unsupportedGrantType, known ? "this grant type is not served here yet" : "unknown grant_type")
                }
            }
        }
        router.get("/oauth2/userinfo") { request, context in
            await userInfoAnswer(context) { try await service.oauth.userInfo(accessToken: try bearerToken(request)) }
        }
        router.post("/oauth2/userinfo") { request, context in
            await userInfoAnswer(context) {
                // RFC 6750 §2.1 and §2.2: the header, or the form body's access_token, never both.
                let header = request.headers[.authorization] == nil ? nil : try? bearerToken(request)
                let isForm = request.headers[.contentType].map(FormBody.isForm) ?? false
                let form =
                    isForm
                    ? try await FormBody.read(
                        request, limit: configuration.maximumBodySize, parameters: ["access_token"])
                    : nil
                switch (header, form?["access_token"]) {
                case (let token?, nil), (nil, let token?): return try await service.oauth.userInfo(accessToken: token)
                case (nil, nil): throw APIError.missingToken
                case (.some, .some): throw AuthError(.invalidInput, "send the token one way: the header or the body")
                }
            }
        }
        router.post("/oauth2/introspect") { request, context in
            await oauthAnswer(context) {
                let (form, client) = try await authenticatedClient(request, context, ["token", "token_type_hint"])
                guard let token = form["token"] else { throw AuthError(.invalidInput, "token is required") }
                return IntrospectionResponse(try service.oauth.introspect(token: token, by: client))
            }
        }
        router.post("/oauth2/revoke") { request, context in
            await oauthAnswer(context) {
                let (form, client) = try await authenticatedClient(request, context, ["token", "token_type_hint"])
                guard let token = form["token"] else { throw AuthError(.invalidInput, "token is required") }
                try await service.oauth.revoke(token: token, by: client)
                return EmptyOAuthResponse()
            }
        }
    }

    /// The form and the client it authenticates, by `client_secret_basic` or `client_secret_post`
    /// (RFC 6749 §2.3.1), never both; or, `allowingPublic`, a public client naming itself with
    /// `client_id` alone (it has no secret: PKCE binds its codes to it, §2.1).
    /// `POST /oauth2/device_authorization` (RFC 8628 §3.1): a device's client asks for a pair of
    /// codes, authenticated as at the token endpoint (a public client names itself). Served with
    /// the portal, whose `/ui/device` is where the person enters the code.
    func addDeviceAuthorizationRoute(to router: MethodTable, portal: PortalService) {
        router.post("/oauth2/device_authorization") { request, context in
            await oauthAnswer(context) {
                let (form, client) = try await authenticatedClient(request, context, ["scope"], allowingPublic: true)
                let started = try await service.oauth.authorizeDevice(client: client, scope: form["scope"])
                return DeviceAuthorizationJSON(
                    started, page: AuthorizationServerMetadata.base(portal.issuer) + Self.devicePage(userCode: nil))
            }
        }
    }

    /// `POST /oauth2/par` (RFC 9126 §2): a client pushes its authorization request, authenticated
    /// as at the token endpoint (a public client names itself), and gets `201` with the
    /// `request_uri` to send the browser to `/oauth2/authorize` with, and `expires_in`.
    func addPushedRequestRoute(to router: MethodTable, portal: PortalService) {
        router.post("/oauth2/par") { request, context in
            var response = await oauthAnswer(context) {
                let (form, client) = try await authenticatedClient(
                    request, context, Self.authorizeParameters.subtracting(["authz"]), allowingPublic: true)
                let pushed = try await portal.push(Self.parameters(form), client: client)
                return PushedRequestJSON(requestURI: pushed.requestURI, expiresIn: pushed.expiresIn)
            }
            if response.status == .ok { response.status = .created }
            return response
        }
    }

    private func authenticatedClient(
        _ request: Request, _ context: AuthRequestContext, _ parameters: Set<String>, allowingPublic: Bool = false
    ) async throws -> (FormBody, OAuthClient) {
        let form = try await FormBody.read(
            request, limit: configuration.maximumBodySize, parameters: parameters.union(["client_id", "client_secret"]))
        // Only a Basic header authenticates a client; another scheme (a user's Bearer token) is not
        // client authentication and is ignored here.
        let header = request.headers[.authorization].flatMap { $0.lowercased().hasPrefix("basic ") ? $0 : nil }
        let posted = (form["client_id"], form["client_secret"])
        let credentials: (id: String, secret: String)
        switch (header, posted) {
        case (let header?, (nil, nil)):
            guard let basic = Self.basicCredentials(header) else {
                throw AuthError(.invalidClient, "the Basic credentials are malformed")
            }
            credentials = basic
        case (nil, (let id?, let secret?)):
            credentials = (id, secret)
        case (nil, (let id?, nil)) where allowingPublic:
            return (form, try await service.oauth.publicClient(id: id, source: context.client))
        case (nil, (nil, nil)):
            throw AuthError(.invalidClient, "client authentication is required")
        case (nil, _):
            throw AuthError(.invalidClient, "client_secret_post needs client_id and client_secret")
        case (.some, _):
            throw AuthError(.invalidInput, "authenticate the client one way: the Authorization header or the body")
        }
        let client = try await service.oauth.authenticate(
            clientID: credentials.id, secret: credentials.secret, source: context.client)
        return (form, client)
    }

    /// RFC 6749 §2.3.1: `Basic base64(form-encoded id ":" form-encoded secret)`, padded as RFC 7617
    /// writes it (or unpadded).
    public static func basicCredentials(_ header: String) -> (id: String, secret: String)? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic" else { return nil }
        let encoded = parts[1].trimmingSpaces
        let unpadded = encoded.prefix { $0 != "=" }
        let padding = encoded.count - unpadded.count
        guard padding <= 2, padding == 0 || encoded.count % 4 == 0, encoded.suffix(padding).allSatisfy({ $0 == "=" }),
            let decoded = Base64.standard.decode(unpadded),
            let colon = decoded.firstIndex(of: UInt8(ascii: ":")),
            let id = FormBody.decode(decoded[..<colon]), let secret = FormBody.decode(decoded[(colon + 1)...])
        else { return nil }
        return (id, secret)
    }

    /// Runs an OAuth route, answering its failures in RFC 6749 §5.2's shape.
    private func oauthAnswer(
        _ context: AuthRequestContext, _ body: () async throws -> some Encodable & Sendable
    ) async -> Response {
        do {
            return Self.json(.ok, try await body())
        } catch let refusal as FormBody.Refusal {
            return Self.json(refusal.status, OAuthErrorResponse(error: "invalid_request", description: refusal.message))
        } catch let refusal as AuthorizationRefusal {
            // A pushed request refused as the authorization endpoint would refuse it (RFC 9126 §2.3).
            return switch refusal {
            case .page(let error):
                Self.json(.badRequest, OAuthErrorResponse(error: "invalid_request", description: error.message))
            case .redirect(let error):
                Self.json(.badRequest, OAuthErrorResponse(error: error.code.rawValue, description: error.description))
            }
        } catch let error as AuthError {
            let (status, code) = Self.oauthStatus(error.code)
            if status.code >= 500 {
                context.logger.log(
                    level: error.code == .internal ? .error : .warning, "request failed",
                    metadata: ["error": "\(error)", "status": "\(status.code)"])
            }
            var response = Self.json(
                status, OAuthErrorResponse(error: code, description: error.code == .internal ? nil : error.message))
            if status == .unauthorized { response.headers[.wwwAuthenticate] = #"Basic realm="authd""# }
            if status == .tooManyRequests || status == .serviceUnavailable { response.headers[.retryAfter] = "1" }
            return response
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return Self.json(.internalServerError, OAuthErrorResponse(error: "server_error", description: nil))
        }
    }

    /// Runs the userinfo route, answering failures as RFC 6750 §3 says: 401 with a Bearer
    /// challenge for a missing or bad token, 403 insufficient_scope without `openid`.
    private func userInfoAnswer(_ context: AuthRequestContext, _ body: () async throws -> UserInfo) async -> Response {
        let error: String
        let status: HTTPResponse.Status
        var description: String?
        do {
            return Self.json(.ok, UserInfoResponse(try await body()))
        } catch let refusal as FormBody.Refusal {
            (status, error, description) = (refusal.status, "invalid_request", refusal.message)
        } catch let refusal as APIError where refusal.status == .unauthorized {
            (status, error, description) = (.unauthorized, "invalid_token", "a Bearer access token is required")
        } catch let failure as AuthError {
            description = failure.message
            switch failure.code {
            case .forbidden: (status, error) = (.forbidden, "insufficient_scope")
            case .busy, .unavailable: (status, error) = (.serviceUnavailable, "temporarily_unavailable")
            case .invalidInput: (status, error) = (.badRequest, "invalid_request")
            case .invalidDPoPProof, .useDPoPNonce: (status, error) = (.unauthorized, failure.code.rawValue)
            case .internal:
                context.logger.error("request failed", metadata: ["error": "\(failure)"])
                return Self.json(.internalServerError, OAuthErrorResponse(error: "server_error", description: nil))
            // Every refusal of the token, and what a token use case cannot raise, as RFC 6750 says.
            case .invalidToken, .tokenExpired, .tokenRevoked, .invalidCredentials, .accountDenied, .notFound,
                .usernameTaken, .emailTaken, .weakPassword, .unknownService, .rateLimited, .invalidRefreshToken,
                .wrongPassword, .conflict, .invalidMFAToken, .invalidCode, .mfaAlreadyEnabled, .mfaNotEnabled,
                .mfaNotPending, .mfaUnavailable, .unknownRole, .roleExists, .roleInUse, .builtinRole, .lastAdmin,
                .clientExists, .invalidClientMetadata, .invalidClient, .invalidGrant, .invalidScope,
                .unauthorizedClient, .unsupportedGrantType, .authorizationPending, .slowDown, .accessDenied,
                .expiredToken, .invalidResetToken, .mailUnavailable,
                .invalidVerificationToken, .invalidInvitation, .emailUnverified, .invalidPasskey:
                (status, error) = (.unauthorized, "invalid_token")
            }
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return Self.json(.internalServerError, OAuthErrorResponse(error: "server_error", description: nil))
        }
        var response = Self.json(status, OAuthErrorResponse(error: error, description: description))
        switch status {
        case .unauthorized, .forbidden:
            response.headers[.wwwAuthenticate] = #"Bearer realm="authd", error="\#(error)""#
        case .serviceUnavailable: response.headers[.retryAfter] = "1"
        default: break
        }
        return response
    }

    /// The one place AuthCore's codes become RFC 6749 §5.2 errors.
    static func oauthStatus(_ code: AuthError.Code) -> (HTTPResponse.Status, String) {
        switch code {
        case .invalidClient: (.unauthorized, code.rawValue)
        case .invalidGrant, .invalidScope, .unauthorizedClient, .unsupportedGrantType, .authorizationPending, .slowDown,
            .accessDenied, .expiredToken, .invalidDPoPProof, .useDPoPNonce:
            (.badRequest, code.rawValue)
        case .invalidRefreshToken, .invalidToken, .tokenExpired, .tokenRevoked: (.badRequest, "invalid_grant")
        case .rateLimited: (.tooManyRequests, "temporarily_unavailable")
        case .busy, .unavailable, .mfaUnavailable: (.serviceUnavailable, "temporarily_unavailable")
        case .internal: (.internalServerError, "server_error")
        case .invalidInput, .usernameTaken, .emailTaken, .weakPassword, .invalidCredentials, .accountDenied,
            .unknownService, .wrongPassword, .conflict, .invalidMFAToken, .invalidCode, .mfaAlreadyEnabled,
            .mfaNotEnabled, .mfaNotPending, .forbidden, .notFound, .unknownRole, .roleExists, .roleInUse,
            .builtinRole, .lastAdmin, .clientExists, .invalidClientMetadata, .invalidResetToken, .mailUnavailable,
            .invalidVerificationToken, .invalidInvitation, .emailUnverified, .invalidPasskey:
            (.badRequest, "invalid_request")
        }
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let body: ByteBuffer
        if let written = value as? any WritesOwnJSON {
            body = ByteBuffer(bytes: written.json())
        } else {
            body = ByteBuffer(bytes: (try? encoder().encode(value)) ?? Data("{}".utf8))
        }
        return Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: body))
    }

    /// How these routes write JSON: keys sorted, slashes as they are.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// An answer on a hot path that writes its JSON itself: the document `HTTPFrontEnd.encoder()`
/// writes from its `Encodable` conformance (tested to parse the same), without the encoder.
protocol WritesOwnJSON {
    func json() -> [UInt8]
}

/// RFC 6749 §5.1.
struct OAuthTokenResponse: Encodable, Sendable {
    let accessToken: String
    /// RFC 9449 §5: `DPoP` for a token bound to a key.
    let tokenType: String
    let expiresIn: Int64
    let scope: String?
    let refreshToken: String?
    /// OpenID Connect Core §3.1.3.3, when the code was for `openid`.
    var idToken: String? = nil

    init(_ issued: IssuedAccessToken) {
        accessToken = issued.token
        tokenType = issued.claims.confirmation == nil ? "Bearer" : "DPoP"
        expiresIn = issued.expiresIn
        scope = issued.claims.scope
        refreshToken = nil
    }

    /// A code exchanged: the session's pair and the scopes granted (RFC 6749 §5.1).
    init(_ exchanged: CodeExchange) {
        accessToken = exchanged.tokens.accessToken
        tokenType = exchanged.tokens.tokenType
        expiresIn = exchanged.tokens.expiresIn
        scope = exchanged.grant.scopes.joined(separator: " ")
        refreshToken = exchanged.tokens.refreshToken
        idToken = exchanged.idToken
    }

    /// A rotated pair. No `scope`: it is what was asked for, or the session's (RFC 6749 §5.1 asks
    /// for it only when it differs from the request).
    init(_ pair: SessionTokens) {
        accessToken = pair.accessToken
        tokenType = pair.tokenType
        expiresIn = pair.expiresIn
        scope = nil
        refreshToken = pair.refreshToken
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in", scope
        case refreshToken = "refresh_token", idToken = "id_token"
    }
}

/// OpenID Connect Core §5.3.2.
struct UserInfoResponse: Encodable, Sendable {
    let sub: String
    let roles: [String]?
    let name: String?
    let preferredUsername: String?
    let email: String?
    let emailVerified: Bool?

    init(_ info: UserInfo) {
        sub = info.subject
        roles = info.roles
        name = info.name
        preferredUsername = info.preferredUsername
        email = info.email
        emailVerified = info.emailVerified
    }

    enum CodingKeys: String, CodingKey {
        case sub, roles, name, email
        case preferredUsername = "preferred_username", emailVerified = "email_verified"
    }
}

/// RFC 6749 §5.2.
struct OAuthErrorResponse: Encodable, Sendable {
    let error: String
    let description: String?

    enum CodingKeys: String, CodingKey {
        case error, description = "error_description"
    }
}

/// RFC 7662 §2.2: `{"active": false}` and nothing else for a token that is not valid.
struct IntrospectionResponse: Encodable, Sendable {
    let claims: AccessTokenClaims?

    init(_ claims: AccessTokenClaims?) { self.claims = claims }

    enum CodingKeys: String, CodingKey {
        case active, scope, clientID = "client_id", username, tokenType = "token_type", exp, iat, nbf, sub, aud
        case iss, jti, roles, sid, cnf
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(claims != nil, forKey: .active)
        guard let claims else { return }
        try c.encodeIfPresent(claims.scope, forKey: .scope)
        try c.encodeIfPresent(claims.clientID, forKey: .clientID)
        if claims.kind != .client { try c.encode(claims.name, forKey: .username) }
        try c.encode(claims.confirmation == nil ? "Bearer" : "DPoP", forKey: .tokenType)
        try c.encode(claims.expiresAt, forKey: .exp)
        try c.encode(claims.issuedAt, forKey: .iat)
        try c.encodeIfPresent(claims.notBefore, forKey: .nbf)
        try c.encode(claims.subject, forKey: .sub)
        if claims.audience.count == 1 {
            try c.encode(claims.audience[0], forKey: .aud)
        } else {
            try c.encode(claims.audience, forKey: .aud)
        }
        try c.encode(claims.issuer, forKey: .iss)
        try c.encode(claims.id, forKey: .jti)
        try c.encode(claims.roles, forKey: .roles)
        try c.encodeIfPresent(claims.sessionID, forKey: .sid)
        // RFC 9449 §6.2: the key a bound token is bound to, for the resource server to check.
        try c.encodeIfPresent(claims.confirmation.map { ["jkt": $0] }, forKey: .cnf)
    }
}

/// Resource servers introspect on every request they serve: the same document, keys in sorted
/// order, written directly.
extension IntrospectionResponse: WritesOwnJSON {
    func json() -> [UInt8] {
        guard let claims else { return Array(#"{"active":false}"#.utf8) }
        var json: [UInt8] = []
        json.reserveCapacity(512)
        func key(_ name: String) {
            json.append(UInt8(ascii: json.isEmpty ? "{" : ","))
            json.append(UInt8(ascii: "\""))
            json.append(contentsOf: name.utf8)
            json.append(contentsOf: #"":"#.utf8)
        }
        func string(_ name: String, _ value: String?) {
            guard let value else { return }
            key(name)
            JSONString.append(value, to: &json)
        }
        func number(_ name: String, _ value: Int64?) {
            guard let value else { return }
            key(name)
            json.append(contentsOf: String(value).utf8)
        }
        key("active")
        json.append(contentsOf: "true".utf8)
        if claims.audience.count == 1 {
            string("aud", claims.audience[0])
        } else {
            key("aud")
            JSONString.append(array: claims.audience, to: &json)
        }
        string("client_id", claims.clientID)
        if let jkt = claims.confirmation {
            key("cnf")
            json.append(contentsOf: #"{"jkt":"#.utf8)
            JSONString.append(jkt, to: &json)
            json.append(UInt8(ascii: "}"))
        }
        number("exp", claims.expiresAt)
        number("iat", claims.issuedAt)
        string("iss", claims.issuer)
        string("jti", claims.id)
        number("nbf", claims.notBefore)
        key("roles")
        JSONString.append(array: claims.roles, to: &json)
        string("scope", claims.scope)
        string("sid", claims.sessionID)
        string("sub", claims.subject)
        string("token_type", claims.confirmation == nil ? "Bearer" : "DPoP")
        if claims.kind != .client { string("username", claims.name) }
        json.append(UInt8(ascii: "}"))
        return json
    }
}

/// RFC 7009 §2.2: 200 with an empty body; `{}` keeps every answer of these routes JSON.
struct EmptyOAuthResponse: Encodable, Sendable {}

/// RFC 8628 §3.2's answer. The user code is shown with a dash (the page takes it either way).
struct DeviceAuthorizationJSON: ResponseEncodable {
    let deviceCode: String
    let userCode: String
    let verificationURI: String
    let verificationURIComplete: String
    let expiresIn: Int64
    let interval: Int64

    init(_ started: DeviceAuthorizationResponse, page: String) {
        deviceCode = started.deviceCode
        userCode = DeviceCode.display(started.userCode)
        verificationURI = page
        verificationURIComplete = page + "?user_code=" + started.userCode
        expiresIn = started.expiresIn
        interval = started.interval
    }

    enum CodingKeys: String, CodingKey {
        case deviceCode = "device_code", userCode = "user_code", verificationURI = "verification_uri"
        case verificationURIComplete = "verification_uri_complete", expiresIn = "expires_in", interval
    }
}

/// RFC 9126 §2.2's answer.
struct PushedRequestJSON: ResponseEncodable {
    let requestURI: String
    let expiresIn: Int64

    enum CodingKeys: String, CodingKey {
        case requestURI = "request_uri", expiresIn = "expires_in"
    }
}
