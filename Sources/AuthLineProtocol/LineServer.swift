import AuthCore
public import Logging
public import NIOCore
import NIOPosix
public import ServiceLifecycle

/// The TCP line-protocol listener (docs/line-protocol.md), a `Service` of the daemon's group.
/// On graceful shutdown it stops accepting, lets every connection answer what is in flight, closes
/// idle ones at once, and force-closes whatever remains after `shutdownDeadline`.
public struct LineServer: Service {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var maximumLineLength: Int
        /// Deferred requests (AUTH) one connection may have running before reading pauses.
        public var maximumInFlight: Int
        /// A connection that sends nothing for this long is closed.
        public var idleTimeout: TimeAmount
        public var maximumConnections: Int
        public var shutdownDeadline: Duration
        /// Clients that may connect when the listener is not on loopback.
        public var clients: [LineClientKey]
        /// Whether connections must send CLIENT first; by default, exactly when not on loopback.
        public var requiresClient: Bool
        /// Where CLIENT is required: how long a new connection has to send a good one.
        public var clientDeadline: TimeAmount
        /// Where CLIENT is required: connections still to send one, at most; beyond, the oldest is
        /// closed to make room, so idle sockets cannot take the places of real clients.
        public var maximumUnauthenticated: Int
        /// Lines in a row that do not parse before the connection is closed.
        public var maximumConsecutiveErrors: Int
        /// Replies queued for a client that does not read, in bytes, before the server stops reading
        /// its requests (half gathered by the connection, half the write buffer's high water mark).
        public var maximumQueuedReplyBytes: Int

        public init(
            host: String = "127.0.0.1", port: Int = 5001, maximumLineLength: Int = LineCodec.maximumLineLength,
            maximumInFlight: Int = 64, idleTimeout: TimeAmount = .seconds(300), maximumConnections: Int = 1024,
            shutdownDeadline: Duration = .seconds(10), clients: [LineClientKey] = [], requiresClient: Bool? = nil,
            clientDeadline: TimeAmount = .seconds(10), maximumUnauthenticated: Int = 64,
            maximumConsecutiveErrors: Int = 16, maximumQueuedReplyBytes: Int = 64 * 1024
        ) {
            self.clients = clients
            self.clientDeadline = clientDeadline
            self.maximumUnauthenticated = max(1, maximumUnauthenticated)
            self.maximumConsecutiveErrors = max(1, maximumConsecutiveErrors)
            self.maximumQueuedReplyBytes = max(1024, maximumQueuedReplyBytes)
            self.requiresClient = requiresClient ?? !HostPort.isLoopback(host)
            self.host = host
            self.port = port
            self.maximumLineLength = maximumLineLength
            self.maximumInFlight = max(1, maximumInFlight)
            self.idleTimeout = idleTimeout
            self.maximumConnections = max(1, maximumConnections)
            self.shutdownDeadline = shutdownDeadline
        }
    }

    let configuration: Configuration
    let commands: LineCommands
    let logger: Logger
    let onListening: @Sendable (SocketAddress) -> Void

    public init(
        configuration: Configuration, commands: LineCommands, logger: Logger,
        onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.commands = commands
        self.logger = logger
        self.onListening = onListening
    }

    /// `VERSION\t1\t0` and the capabilities, sent on connect.
    static func greeting(_ configuration: Configuration) -> [UInt8] {
        Array(
            ("VERSION\t1\t0\n" + "CAPS\tcommands=\(LineCommands.commands.joined(separator: ","))"
                + "\tmax_line=\(configuration.maximumLineLength)\tmax_inflight=\(configuration.maximumInFlight)\n").utf8
        )
    }

    public func run() async throws {
        let configuration = self.configuration
        let commands = self.commands
        let registry = ConnectionRegistry(
            limit: configuration.maximumConnections,
            unauthenticatedLimit: configuration.requiresClient ? configuration.maximumUnauthenticated : .max)
        let greeting = Self.greeting(configuration)
        let limits = LineConnectionHandler.Limits(
            maximumInFlight: configuration.maximumInFlight,
            maximumConsecutiveErrors: configuration.maximumConsecutiveErrors,
            clientDeadline: configuration.clientDeadline,
            maximumGatheredReplyBytes: configuration.maximumQueuedReplyBytes / 2)
        // Replies gathered and replies in the channel's write buffer share the limit half and half.
        let waterMark = ChannelOptions.Types.WriteBufferWaterMark(
            low: configuration.maximumQueuedReplyBytes / 4, high: configuration.maximumQueuedReplyBytes / 2)
        // Reads of at most one longest line (NIO's default is 64 KiB): a client that sends and never
        // reads leaves a quarter as much waiting, at no cost to pipelined throughput.
        let reads = AdaptiveRecvByteBufferAllocator(
            minimum: 64, initial: 2048, maximum: max(2048, configuration.maximumLineLength))
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: waterMark)
            .childChannelOption(.recvAllocator, value: reads)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: configuration.idleTimeout),
                        ByteToMessageHandler(LineFrameDecoder(maximumLength: configuration.maximumLineLength)),
                        LineConnectionHandler(
                            commands: commands, registry: registry, limits: limits, greeting: greeting,
                            requiresClient: configuration.requiresClient),
                    ])
                }
            }
            .bind(host: configuration.host, port: configuration.port).get()
        if let address = server.localAddress {
            logger.info("line protocol listening", metadata: ["address": "\(address)"])
            onListening(address)
        }
        try? await gracefulShutdown()
        try? await server.close()
        registry.drainAll()
        let deadline = ContinuousClock.now + configuration.shutdownDeadline
        while registry.count > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        registry.closeAll()
    }
}

/// ServiceLifecycle logs its services: name the address, not the whole object graph.
extension LineServer: CustomStringConvertible {
    public var description: String { "LineServer(\(configuration.host):\(configuration.port))" }
}
