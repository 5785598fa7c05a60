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

    /// One timer per connection at most, never cancelled by a request: cancelling a scheduled
    /// task searches the event loop's whole timer queue, which thousands of idle connections
    /// fill. The timer checks, when it fires, whether the request it was set for is still being
    /// read, and sets itself again for the current deadline if there is one.
    final class Watcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart

        private let deadlines: HTTPRequestDeadlines
        /// When the request being read must be read by; nil between requests.
        private var deadline: NIODeadline?
        private var timer: Scheduled<Void>?

        init(deadlines: HTTPRequestDeadlines) {
            self.deadlines = deadlines
        }

        func handlerAdded(context: ChannelHandlerContext) {
            try? context.pipeline.syncOperations.addHandler(ByteWatcher(watcher: self), position: .first)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            timer?.cancel()
            timer = nil
            deadline = nil
        }

        /// Bytes arrived from the socket: between requests, they start one.
        func bytesArrived(on channel: any Channel) {
            guard deadline == nil else { return }
            set(.now() + deadlines.head, on: channel)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head: set(.now() + deadlines.body, on: context.channel)
            case .body: break
            case .end: deadline = nil
            }
            context.fireChannelRead(data)
        }

        private func set(_ newDeadline: NIODeadline, on channel: any Channel) {
            deadline = newDeadline
            guard timer == nil else { return }  // the pending one moves itself on when it fires
            schedule(at: newDeadline, on: channel)
        }

        private func schedule(at instant: NIODeadline, on channel: any Channel) {
            timer = channel.eventLoop.assumeIsolated().scheduleTask(deadline: instant) { [self] in
                timer = nil
                guard let deadline else { return }
                if deadline <= .now() {
                    HTTPRequestDeadlines.missed.increment()
                    channel.close(promise: nil)
                } else {
                    schedule(at: deadline, on: channel)
                }
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
