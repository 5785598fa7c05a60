import AuthCore
import AuthTelemetry
import Hummingbird
import Logging
import Metrics
import Synchronization

/// The outermost middleware: gives each request an id (a sane `X-Request-Id` from the client, or
/// a new one), returns it in `X-Request-Id`, sets the context's client address (`ForwardedClient`),
/// runs the request with the id in `RequestScope` (so every log line it causes carries it), then
/// logs one `request` event and records the request's count and duration per route, method and
/// status. Route labels are route patterns, never raw paths; no user names or tokens become labels.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = AuthRequestContext

    let logger: Logger
    let forwarded: ForwardedClient
    /// The user id of a request's bearer token, for the log line.
    let subject: @Sendable (String) -> String?
    let metrics = HTTPMetrics()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = ContinuousClock.now
        let id = request.headers[HeaderName.requestID].flatMap(Self.acceptable) ?? context.id
        var context = context
        if !forwarded.trustedProxies.isEmpty {
            context.client = forwarded.client(
                peer: context.peer, values: request.headers[values: forwarded.header.fieldName])
        }
        var response = try await RequestScope.$id.withValue(id) { [context] in try await next(request, context) }
        response.headers[HeaderName.requestID] = id
        // Tokens, secrets, profiles: nothing authd answers may be kept by a cache unless the route
        // says so (the well-known documents are public), sniffed, framed or referred from.
        SecurityHeaders.applyDefaults(to: &response.headers)
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        let method = HTTPMetrics.methods.contains(request.method) ? request.method.rawValue : "other"
        metrics.record(route: route, method: method, status: response.status.code, duration: elapsed)
        if logger.logLevel <= .info {
            logger.log(
                request: RequestEvent(
                    requestID: id, method: method, route: route, status: response.status.code,
                    duration: Self.milliseconds(elapsed), peer: context.client,
                    proxy: context.client != context.peer ? context.peer : nil,
                    userID: context.notes.subject ?? request.headers[.authorization].flatMap(subject)))
        }
        return response
    }

    /// A client's id is kept when it is 1–128 characters of `[A-Za-z0-9._:-]` (no log injection).
    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count),
            value.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2E
                    || byte == 0x5F || byte == 0x3A || byte == 0x2D
            })
        else { return nil }
        return value
    }

    static func milliseconds(_ duration: Duration) -> String {
        let microseconds = duration.wholeMicroseconds
        let fraction = String(microseconds % 1000)
        return "\(microseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

/// Request counters and duration histograms, created once per (route, method, status).
final class HTTPMetrics: Sendable {
    static let methods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options]

    private struct Key: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private let series = Mutex<[Key: (Counter, Metrics.Timer)]>([:])

    func record(route: String, method: String, status: Int, duration: Duration) {
        let key = Key(route: route, method: method, status: status)
        let (counter, timer) = series.withLock { series in
            if let existing = series[key] { return existing }
            let dimensions = [("route", route), ("method", method), ("status", String(status))]
            let created = (
                Counter(label: "authd_http_requests_total", dimensions: dimensions),
                Metrics.Timer(label: "authd_http_request_duration_seconds", dimensions: dimensions)
            )
            series[key] = created
            return created
        }
        counter.increment()
        timer.record(duration: duration)
    }
}
