import Metrics
public import NIOCore
import NIOHTTPTypes

/// Deadlines on reading a request, so a client that trickles bytes cannot hold a connection
/// (slowloris): once the first byte of a request arrives, its head must be complete within
/// `head`, and its body within `body` of the head; a connection that misses one is closed. The
/// idle timeout only sees that bytes keep coming, so without these a byte every few seconds
/// keeps a connection open forever. A connection waiting between requests is the idle timeout's.
public struct HTTPRequestDeadlines: Sendable {
    public var head: TimeAmount
    public var body: TimeAmount

    public init(head: TimeAmount, body: TimeAmount) {
        self.head = head
        self.body = body
    }

    /// The handler to add to each new connection's pipeline, after the HTTP decoder; it puts a
    /// byte watcher of its own in front of the decoder to see when a request starts.
    public func handler() -> any RemovableChannelHandler { Watcher(deadlines: self) }

    private static let missed = Counter(label: "authd_http_request_timeouts_total")

    final class Watcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart

        private enum Phase { case betweenRequests, head, body }

        private let deadlines: HTTPRequestDeadlines
        private var phase = Phase.betweenRequests
        private var timer: Scheduled<Void>?

        init(deadlines: HTTPRequestDeadlines) {
            self.deadlines = deadlines
        }

        func handlerAdded(context: ChannelHandlerContext) {
            try? context.pipeline.syncOperations.addHandler(ByteWatcher(watcher: self), position: .first)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            timer?.cancel()
        }

        /// Bytes arrived from the socket: between requests, they start one.
        func bytesArrived(on channel: any Channel) {
            guard phase == .betweenRequests else { return }
            phase = .head
            arm(deadlines.head, on: channel)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head:
                phase = .body
                arm(deadlines.body, on: context.channel)
            case .body: break
            case .end:
                phase = .betweenRequests
                timer?.cancel()
            }
            context.fireChannelRead(data)
        }

        private func arm(_ amount: TimeAmount, on channel: any Channel) {
            timer?.cancel()
            timer = channel.eventLoop.scheduleTask(in: amount) {
                HTTPRequestDeadlines.missed.increment()
                channel.close(promise: nil)
            }
        }
    }

    /// First in the pipeline: tells the watcher when bytes arrive, before any decoding.
    final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        private let watcher: Watcher

        init(watcher: Watcher) {
            self.watcher = watcher
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            watcher.bytesArrived(on: context.channel)
            context.fireChannelRead(data)
        }
    }
}
