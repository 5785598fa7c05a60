import AuthCore
import Hummingbird

/// `GET /authz`, the target of nginx's `auth_request`: 204 with the user in `X-Auth-User`,
/// `X-Auth-User-Id` and `X-Auth-Roles` for a valid access token (bearer header, or the
/// `access_token` cookie for browsers); 401 without one; 403 when the request names roles in
/// `X-Required-Role` (comma-separated, any one suffices) and the token holds none of them.
extension HTTPFrontEnd {
    func addAuthzRoute(to router: MethodTable) {
        router.get("/authz") { request, _ in
            let token = try authzToken(request)
            let required = request.headers[HeaderName.requiredRole].map { header in
                header.split(separator: ",").map(\.trimmingSpaces).filter { !$0.isEmpty }
            }
            let claims = try service.tokens.authorize(accessToken: token)
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
    static let authUser = HTTPFields.Element.Name("X-Auth-User")!
    static let authUserID = HTTPFields.Element.Name("X-Auth-User-Id")!
    static let authRoles = HTTPFields.Element.Name("X-Auth-Roles")!
    static let requestID = HTTPFields.Element.Name("X-Request-Id")!
    static let xForwardedFor = HTTPFields.Element.Name("X-Forwarded-For")!
    static let forwarded = HTTPFields.Element.Name("Forwarded")!
}
