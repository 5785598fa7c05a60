import AuthCore
public import Hummingbird
import Logging

/// Turns every error into the JSON error shape. Anything unexpected is logged and answered 500
/// without detail; known failures never reach that branch. Every 5xx is logged.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as AuthError {
            let answer = APIError(error)
            // Every 5xx is logged with what caused it: a bug at error, a dependency away at warning.
            if answer.status.code >= 500 {
                context.logger.log(
                    level: error.code == .internal ? .error : .warning, "request failed",
                    metadata: ["error": "\(error)", "status": "\(answer.status.code)"])
            }
            return try answer.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try Self.fromStatus(error.status).response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return try APIError(.internalServerError, code: "internal", message: "internal error")
                .response(from: request, context: context)
        }
    }

    /// Errors raised by Hummingbird itself (no route, body too large, …).
    static func fromStatus(_ status: HTTPResponse.Status) -> APIError {
        switch status {
        case .notFound: APIError(.notFound, code: "not_found", message: "no such route")
        case .contentTooLarge: APIError(.contentTooLarge, code: "body_too_large", message: "request body is too large")
        case .methodNotAllowed: APIError(.methodNotAllowed, code: "method_not_allowed", message: "method not allowed")
        default: APIError(status, code: "http_\(status.code)", message: status.reasonPhrase)
        }
    }
}
