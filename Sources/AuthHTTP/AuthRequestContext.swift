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
