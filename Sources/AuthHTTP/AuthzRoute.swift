import AuthCore
import AuthCrypto
import Hummingbird

/// `GET /authz`, the target of nginx's `auth_request`: 204 with the user in `X-Auth-User`,
/// `X-Auth-User-Id` and `X-Auth-Roles` for a valid access token (bearer header, or the
/// `access_token` cookie for browsers); 401 without one; 403 when the request names roles in
/// `X-Required-Role` (comma-separated, any one suffices) and the token holds none of them.
///
/// The portal flow: when the portal is on and nginx sends the original URL in `X-Original-URL`,
/// a 401 carries `Location:` the portal's sign-in page with that URL as `rd`, which nginx turns
/// into the browser's redirect (`error_page 401 =302 $authd_redirect`); the portal checks `rd`
/// against `oidc.return_hosts` and sends the browser back with an `access_token` cookie.
extension HTTPFrontEnd {
    func addAuthzRoute(to router: MethodTable) {
        router.get("/authz") { request, context in
            let claims: AccessTokenClaims
            do {
                claims = try service.tokens.authorize(accessToken: try authzToken(request), for: .gateway)
            } catch let error as AuthError where APIError(error).status == .unauthorized {
                throw signInFirst(APIError(error), request)
            } catch let error as APIError where error.status == .unauthorized {
                throw signInFirst(error, request)
            }
            context.notes.subject = claims.subject
            let required = request.headers[HeaderName.requiredRole].map { header in
                header.split(separator: ",").map(\.trimmingSpaces).filter { !$0.isEmpty }
            }
            if let required, !required.contains(where: { claims.roles.contains(String($0)) }) {
                throw AuthError(.forbidden, "a role in X-Required-Role is needed")
            }
            var headers = HTTPFields()
            headers[HeaderName.authUser] = claims.name
            headers[HeaderName.authUserID] = claims.subject
            headers[HeaderName.authRoles] = claims.roles.joined(separator: ",")
            return Response(status: .noContent, headers: headers)
        }
    }

    /// A 401 with the portal's sign-in page in `Location` for a browser nginx sent.
    private func signInFirst(_ error: APIError, _ request: Request) -> APIError {
        guard portal != nil, let original = request.headers[HeaderName.originalURL] else { return error }
        var error = error
        error.headers[.location] = URLEncoding.adding(
            [("rd", original)], to: AuthorizationServerMetadata.base(configuration.issuer) + "/ui/login")
        return error
    }

    /// The bearer token, else the `access_token` cookie.
    func authzToken(_ request: Request) throws -> String {
        if request.headers[.authorization] != nil { return try bearerToken(request) }
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingSpaces == "access_token" {
                    let value = parts[1].trimmingSpaces
                    if !value.isEmpty { return String(value) }
                }
            }
        }
        throw APIError.missingToken
    }
}

/// Header names Hummingbird does not predefine.
enum HeaderName {
    static let requiredRole = HTTPFields.Element.Name("X-Required-Role")!
    static let originalURL = HTTPFields.Element.Name("X-Original-URL")!
    static let authUser = HTTPFields.Element.Name("X-Auth-User")!
    static let authUserID = HTTPFields.Element.Name("X-Auth-User-Id")!
    static let authRoles = HTTPFields.Element.Name("X-Auth-Roles")!
    static let requestID = HTTPFields.Element.Name("X-Request-Id")!
    static let xForwardedFor = HTTPFields.Element.Name("X-Forwarded-For")!
    static let forwarded = HTTPFields.Element.Name("Forwarded")!
}
