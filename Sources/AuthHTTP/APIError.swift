public import AuthCore
public import Hummingbird

/// Every error response: `{"error":{"code":"…","message":"…"}}` with a fitting status.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    private struct Body: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
        }
        let error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(
            Body(error: .init(code: code, message: message)), from: request, context: context)
        response.status = status
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension APIError {
    /// The one place AuthCore's error codes become HTTP statuses.
    public init(_ error: AuthError) {
        switch error.code {
        case .invalidInput: self.init(.badRequest, code: error.code.name, message: error.message)
        case .usernameTaken, .emailTaken: self.init(.conflict, code: error.code.name, message: error.message)
        case .weakPassword: self.init(.unprocessableContent, code: error.code.name, message: error.message)
        case .invalidCredentials:
            self.init(
                .unauthorized, code: error.code.name, message: error.message, headers: [.wwwAuthenticate: "Bearer"])
        case .invalidToken, .tokenExpired, .tokenRevoked:
            self.init(
                .unauthorized, code: error.code.name, message: error.message,
                headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#])
        case .invalidDPoPProof, .useDPoPNonce:
            self.init(
                .unauthorized, code: error.code.name, message: error.message,
                headers: [.wwwAuthenticate: #"DPoP error="\#(error.code.name)""#])
        case .invalidPasskey: self.init(.unauthorized, code: error.code.name, message: error.message)
        case .invalidRefreshToken, .invalidMFAToken, .invalidResetToken, .invalidVerificationToken, .invalidInvitation:
            self.init(.unauthorized, code: error.code.name, message: error.message)
        case .invalidCode: self.init(.forbidden, code: error.code.name, message: error.message)
        case .mfaAlreadyEnabled, .mfaNotEnabled, .mfaNotPending:
            self.init(.conflict, code: error.code.name, message: error.message)
        case .mfaUnavailable, .mailUnavailable:
            self.init(.serviceUnavailable, code: error.code.name, message: error.message)
        case .wrongPassword: self.init(.forbidden, code: error.code.name, message: error.message)
        case .conflict: self.init(.conflict, code: error.code.name, message: error.message)
        case .accountDenied, .forbidden, .emailUnverified:
            self.init(.forbidden, code: error.code.name, message: error.message)
        case .notFound: self.init(.notFound, code: error.code.name, message: error.message)
        case .unknownRole, .invalidClientMetadata:
            self.init(.unprocessableContent, code: error.code.name, message: error.message)
        case .roleExists, .roleInUse, .builtinRole, .lastAdmin, .clientExists:
            self.init(.conflict, code: error.code.name, message: error.message)
        case .rateLimited:
            self.init(.tooManyRequests, code: error.code.name, message: error.message, headers: [.retryAfter: "1"])
        case .busy, .unavailable, .unknownService:
            self.init(.serviceUnavailable, code: error.code.name, message: error.message, headers: [.retryAfter: "1"])
        // The OAuth use cases' codes, on a route that is not OAuth's (those answer RFC 6749's shape).
        case .invalidClient:
            self.init(.unauthorized, code: error.code.name, message: error.message)
        case .invalidGrant, .invalidScope, .unauthorizedClient, .unsupportedGrantType, .authorizationPending, .slowDown,
            .accessDenied, .expiredToken:
            self.init(.badRequest, code: error.code.name, message: error.message)
        case .internal: self.init(.internalServerError, code: "internal", message: "internal error")
        }
    }

    static func badRequest(_ code: String, _ message: String) -> APIError {
        APIError(.badRequest, code: code, message: message)
    }

    static let missingToken = APIError(
        .unauthorized, code: "missing_token", message: "an Authorization: Bearer token is required",
        headers: [.wwwAuthenticate: "Bearer"])
}
