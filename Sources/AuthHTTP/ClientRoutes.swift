public import AuthCore
import AuthCrypto
public import Hummingbird

/// `/admin/clients…`: OAuth 2 clients, administered like users (permissions `clients:read` and
/// `clients:write`, every change audited). A secret appears in exactly two answers: the one that
/// creates a confidential client and the one that rotates its secret.
extension HTTPFrontEnd {
    static let clientFields: Set<String> = [
        "name", "grant_types", "scopes", "redirect_uris", "roles", "token_lifetime", "id_token_signed_response_alg",
        "skip_consent", "introspection", "pkce_required", "backchannel_logout_uri", "frontchannel_logout_uri",
        "require_pushed_authorization_requests", "dpop_bound_access_tokens",
    ]

    func addClientRoutes(to router: MethodTable, admin: AdminService) {
        let clients = router.group("/admin/clients")
        clients.get { request, context in
            let actor = try actor(request, context, .permission(Permission.clientsRead))
            return ClientListResponse(clients: try await admin.clients(by: actor).map { ClientResponse($0) })
        }
        clients.post { request, context in
            let actor = try actor(request, context, .permission(Permission.clientsWrite))
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: Self.clientFields.union(["id", "type"]))
            var new = NewClient(id: try body.string("id"), name: try body.optionalString("name"))
            if let type = try body.optionalString("type") {
                guard let type = ClientType(rawValue: type) else {
                    throw APIError.badRequest("invalid_input", "type must be confidential or public")
                }
                new.type = type
            }
            new.grantTypes = try Self.grantTypes(body) ?? (new.type == .public ? [.authorizationCode] : new.grantTypes)
            new.scopes = try body.optionalStrings("scopes") ?? []
            new.redirectURIs = try body.optionalStrings("redirect_uris") ?? []
            new.roles = try body.optionalStrings("roles") ?? []
            new.tokenLifetime = try body.nullableInt("token_lifetime") ?? nil
            new.idTokenAlgorithm = try Self.idTokenAlgorithm(body) ?? .rs256
            new.skipConsent = try body.optionalBool("skip_consent") ?? false
            new.mayIntrospect = try body.optionalBool("introspection") ?? false
            new.requiresPKCE = try body.optionalBool("pkce_required") ?? true
            new.requiresPAR = try body.optionalBool("require_pushed_authorization_requests") ?? false
            new.requiresDPoP = try body.optionalBool("dpop_bound_access_tokens") ?? false
            new.logout = LogoutChannels(
                backChannel: try body.nullableString("backchannel_logout_uri") ?? nil,
                frontChannel: try body.nullableString("frontchannel_logout_uri") ?? nil)
            let registered = try await admin.createClient(new, by: actor)
            return EditedResponse(
                status: .created, response: ClientResponse(registered.client, secret: registered.secret))
        }
        clients.get("/:id") { request, context in
            let actor = try actor(request, context, .permission(Permission.clientsRead))
            return ClientResponse(try await admin.client(id: try parameter(context, "id"), by: actor))
        }
        clients.patch("/:id") { request, context in
            let actor = try actor(request, context, .permission(Permission.clientsWrite))
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: Self.clientFields.union(["disabled"]))
            let change = ClientChange(
                name: try body.optionalString("name"), disabled: try body.optionalBool("disabled"),
                grantTypes: try Self.grantTypes(body), scopes: try body.optionalStrings("scopes"),
                redirectURIs: try body.optionalStrings("redirect_uris"), roles: try body.optionalStrings("roles"),
                tokenLifetime: try body.nullableInt("token_lifetime"),
                idTokenAlgorithm: try Self.idTokenAlgorithm(body),
                skipConsent: try body.optionalBool("skip_consent"),
                mayIntrospect: try body.optionalBool("introspection"),
                requiresPKCE: try body.optionalBool("pkce_required"),
                requiresPAR: try body.optionalBool("require_pushed_authorization_requests"),
                requiresDPoP: try body.optionalBool("dpop_bound_access_tokens"),
                backChannelLogoutURI: try body.nullableString("backchannel_logout_uri"),
                frontChannelLogoutURI: try body.nullableString("frontchannel_logout_uri"))
            return ClientResponse(try await admin.updateClient(id: try parameter(context, "id"), change, by: actor))
        }
        clients.delete("/:id") { request, context in
            let actor = try actor(request, context, .permission(Permission.clientsWrite))
            try await admin.deleteClient(id: try parameter(context, "id"), by: actor)
            return HTTPResponse.Status.noContent
        }
        clients.post("/:id/secret") { request, context in
            let actor = try actor(request, context, .permission(Permission.clientsWrite))
            let id = try parameter(context, "id")
            let secret = try await admin.rotateSecret(clientID: id, by: actor)
            return ClientSecretResponse(clientID: id, clientSecret: secret)
        }
    }

    /// `id_token_signed_response_alg` (OpenID Connect Dynamic Client Registration §2): a JWS
    /// algorithm name; whether authd has its key is the use case's to say (422).
    private static func idTokenAlgorithm(_ body: JSONBody) throws -> JWSAlgorithm? {
        try body.optionalString("id_token_signed_response_alg").map { name in
            guard let algorithm = JWSAlgorithm(rawValue: name), algorithm != .hs256 else {
                throw APIError.badRequest("invalid_input", "id_token_signed_response_alg is RS256, ES256 or EdDSA")
            }
            return algorithm
        }
    }

    private static func grantTypes(_ body: JSONBody) throws -> [GrantType]? {
        try body.optionalStrings("grant_types").map { names in
            try names.map { name in
                guard let grant = GrantType(rawValue: name) else {
                    throw APIError.badRequest(
                        "invalid_input",
                        "grant_types are \(GrantType.allCases.map(\.rawValue).sorted().joined(separator: ", "))")
                }
                return grant
            }
        }
    }
}

