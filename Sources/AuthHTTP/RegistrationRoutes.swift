import AuthCore
import Hummingbird

/// Dynamic client registration: `POST /oauth2/register` (RFC 7591) behind an initial access token
/// an administrator made (`POST /admin/registration-tokens`, `authctl client registration-token`),
/// and `GET|PUT|DELETE /oauth2/register/{client_id}` (RFC 7592) with the registration access token
/// the registration answered. Errors are RFC 7591's JSON (`invalid_redirect_uri`,
/// `invalid_client_metadata`) or RFC 6750's 401 `invalid_token` for a token that is not valid.
extension HTTPFrontEnd {
    func addRegistrationRoutes(to router: MethodTable, admin: AdminService) {
        router.post("/admin/registration-tokens") { request, context in
            let actor = try actor(request, context, .permission(Permission.clientsWrite))
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["expires_in", "uses"])
            let lifetime = try body.nullableInt("expires_in") ?? nil
            let uses = try body.nullableInt("uses") ?? nil
            let token = try await admin.createRegistrationToken(
                lifetime: lifetime ?? 86400, uses: uses.map { Int(clamping: $0) }, by: actor)
            return EditedResponse(status: .created, response: RegistrationTokenJSON(token: token))
        }
        router.post("/oauth2/register") { request, context in
            await registrationAnswer(.created) {
                let metadata = try await Self.metadata(request, limit: configuration.maximumBodySize)
                let registered = try await admin.registerClient(
                    metadata, initialToken: try bearerToken(request), source: context.client)
                return RegisteredClientJSON(
                    registered.client, secret: registered.secret, authMethod: registered.authMethod,
                    registrationToken: registered.registrationToken, uri: registrationURI(registered.client.id))
            }
        }
        router.get("/oauth2/register/:id") { request, context in
            await registrationAnswer(.ok) {
                let client = try await admin.registeredClient(registrationToken: try bearerToken(request))
                guard try parameter(context, "id") == client.id else { throw Self.notThisClient }
                return RegisteredClientJSON(client, uri: registrationURI(client.id))
            }
        }
        router.put("/oauth2/register/:id") { request, context in
            await registrationAnswer(.ok) {
                let token = try bearerToken(request)
                guard try parameter(context, "id") == (try await admin.registeredClient(registrationToken: token)).id
                else { throw Self.notThisClient }
                let client = try await admin.updateRegisteredClient(
                    try await Self.metadata(request, limit: configuration.maximumBodySize), registrationToken: token)
                return RegisteredClientJSON(client, uri: registrationURI(client.id))
            }
        }
        router.delete("/oauth2/register/:id") { request, context in
            let answer = await registrationAnswer(.ok) {
                let token = try bearerToken(request)
                guard try parameter(context, "id") == (try await admin.registeredClient(registrationToken: token)).id
                else { throw Self.notThisClient }
                try await admin.deleteRegisteredClient(registrationToken: token)
                return RegistrationTokenJSON(token: "")
            }
            return answer.status == .ok ? Response(status: .noContent) : answer
        }
    }

    /// RFC 7592 §2: another client's URI with this client's token is refused as a bad token.
    static let notThisClient = AuthError(.invalidToken, "the registration access token is another client's")

    func registrationURI(_ clientID: String) -> String {
        AuthorizationServerMetadata.base(configuration.issuer) + "/oauth2/register/" + clientID
    }

    /// RFC 7591 §2's metadata this server understands; anything else is ignored, as §2 asks.
    static func metadata(_ request: Request, limit: Int) async throws -> ClientMetadata {
        let body = try await JSONBody.read(request, limit: limit, allowedFields: nil)
        return ClientMetadata(
            redirectURIs: try body.optionalStrings("redirect_uris"),
            tokenEndpointAuthMethod: try body.optionalString("token_endpoint_auth_method"),
            grantTypes: try body.optionalStrings("grant_types"),
            responseTypes: try body.optionalStrings("response_types"),
            clientName: try body.optionalString("client_name"), scope: try body.optionalString("scope"),
            idTokenSignedResponseAlgorithm: try body.optionalString("id_token_signed_response_alg"),
            backChannelLogoutURI: try body.optionalString("backchannel_logout_uri"),
            frontChannelLogoutURI: try body.optionalString("frontchannel_logout_uri"),
            requirePushedRequests: try body.optionalBool("require_pushed_authorization_requests"),
            dpopBound: try body.optionalBool("dpop_bound_access_tokens"))
    }

    /// The answer, or RFC 7591 §3.2.2's error JSON, or 401 `invalid_token` with a Bearer challenge.
    func registrationAnswer(
        _ status: HTTPResponse.Status, _ body: () async throws -> some Encodable & Sendable
    ) async -> Response {
        do {
            return Self.json(status, try await body())
        } catch let refusal as RegistrationRefusal {
            return Self.json(
                .badRequest, OAuthErrorResponse(error: refusal.code.rawValue, description: refusal.description))
        } catch let error as AuthError where error.code == .invalidToken {
            var response = Self.json(
                .unauthorized, OAuthErrorResponse(error: "invalid_token", description: error.message))
            response.headers[.wwwAuthenticate] = #"Bearer realm="authd", error="invalid_token""#
            return response
        } catch let error as APIError where error.status == .unauthorized {
            var response = Self.json(
                .unauthorized, OAuthErrorResponse(error: "invalid_token", description: "a Bearer token is required"))
            response.headers[.wwwAuthenticate] = #"Bearer realm="authd""#
            return response
        } catch let error as APIError {
            return Self.json(
                error.status, OAuthErrorResponse(error: "invalid_client_metadata", description: error.message))
        } catch let error as AuthError {
            let (status, code) = Self.oauthStatus(error.code)
            return Self.json(
                status, OAuthErrorResponse(error: code, description: error.code == .internal ? nil : error.message))
        } catch {
            return Self.json(.internalServerError, OAuthErrorResponse(error: "server_error", description: nil))
        }
    }
}

