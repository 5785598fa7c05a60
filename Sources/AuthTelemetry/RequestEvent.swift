public import Logging

/// One HTTP request's `request` event (the access log line): what `RequestMiddleware` records
/// for every request. A handler that is a `RequestEventWriter` writes it without building a
/// metadata dictionary; any other gets `metadata`, the same fields as an ordinary event.
public struct RequestEvent: Sendable {
    public var requestID: String
    public var method: String
    public var route: String
    public var status: Int
    /// Milliseconds with three decimals.
    public var duration: String
    public var peer: String?
    public var proxy: String?
    public var userID: String?

    public init(
        requestID: String, method: String, route: String, status: Int, duration: String, peer: String?,
        proxy: String?, userID: String?
    ) {
        self.requestID = requestID
        self.method = method
        self.route = route
        self.status = status
        self.duration = duration
        self.peer = peer
        self.proxy = proxy
        self.userID = userID
    }

    public static let message: Logger.Message = "request"

    /// The event's metadata, as a generic handler receives it.
    public var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "request_id": .string(requestID), "method": .string(method), "route": .string(route),
            "status": .stringConvertible(status), "duration_ms": .string(duration),
        ]
        if let peer { metadata["peer"] = .string(peer) }
        if let proxy { metadata["proxy"] = .string(proxy) }
        if let userID { metadata["user_id"] = .string(userID) }
        return metadata
    }
}

/// A log handler that writes request events itself (at info level), for a line per request
/// without the generic path's dictionary, merging and sorting.
public protocol RequestEventWriter: LogHandler {
    func log(request: RequestEvent)
}

extension Logger {
    /// Logs `event` at info level, through the handler's own writer when it has one.
    public func log(request event: RequestEvent) {
        guard logLevel <= .info else { return }
        if let writer = handler as? any RequestEventWriter {
            writer.log(request: event)
        } else {
            info(RequestEvent.message, metadata: event.metadata)
        }
    }
}

extension JSONLogHandler: RequestEventWriter {
    public func log(request event: RequestEvent) {
        let provided = metadataProvider?.get() ?? [:]
        guard provided.isEmpty, metadata.isEmpty else {
            // Other metadata to merge and sort in: the generic line.
            log(
                event: LogEvent(
                    level: .info, message: RequestEvent.message, metadata: event.metadata, source: "AuthTelemetry",
                    file: #fileID, function: #function, line: #line))
            return
        }
        sink.write(bytes: Self.requestLine(time: UnixClock.now(), label: label, event: event), immediately: false)
    }

    /// What `line` makes of the event's metadata, written field by field in sorted key order.
    static func requestLine(time: (seconds: Int, milliseconds: Int), label: String, event: RequestEvent) -> [UInt8] {
        var json = JSONWriter()
        json.field("time", string: UnixClock.rfc3339(seconds: time.seconds, milliseconds: time.milliseconds))
        json.field("level", string: Logger.Level.info.rawValue)
        json.field("logger", string: label)
        json.field("message", string: RequestEvent.message.description)
        json.field("duration_ms", string: event.duration)
        json.field("method", string: event.method)
        if let peer = event.peer { json.field("peer", string: peer) }
        if let proxy = event.proxy { json.field("proxy", string: proxy) }
        json.field("request_id", string: event.requestID)
        json.field("route", string: event.route)
        json.field("status", string: String(event.status))
        if let user = event.userID { json.field("user_id", string: user) }
        return json.finish()
    }
}