public struct ClientResponse: ResponseEncodable, Sendable {
    let clientID: String
    let name: String
    let type: String
    let grantTypes: [String]
    let scopes: [String]
    let redirectURIs: [String]
    let roles: [String]
    let tokenLifetime: Int64?
    let idTokenAlgorithm: String
    let disabled: Bool
    let skipConsent: Bool
    let introspection: Bool
    let pkceRequired: Bool
    let requirePushedRequests: Bool
    let dpopBound: Bool
    let backChannelLogoutURI: String?
    let frontChannelLogoutURI: String?
    let createdAt: Int64
    /// Only when it was just made.
    let clientSecret: String?

    public init(_ client: OAuthClient, secret: String? = nil) {
        clientID = client.id
        name = client.name
        type = client.type.rawValue
        grantTypes = client.grantTypes.map(\.rawValue)
        scopes = client.scopes
        redirectURIs = client.redirectURIs
        roles = client.roles
        tokenLifetime = client.tokenLifetime
        idTokenAlgorithm = client.idTokenAlgorithm.rawValue
        disabled = client.disabled
        skipConsent = client.skipConsent
        introspection = client.mayIntrospect
        pkceRequired = client.requiresPKCE
        requirePushedRequests = client.requiresPAR
        dpopBound = client.requiresDPoP
        backChannelLogoutURI = client.logout.backChannel
        frontChannelLogoutURI = client.logout.frontChannel
        createdAt = client.createdAt
        clientSecret = secret
    }

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", name, type, grantTypes = "grant_types", scopes, redirectURIs = "redirect_uris"
        case roles, tokenLifetime = "token_lifetime", disabled, createdAt = "created_at"
        case idTokenAlgorithm = "id_token_signed_response_alg"
        case skipConsent = "skip_consent", introspection, pkceRequired = "pkce_required"
        case backChannelLogoutURI = "backchannel_logout_uri", frontChannelLogoutURI = "frontchannel_logout_uri"
        case requirePushedRequests = "require_pushed_authorization_requests"
        case dpopBound = "dpop_bound_access_tokens"
        case clientSecret = "client_secret"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clientID, forKey: .clientID)
        try c.encode(name, forKey: .name)
        try c.encode(type, forKey: .type)
        try c.encode(grantTypes, forKey: .grantTypes)
        try c.encode(scopes, forKey: .scopes)
        try c.encode(redirectURIs, forKey: .redirectURIs)
        try c.encode(roles, forKey: .roles)
        try c.encode(tokenLifetime, forKey: .tokenLifetime)
        try c.encode(idTokenAlgorithm, forKey: .idTokenAlgorithm)
        try c.encode(disabled, forKey: .disabled)
        try c.encode(skipConsent, forKey: .skipConsent)
        try c.encode(introspection, forKey: .introspection)
        try c.encode(pkceRequired, forKey: .pkceRequired)
        try c.encode(requirePushedRequests, forKey: .requirePushedRequests)
        try c.encode(dpopBound, forKey: .dpopBound)
        try c.encode(backChannelLogoutURI, forKey: .backChannelLogoutURI)
        try c.encode(frontChannelLogoutURI, forKey: .frontChannelLogoutURI)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(clientSecret, forKey: .clientSecret)
    }
}

struct ClientListResponse: ResponseEncodable {
    let clients: [ClientResponse]
}

struct ClientSecretResponse: ResponseEncodable {
    let clientID: String
    let clientSecret: String

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", clientSecret = "client_secret"
    }
}
