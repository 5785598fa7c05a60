public import NIOCore

/// Closes a connection that has been idle past the `IdleStateHandler`'s timeout placed before it:
/// what every TCP front end does with a client that stopped talking.
public final class CloseOnIdle: ChannelInboundHandler, Sendable {
    public typealias InboundIn = ByteBuffer

    public init() {}

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
