public import Logging
public import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// The RADIUS front end (RFC 2865) on UDP, a `Service` of the daemon's group: each datagram is
/// answered by `RadiusResponder` on a task of its own, at most `maximumInFlight` at once (more
/// are dropped; the NAS retransmits). On graceful shutdown it stops reading; requests being
/// decided are answered.
public struct RadiusServer: Service {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var maximumInFlight: Int
        /// Where Accounting-Requests are recorded (`radius.accounting_addr`); nil: nowhere.
        public var accounting: (host: String, port: Int)?

        public init(
            host: String = "127.0.0.1", port: Int = 1812, maximumInFlight: Int = 256,
            accounting: (host: String, port: Int)? = nil
        ) {
            self.host = host
            self.port = port
            self.maximumInFlight = max(1, maximumInFlight)
            self.accounting = accounting
        }
    }

    let configuration: Configuration
    let responder: RadiusResponder
    let logger: Logger
    let onListening: @Sendable (SocketAddress) -> Void

    public init(
        configuration: Configuration, responder: RadiusResponder, logger: Logger,
        onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.onListening = onListening
    }

    typealias Envelope = AddressedEnvelope<ByteBuffer>
    typealias Socket = NIOAsyncChannel<Envelope, Envelope>

    public func run() async throws {
        var sockets = [(try await bind(host: configuration.host, port: configuration.port, accounting: false), false)]
        if let accounting = configuration.accounting {
            sockets.append((try await bind(host: accounting.host, port: accounting.port, accounting: true), true))
        }
        let inFlight = InFlight()
        try await withThrowingDiscardingTaskGroup { group in
            for (socket, accounting) in sockets {
                group.addTask { try await serve(socket, accounting: accounting, inFlight: inFlight) }
            }
        }
    }

    private func bind(host: String, port: Int, accounting: Bool) async throws -> Socket {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try Socket(wrappingChannelSynchronously: channel) }
            }
        if let address = channel.channel.localAddress {
            logger.info(
                accounting ? "RADIUS accounting listening" : "RADIUS listening", metadata: ["address": "\(address)"])
            onListening(address)
        }
        return channel
    }

    /// Answers each datagram on a task of its own, at most `maximumInFlight` at once over both ports.
    private func serve(_ socket: Socket, accounting: Bool, inFlight: InFlight) async throws {
        let (responder, logger, limit) = (self.responder, self.logger, configuration.maximumInFlight)
        try await socket.executeThenClose { inbound, outbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await envelope in inbound.cancelOnGracefulShutdown() {
                    guard inFlight.count.add(1, ordering: .relaxed).newValue <= limit else {
                        inFlight.count.subtract(1, ordering: .relaxed)
                        logger.warning("radius: too many requests in flight, one dropped")
                        continue
                    }
                    group.addTask {
                        defer { inFlight.count.subtract(1, ordering: .relaxed) }
                        let peer = envelope.remoteAddress
                        guard let address = peer.ipAddress, let port = peer.port,
                            let reply = await responder.respond(
                                to: Array(buffer: envelope.data), from: address, port: port,
                                on: accounting ? .accounting : .authentication)
                        else { return }
                        try? await outbound.write(Envelope(remoteAddress: peer, data: ByteBuffer(bytes: reply)))
                    }
                }
            }
        }
    }
}

/// The requests being decided, shared by the tasks deciding them.
private final class InFlight: Sendable {
    let count = Atomic<Int>(0)
}
