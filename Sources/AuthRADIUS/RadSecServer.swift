import AuthCore
public import Logging
public import NIOCore
import NIOPosix
public import NIOSSL
public import ServiceLifecycle
import Synchronization

/// RADIUS over TLS (RadSec, RFC 6614) on TCP, a `Service` of the daemon's group: clients prove who
/// they are with a certificate the configured CA signed (mutual TLS), then send Access- and
/// Accounting-Requests over the connection, answered by the same `RadiusResponder` as UDP with the
/// fixed secret "radsec". Requests on one connection are decided side by side (a proxy multiplexes
/// many users over one), at most `maximumInFlight` at once per connection; a packet whose Length
/// is not 20 to 4,096 bytes ends the connection.
public struct RadSecServer: Service {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// The server's certificate and key, and the CA whose client certificates are accepted.
        public var tls: NIOSSLContext
        public var maximumConnections: Int
        public var maximumInFlight: Int
        public var idleTimeout: TimeAmount

        public init(
            host: String = "127.0.0.1", port: Int = 2083, tls: NIOSSLContext, maximumConnections: Int = 64,
            maximumInFlight: Int = 64, idleTimeout: TimeAmount = .seconds(600)
        ) {
            self.host = host
            self.port = port
            self.tls = tls
            self.maximumConnections = max(1, maximumConnections)
            self.maximumInFlight = max(1, maximumInFlight)
            self.idleTimeout = idleTimeout
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

    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    public func run() async throws {
        let configuration = self.configuration
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOSSLServerHandler(context: configuration.tls),
                        IdleStateHandler(readTimeout: configuration.idleTimeout), CloseOnIdle(),
                        ByteToMessageHandler(RadiusFrameDecoder()),
                    ])
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        if let address = server.channel.localAddress {
            logger.info("RadSec listening", metadata: ["address": "\(address)"])
            onListening(address)
        }
        let open = Counter()
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections.cancelOnGracefulShutdown() {
                    guard open.value.add(1, ordering: .relaxed).newValue <= configuration.maximumConnections else {
                        open.value.subtract(1, ordering: .relaxed)
                        logger.warning("radsec: too many connections, closing a new one")
                        try? await connection.executeThenClose { _, _ in }
                        continue
                    }
                    group.addTask {
                        defer { open.value.subtract(1, ordering: .relaxed) }
                        await serve(connection)
                    }
                }
            }
        }
    }

    private func serve(_ connection: Connection) async {
        let peer = connection.channel.remoteAddress
        let (address, port) = (peer?.ipAddress ?? "-", peer?.port ?? 0)
        let (responder, limit) = (self.responder, configuration.maximumInFlight)
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var running = 0
                    for try await packet in inbound.cancelOnGracefulShutdown() {
                        // At the limit, wait for one to finish: meanwhile TCP pushes back on the client.
                        if running >= limit {
                            try await group.next()
                            running -= 1
                        }
                        group.addTask {
                            guard
                                let reply = await responder.respond(
                                    to: Array(buffer: packet), from: address, port: port, on: .radsec)
                            else { return }
                            try await outbound.write(ByteBuffer(bytes: reply))
                        }
                        running += 1
                    }
                    try await group.waitForAll()
                }
            }
        } catch let error as RadiusFrameDecoder.BadLength {
            logger.notice("radsec: closing a connection: \(error)", metadata: ["peer": "\(address)"])
        } catch {
            logger.debug("radsec: connection ended", metadata: ["peer": "\(address)", "error": "\(error)"])
        }
    }
}

extension RadSecServer: CustomStringConvertible {
    public var description: String { "RadSecServer(\(configuration.host):\(configuration.port))" }
}

/// Cuts a TLS stream into RADIUS packets by their Length field.
struct RadiusFrameDecoder: DropsPartialFrameAtEOF {
    typealias InboundOut = ByteBuffer

    struct BadLength: Error, CustomStringConvertible {
        var description: String { "a packet whose Length is not 20 to 4,096 bytes" }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return .needMoreData }
        guard (RadiusPacket.minimumLength...RadiusPacket.maximumLength).contains(Int(length)) else { throw BadLength() }
        guard let packet = buffer.readSlice(length: Int(length)) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(packet))
        return .continue
    }

}

/// A count shared by the tasks that move it.
private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
