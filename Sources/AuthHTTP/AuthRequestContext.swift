public import Hummingbird

#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// The request context of authd's routes. Responses are encoded with sorted keys so equal
/// answers are equal byte for byte (an unknown user and a wrong password must not be told apart
/// by the order of JSON keys).
public struct AuthRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer's IP address.
    public let peer: String?
    /// The client's IP address: the peer's, or the one a trusted proxy forwarded for (set by
    /// `RequestMiddleware` from `ForwardedClient`). Limits, lockouts and audit use this one.
    public internal(set) var client: String?
    /// What a handler learnt that the request's log line wants, shared by every copy of this
    /// context: the user a route authorized, so the line need not verify the token again.
    let notes = RequestNotes()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress
        client = peer
    }

    public var responseEncoder: JSONEncoder { Self.encoder }

    private static let encoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()
}

/// One request's notes for its log line. A request runs in one task at a time, so the handler's
/// write happens before the middleware's read.
final class RequestNotes: @unchecked Sendable {
    var subject: String?
}
