import AuthCore
import AuthCrypto
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `GET /.well-known/jwks.json`: the JWK Set (RFC 7517 §5) of the public keys that verify access
/// tokens. The keys are fixed for the life of the process, so the body is rendered once, with an
/// ETag (a conditional GET answers 304) and a max-age short enough that a key published in the
/// first step of a rotation reaches every verifier before the second step signs with it.
extension HTTPFrontEnd {
    /// Seconds a verifier may cache the key set; the README's rotation waits at least this long
    /// between its two steps.
    static let keySetMaxAge = 300

    func addWellKnownRoutes(to router: MethodTable) {
        addFixedDocument(
            "/.well-known/jwks.json", ["keys": service.tokens.publicKeys], contentType: "application/jwk-set+json",
            to: router)
        let openID = portal != nil && service.tokens.canSignIDTokens
        let metadata = AuthorizationServerMetadata(
            configuration.issuer, service.oauth, authorizationEndpoint: portal != nil,
            openID: openID ? service.tokens.idTokenAlgorithms.map(\.rawValue) : nil,
            requirePushedRequests: portal?.policy.requirePushedRequests ?? false, registration: admin != nil,
            dpop: proofs != nil)
        addFixedDocument(
            "/.well-known/oauth-authorization-server", metadata, contentType: "application/json", to: router)
        if openID {
            addFixedDocument(
                "/.well-known/openid-configuration", metadata, contentType: "application/json", to: router)
        }
    }

    /// A JSON document fixed for the life of the process: rendered once, served with an ETag
    /// (a conditional GET answers 304) and `Cache-Control: public, max-age=keySetMaxAge`.
    private func addFixedDocument(
        _ path: RouterPath, _ document: some Encodable, contentType: String, to router: MethodTable
    ) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings only: encoding cannot fail, nor can SHA-256 of a buffer.
        let body = (try? encoder.encode(document)) ?? Data("{}".utf8)
        let tag = "\"" + Base64.url.encode((try? Digest.hash(.sha256, Array(body)).prefix(16)) ?? []) + "\""
        let headers: HTTPFields = [
            .contentType: contentType, .cacheControl: "public, max-age=\(Self.keySetMaxAge)", .eTag: tag,
        ]
        router.get(path) { request, _ in
            let cached = request.headers[values: .ifNoneMatch].flatMap { $0.split(separator: ",") }
                .contains { $0.trimmingSpaces == tag || $0.trimmingSpaces == "*" }
            return cached
                ? Response(status: .notModified, headers: headers)
                : Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}

/// RFC 8414 §2 and OpenID Connect Discovery §3: what this server serves, under `issuer`. Only
/// what is built is listed: the authorization endpoint when the portal runs, the OpenID fields
/// when ID tokens can be signed (an RS256 key).
struct AuthorizationServerMetadata: Encodable {
    let issuer: String
    let tokenEndpoint: String
    let introspectionEndpoint: String
    let revocationEndpoint: String
    let jwksURI: String
    var authorizationEndpoint: String?
    var deviceAuthorizationEndpoint: String?
    /// RFC 9126 §5.
    var pushedRequestEndpoint: String?
    var requirePushedRequests: Bool?
    /// RFC 7591 §3.
    var registrationEndpoint: String?
    var grantTypesSupported = [GrantType.clientCredentials.rawValue, GrantType.refreshToken.rawValue]
    var responseTypesSupported: [String] = []
    var responseModesSupported: [String]?
    let scopesSupported: [String]
    let authMethods = ["client_secret_basic", "client_secret_post"]
    /// The token endpoint's: public clients send `none`.
    var tokenAuthMethods = ["client_secret_basic", "client_secret_post"]
    var codeChallengeMethods: [String]?
    /// RFC 9449 §5.1, when DPoP proofs are checked.
    var dpopAlgorithms: [String]?
    var openID: OpenIDFields?

    struct OpenIDFields: Encodable {
        let userinfoEndpoint: String
        let endSessionEndpoint: String
        let subjectTypesSupported = ["public"]
        /// RS256 first (every client's default), then the access-token pair's algorithm.
        let idTokenSigningAlgValuesSupported: [String]
        let claimsSupported = [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "amr", "acr", "azp", "roles", "name",
            "preferred_username", "email", "email_verified", "sid",
        ]
        let promptValuesSupported = Prompt.allCases.map(\.rawValue)
        let requestParameterSupported = false
        let requestURIParameterSupported = false
        let claimsParameterSupported = false
        /// OpenID Connect Back-Channel and Front-Channel Logout 1.0, always with `sid` (and `iss`).
        let backChannelLogoutSupported = true
        let backChannelLogoutSessionSupported = true
        let frontChannelLogoutSupported = true
        let frontChannelLogoutSessionSupported = true

        enum CodingKeys: String, CodingKey {
            case userinfoEndpoint = "userinfo_endpoint", subjectTypesSupported = "subject_types_supported"
            case endSessionEndpoint = "end_session_endpoint"
            case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
            case claimsSupported = "claims_supported", promptValuesSupported = "prompt_values_supported"
            case requestParameterSupported = "request_parameter_supported"
            case requestURIParameterSupported = "request_uri_parameter_supported"
            case claimsParameterSupported = "claims_parameter_supported"
            case backChannelLogoutSupported = "backchannel_logout_supported"
            case backChannelLogoutSessionSupported = "backchannel_logout_session_supported"
            case frontChannelLogoutSupported = "frontchannel_logout_supported"
            case frontChannelLogoutSessionSupported = "frontchannel_logout_session_supported"
        }
    }

