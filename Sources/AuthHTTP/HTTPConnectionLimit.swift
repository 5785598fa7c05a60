public import NIOCore
import Synchronization

/// A cap on the HTTP listener's open connections: one beyond it is closed at once, before a
/// request is read, so idle or slow sockets cannot exhaust the process's descriptors and memory.
/// Shared by every connection of one listener; `handler()` makes each connection's part.
public final class HTTPConnectionLimit: Sendable {
    public let maximum: Int
    private let open = Atomic<Int>(0)

    public init(maximum: Int) {
        self.maximum = max(1, maximum)
    }

    public var count: Int { open.load(ordering: .relaxed) }

    /// The handler to add to each new connection's pipeline.
    public func handler() -> any RemovableChannelHandler { Handler(limit: self) }

    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        let limit: HTTPConnectionLimit

        init(limit: HTTPConnectionLimit) {
            self.limit = limit
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let now = limit.open.wrappingAdd(1, ordering: .relaxed).newValue
            if now > limit.maximum { context.close(promise: nil) }
        }

        /// Once per connection, when it closes (NIO removes every handler then).
        func handlerRemoved(context: ChannelHandlerContext) {
            limit.open.wrappingSubtract(1, ordering: .relaxed)
        }
    }
}
