import AuthCore
import NIOCore

/// Graceful shutdown: close once the requests in flight are answered.
struct DrainEvent: Sendable {}

/// One connection's protocol state, on its event loop. Pipelined requests are answered as they
/// complete, so replies may come out of order.
///
/// Nothing a client sends can make the server hold more than a bounded amount for it: lines are
/// taken from the read only while fewer than `maximumInFlight` deferred requests run and the
/// channel is writable; replies are gathered in one buffer up to `maximumGatheredReplyBytes`, then
/// handed to the channel, whose write buffer's high water mark is the same size. Otherwise lines
/// wait in `pending` and the socket is not read again until they are done. So a connection holds
/// at most one event's reads of requests (NIO reads up to four times, each at most one longest
/// line) and twice the gathered limit of replies. A client that only sends lines that do not parse
/// is disconnected after `maximumConsecutiveErrors`.
final class LineConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Limits {
        /// Deferred requests (AUTH, VERIFY with a service) running at once.
        var maximumInFlight: Int
        /// BAD replies in a row before the connection is closed.
        var maximumConsecutiveErrors: Int
        /// On listeners that require CLIENT: how long a connection may take to send a good one.
        var clientDeadline: TimeAmount
        /// Replies gathered before they are handed to the channel.
        var maximumGatheredReplyBytes: Int
    }

    private let commands: LineCommands
    private let registry: ConnectionRegistry
    private let limits: Limits
    private let greeting: [UInt8]
    /// Lines of the last read not yet handled, oldest first.
    private var pending = CircularBuffer<ByteBuffer>()
    private var inFlight = 0
    private var consecutiveErrors = 0
    private var readPending = false
    private var draining = false
    private var closing = false
    private var registered = false
    /// Replies not yet handed to the channel: one write per flush, not one per reply.
    private var outgoing: ByteBuffer?
    private var clientDeadline: Scheduled<Void>?
    private var session: LineSession

    init(
        commands: LineCommands, registry: ConnectionRegistry, limits: Limits, greeting: [UInt8],
        requiresClient: Bool
    ) {
        self.commands = commands
        self.session = LineSession(requiresClient: requiresClient)
        self.registry = registry
        self.limits = limits
        self.greeting = greeting
    }

    func channelActive(context: ChannelHandlerContext) {
        switch registry.add(context.channel, authenticated: !session.requiresClient) {
        case .refused:
            send(.temp("*", "too_many_connections"), context: context)
            close(context: context)
            return
        case .admittedEvicting(let oldest):
            oldest.close(promise: nil)
        case .admitted:
            break
        }
        registered = true
        session.peer = context.channel.remoteAddress?.ipAddress
        if session.requiresClient {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            clientDeadline = context.eventLoop.scheduleTask(in: limits.clientDeadline) {
                let (handler, context) = bound.value
                guard handler.session.client == nil else { return }
                handler.send(.no("*", "client_auth_timeout"), context: context)
                handler.close(context: context)
            }
        }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: greeting)), promise: nil)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientDeadline?.cancel()
        if registered { registry.remove(context.channel) }
        pending.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        pending.append(unwrapInboundIn(data))
        handlePending(context: context)
    }

    /// Handles waiting lines while the limits allow. Replies gathered up to the limit are handed
    /// to the channel at once, so from then on the channel's writability decides whether more
    /// lines are handled; a full buffer is never left waiting for an event that would flush it.
    private func handlePending(context: ChannelHandlerContext) {
        while !closing, inFlight < limits.maximumInFlight, context.channel.isWritable, let line = pending.popFirst() {
            handle(line, context: context)
            if (outgoing?.readableBytes ?? 0) >= limits.maximumGatheredReplyBytes { flushIfNeeded(context: context) }
        }
    }

    private func handle(_ line: ByteBuffer, context: ChannelHandlerContext) {
        let request: LineRequest
        do {
            request = try LineCodec.parse(line.readableBytesView)
        } catch {
            commands.recordMalformed()
            send(error.reply, context: context)
            consecutiveErrors += 1
            if consecutiveErrors >= limits.maximumConsecutiveErrors {
                send(.bad("*", "too_many_errors"), context: context)
                close(context: context)
            }
            return
        }
        consecutiveErrors = 0
        dispatch(commands.handle(request, session: session), context: context)
    }

    private func dispatch(_ outcome: LineCommands.Outcome, context: ChannelHandlerContext) {
        switch outcome {
        case .reply(let reply):
            send(reply, context: context)
        case .authenticated(let client, let reply):
            session.client = client
            clientDeadline?.cancel()
            registry.authenticated(context.channel)
            send(reply, context: context)
        case .close(let reply):
            send(reply, context: context)
            close(context: context)
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
        guard context.channel.isActive, !closing else { return }
        send(reply, context: context)
        resume(context: context)
    }

    /// After a deferred reply or a writability change: handle what waits, flush, read on if allowed.
    private func resume(context: ChannelHandlerContext) {
        handlePending(context: context)
        flushIfNeeded(context: context)
        if draining, inFlight == 0, pending.isEmpty {
            close(context: context)
        } else if readPending, canRead(context) {
            readPending = false
            context.read()
        }
    }

    private func canRead(_ context: ChannelHandlerContext) -> Bool {
        pending.isEmpty && inFlight < limits.maximumInFlight && context.channel.isWritable && !draining && !closing
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { resume(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if canRead(context) {
            context.read()
        } else {
            readPending = true
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            close(context: context)
        case is DrainEvent:
            draining = true
            pending.removeAll()
            if inFlight == 0 { close(context: context) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is LineTooLongError || error is ByteToMessageDecoderError {
            send(.bad("*", "line_too_long"), context: context)
        }
        close(context: context)
    }

    /// Flushes what was written, then closes; lines still waiting are dropped unanswered.
    private func close(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        pending.removeAll()
        flushIfNeeded(context: context)
        context.close(promise: nil)
    }

    private func send(_ reply: LineReply, context: ChannelHandlerContext) {
        let bytes = LineCodec.encode(reply)
        var buffer = outgoing.take() ?? context.channel.allocator.buffer(capacity: max(bytes.count, 512))
        buffer.writeBytes(bytes)
        outgoing = buffer
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard let buffer = outgoing, buffer.readableBytes > 0 else { return }
        outgoing = nil
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}
