import NIOCore

/// Graceful shutdown: close once the requests in flight are answered.
struct DrainEvent: Sendable {}

/// One connection's protocol state, on its event loop. Pipelined requests are answered as they
/// complete, so replies may come out of order; at most `maximumInFlight` deferred requests run at
/// once, and beyond that the handler stops reading the socket (backpressure, not buffering).
final class LineConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let commands: LineCommands
    private let registry: ConnectionRegistry
    private let maximumInFlight: Int
    private let greeting: [UInt8]
    private var inFlight = 0
    private var readPending = false
    private var draining = false
    private var registered = false
    private var session: LineSession

    init(
        commands: LineCommands, registry: ConnectionRegistry, maximumInFlight: Int, greeting: [UInt8],
        requiresClient: Bool
    ) {
        self.commands = commands
        self.session = LineSession(requiresClient: requiresClient)
        self.registry = registry
        self.maximumInFlight = maximumInFlight
        self.greeting = greeting
    }

    func channelActive(context: ChannelHandlerContext) {
        guard registry.add(context.channel) else {
            send(.temp("*", "too_many_connections"), context: context, flush: true)
            context.close(promise: nil)
            return
        }
        registered = true
        session.peer = context.channel.remoteAddress?.ipAddress
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: greeting)), promise: nil)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if registered { registry.remove(context.channel) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        do {
            dispatch(commands.handle(try LineCodec.parse(line.readableBytesView), session: session), context: context)
        } catch {
            commands.recordMalformed()
            send(error.reply, context: context, flush: false)
        }
    }

    private func dispatch(_ outcome: LineCommands.Outcome, context: ChannelHandlerContext) {
        switch outcome {
        case .reply(let reply):
            send(reply, context: context, flush: false)
        case .authenticated(let client, let reply):
            session.client = client
            send(reply, context: context, flush: false)
        case .close(let reply):
            send(reply, context: context, flush: true)
            context.close(promise: nil)
        case .deferred(let work):
            inFlight += 1
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            Task {
                let reply = await work()
                loop.execute {
                    let (handler, context) = bound.value
                    handler.finish(reply, context: context)
                }
            }
        }
    }

    private func finish(_ reply: LineReply, context: ChannelHandlerContext) {
        inFlight -= 1
        guard context.channel.isActive else { return }
        send(reply, context: context, flush: true)
        if draining, inFlight == 0 {
            context.close(promise: nil)
        } else if readPending, inFlight < maximumInFlight {
            readPending = false
            context.read()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func read(context: ChannelHandlerContext) {
        if inFlight >= maximumInFlight || draining {
            readPending = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            context.close(promise: nil)
        case is DrainEvent:
            draining = true
            if inFlight == 0 { context.close(promise: nil) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is LineTooLongError || error is ByteToMessageDecoderError {
            send(.bad("*", "line_too_long"), context: context, flush: true)
        }
        context.close(promise: nil)
    }

    private func send(_ reply: LineReply, context: ChannelHandlerContext, flush: Bool) {
        let buffer = context.channel.allocator.buffer(bytes: LineCodec.encode(reply))
        if flush {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        } else {
            context.write(wrapOutboundOut(buffer), promise: nil)
        }
    }
}