    /// `openID`: the ID-token algorithms, when ID tokens can be signed.
    init(
        _ issuer: String, _ oauth: OAuthService, authorizationEndpoint: Bool, openID: [String]?,
        requirePushedRequests: Bool = false, registration: Bool = false, dpop: Bool = false
    ) {
        let base = Self.base(issuer)
        self.issuer = issuer
        tokenEndpoint = base + "/oauth2/token"
        introspectionEndpoint = base + "/oauth2/introspect"
        revocationEndpoint = base + "/oauth2/revoke"
        jwksURI = base + "/.well-known/jwks.json"
        scopesSupported = oauth.supportedScopes
        if registration { registrationEndpoint = base + "/oauth2/register" }
        if dpop {
            dpopAlgorithms = DPoPMiddleware<AuthRequestContext>.algorithms.split(separator: " ").map(String.init)
        }
        if authorizationEndpoint {
            self.authorizationEndpoint = base + "/oauth2/authorize"
            deviceAuthorizationEndpoint = base + "/oauth2/device_authorization"
            pushedRequestEndpoint = base + "/oauth2/par"
            self.requirePushedRequests = requirePushedRequests
            grantTypesSupported += [GrantType.authorizationCode.rawValue, GrantType.deviceCode.rawValue]
            grantTypesSupported.sort()
            responseTypesSupported = ["code"]
            responseModesSupported = ResponseMode.allCases.map(\.rawValue)
            tokenAuthMethods.append("none")
            codeChallengeMethods = ["S256"]
        }
        if let algorithms = openID {
            self.openID = OpenIDFields(
                userinfoEndpoint: base + "/oauth2/userinfo", endSessionEndpoint: base + "/oauth2/logout",
                idTokenSigningAlgValuesSupported: algorithms)
        }
    }

    /// What endpoint paths are appended to: the issuer without a trailing slash.
    static func base(_ issuer: String) -> String {
        issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
    }

    enum CodingKeys: String, CodingKey {
        case issuer, tokenEndpoint = "token_endpoint", introspectionEndpoint = "introspection_endpoint"
        case revocationEndpoint = "revocation_endpoint", jwksURI = "jwks_uri"
        case authorizationEndpoint = "authorization_endpoint"
        case deviceAuthorizationEndpoint = "device_authorization_endpoint"
        case pushedRequestEndpoint = "pushed_authorization_request_endpoint"
        case requirePushedRequests = "require_pushed_authorization_requests"
        case registrationEndpoint = "registration_endpoint"
        case grantTypesSupported = "grant_types_supported", responseTypesSupported = "response_types_supported"
        case responseModesSupported = "response_modes_supported"
        case scopesSupported = "scopes_supported", tokenAuthMethods = "token_endpoint_auth_methods_supported"
        case introspectionAuthMethods = "introspection_endpoint_auth_methods_supported"
        case revocationAuthMethods = "revocation_endpoint_auth_methods_supported"
        case codeChallengeMethods = "code_challenge_methods_supported"
        case issParameter = "authorization_response_iss_parameter_supported"
        case dpopAlgorithms = "dpop_signing_alg_values_supported"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(tokenEndpoint, forKey: .tokenEndpoint)
        try c.encode(introspectionEndpoint, forKey: .introspectionEndpoint)
        try c.encode(revocationEndpoint, forKey: .revocationEndpoint)
        try c.encode(jwksURI, forKey: .jwksURI)
        try c.encodeIfPresent(authorizationEndpoint, forKey: .authorizationEndpoint)
        try c.encodeIfPresent(deviceAuthorizationEndpoint, forKey: .deviceAuthorizationEndpoint)
        try c.encodeIfPresent(pushedRequestEndpoint, forKey: .pushedRequestEndpoint)
        try c.encodeIfPresent(requirePushedRequests, forKey: .requirePushedRequests)
        try c.encodeIfPresent(registrationEndpoint, forKey: .registrationEndpoint)
        try c.encode(grantTypesSupported, forKey: .grantTypesSupported)
        try c.encode(responseTypesSupported, forKey: .responseTypesSupported)
        try c.encodeIfPresent(responseModesSupported, forKey: .responseModesSupported)
        try c.encode(scopesSupported, forKey: .scopesSupported)
        try c.encode(tokenAuthMethods, forKey: .tokenAuthMethods)
        try c.encode(authMethods, forKey: .introspectionAuthMethods)
        try c.encode(authMethods, forKey: .revocationAuthMethods)
        try c.encodeIfPresent(codeChallengeMethods, forKey: .codeChallengeMethods)
        if authorizationEndpoint != nil { try c.encode(true, forKey: .issParameter) }
        try c.encodeIfPresent(dpopAlgorithms, forKey: .dpopAlgorithms)
        try openID?.encode(to: encoder)
    }
}