struct RegistrationTokenJSON: ResponseEncodable {
    let token: String
}

/// RFC 7591 §3.2.1's client information response (and RFC 7592 §3's).
struct RegisteredClientJSON: ResponseEncodable {
    let clientID: String
    let clientSecret: String?
    let clientIDIssuedAt: Int64
    let clientSecretExpiresAt: Int64?
    let registrationAccessToken: String?
    let registrationClientURI: String
    let clientName: String
    let redirectURIs: [String]
    let grantTypes: [String]
    let responseTypes: [String]
    let tokenEndpointAuthMethod: String
    let scope: String
    let idTokenSignedResponseAlgorithm: String
    let backChannelLogoutURI: String?
    let frontChannelLogoutURI: String?
    let requirePushedRequests: Bool
    let dpopBound: Bool

    init(
        _ client: OAuthClient, secret: String? = nil, authMethod: String? = nil, registrationToken: String? = nil,
        uri: String
    ) {
        clientID = client.id
        clientSecret = secret
        clientIDIssuedAt = client.createdAt
        clientSecretExpiresAt = client.type == .confidential ? 0 : nil
        registrationAccessToken = registrationToken
        registrationClientURI = uri
        clientName = client.name
        redirectURIs = client.redirectURIs
        grantTypes = client.grantTypes.map(\.rawValue)
        responseTypes = client.grantTypes.contains(.authorizationCode) ? ["code"] : []
        tokenEndpointAuthMethod = authMethod ?? (client.type == .public ? "none" : "client_secret_basic")
        scope = client.scopes.joined(separator: " ")
        idTokenSignedResponseAlgorithm = client.idTokenAlgorithm.rawValue
        backChannelLogoutURI = client.logout.backChannel
        frontChannelLogoutURI = client.logout.frontChannel
        requirePushedRequests = client.requiresPAR
        dpopBound = client.requiresDPoP
    }

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", clientSecret = "client_secret", clientIDIssuedAt = "client_id_issued_at"
        case clientSecretExpiresAt = "client_secret_expires_at", registrationAccessToken = "registration_access_token"
        case registrationClientURI = "registration_client_uri", clientName = "client_name"
        case redirectURIs = "redirect_uris", grantTypes = "grant_types", responseTypes = "response_types"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method", scope
        case idTokenSignedResponseAlgorithm = "id_token_signed_response_alg"
        case backChannelLogoutURI = "backchannel_logout_uri", frontChannelLogoutURI = "frontchannel_logout_uri"
        case requirePushedRequests = "require_pushed_authorization_requests"
        case dpopBound = "dpop_bound_access_tokens"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clientID, forKey: .clientID)
        try c.encodeIfPresent(clientSecret, forKey: .clientSecret)
        try c.encode(clientIDIssuedAt, forKey: .clientIDIssuedAt)
        try c.encodeIfPresent(clientSecretExpiresAt, forKey: .clientSecretExpiresAt)
        try c.encodeIfPresent(registrationAccessToken, forKey: .registrationAccessToken)
        try c.encode(registrationClientURI, forKey: .registrationClientURI)
        try c.encode(clientName, forKey: .clientName)
        try c.encode(redirectURIs, forKey: .redirectURIs)
        try c.encode(grantTypes, forKey: .grantTypes)
        try c.encode(responseTypes, forKey: .responseTypes)
        try c.encode(tokenEndpointAuthMethod, forKey: .tokenEndpointAuthMethod)
        try c.encode(scope, forKey: .scope)
        try c.encode(idTokenSignedResponseAlgorithm, forKey: .idTokenSignedResponseAlgorithm)
        try c.encodeIfPresent(backChannelLogoutURI, forKey: .backChannelLogoutURI)
        try c.encodeIfPresent(frontChannelLogoutURI, forKey: .frontChannelLogoutURI)
        try c.encode(requirePushedRequests, forKey: .requirePushedRequests)
        try c.encode(dpopBound, forKey: .dpopBound)
    }
}
