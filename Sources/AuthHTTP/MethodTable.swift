import Hummingbird

/// Registers routes on a router while remembering which methods each path has, so that a known
/// path asked with another method answers 405 `method_not_allowed` with `Allow` (RFC 9110 §15.5.6)
/// instead of 404. Route groups register through it too.
final class MethodTable: RouterMethods {
    typealias Context = AuthRequestContext

    private let router: Router<Context>
    /// Path (as written, e.g. `/admin/users/:id`) → its route pattern and methods, in order of registration.
    private var paths: [(path: RouterPath, methods: [HTTPRequest.Method])] = []

    init(_ router: Router<Context>) { self.router = router }

    @discardableResult
    func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == Context {
        router.on(path, method: method, responder: responder)
        if let index = paths.firstIndex(where: { $0.path == path }) {
            paths[index].methods.append(method)
        } else {
            paths.append((path, [method]))
        }
        return self
    }

    @discardableResult
    func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }

    /// The methods a known path answers 405 to when it has no route for them (QUERY is the
    /// IETF draft's safe method with a body).
    static let answered: [HTTPRequest.Method] = [
        .get, .head, .post, .put, .patch, .delete, .options, .trace, HTTPRequest.Method("QUERY")!,
    ]

    /// Adds the 405 answers; call once, after every route. HEAD counts as allowed wherever GET is
    /// (the router answers it from the GET route).
    func addMethodNotAllowed() {
        for (path, methods) in paths {
            var allowed = methods
            if allowed.contains(.get), !allowed.contains(.head) { allowed.append(.head) }
            let allow = Self.answered.filter(allowed.contains).map(\.rawValue).joined(separator: ", ")
            for method in Self.answered where !allowed.contains(method) {
                router.on(path, method: method) { _, _ -> Response in
                    throw APIError(
                        .methodNotAllowed, code: "method_not_allowed",
                        message: "\(method.rawValue) is not allowed here",
                        headers: [.allow: allow])
                }
            }
        }
    }
}
