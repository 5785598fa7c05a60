import AuthCore
import AuthLineProtocol
public import Logging
public import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a conversation sends back for one request line: bytes, and whether to close after them.
public struct HookStep: Sendable, Equatable {
    public var output: [UInt8]
    public var close: Bool

    public init(_ output: String = "", close: Bool = false) {
        self.output = Array(output.utf8)
        self.close = close
    }
}

/// One connection's protocol for a server's hook (Dovecot's auth protocol, Postfix's policy
/// delegation): a greeting, then one step per request line, in order.
public protocol HookConversation {
    func greeting() -> [UInt8]
    mutating func handle(_ line: [UInt8]) async -> HookStep
}

/// A listener for one hook protocol (loopback TCP or a unix socket), a `Service` of the daemon's
/// group. Each connection runs its own conversation; requests are read one at a time (one is
/// answered before the next is read, so a connection holds one request and one reply at most).
/// Over-long requests, idle connections and connections beyond the limit are closed. On graceful shutdown it stops
/// accepting and each connection ends after the request it is answering.
public struct HookListener: Service {
    public struct Configuration: Sendable {
        public enum Address: Sendable, Equatable {
            case tcp(host: String, port: Int)
            /// A unix socket, created with `mode` (a stale socket file there is replaced).
            case unix(path: String, mode: UInt16)
        }

        /// How the byte stream is cut into requests.
        public enum Framing: Sendable, Equatable {
            /// `\n`-terminated lines of at most `maximumLength` bytes.
            case lines(maximumLength: Int)
            /// saslauthd's four length-prefixed strings (`SaslauthdFrameDecoder`).
            case saslauthd
        }

        public var address: Address
        public var framing: Framing
        public var idleTimeout: TimeAmount
        public var maximumConnections: Int

        public init(
            address: Address, framing: Framing, idleTimeout: TimeAmount = .seconds(300), maximumConnections: Int = 256
        ) {
            self.address = address
            self.framing = framing
            self.idleTimeout = idleTimeout
            self.maximumConnections = max(1, maximumConnections)
        }
    }

    let name: String
    let configuration: Configuration
    let logger: Logger
    let conversation: @Sendable (_ peer: String?, _ connectionID: UInt64) -> any HookConversation
    let onListening: @Sendable (SocketAddress) -> Void

    /// `name` labels the log lines (e.g. "dovecot auth").
    public init(
        name: String, configuration: Configuration, logger: Logger,
        onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in },
        conversation: @escaping @Sendable (_ peer: String?, _ connectionID: UInt64) -> any HookConversation
    ) {
        self.name = name
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
        self.conversation = conversation
    }

    public func run() async throws {
        let configuration = self.configuration
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> = {
            channel in
            channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandlers([IdleStateHandler(readTimeout: configuration.idleTimeout), CloseOnIdle()])
                switch configuration.framing {
                case .lines(let maximumLength):
                    try pipeline.addHandler(ByteToMessageHandler(LineFrameDecoder(maximumLength: maximumLength)))
                case .saslauthd: try pipeline.addHandler(ByteToMessageHandler(SaslauthdFrameDecoder()))
                }
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        switch configuration.address {
        case .tcp(let host, let port):
            server = try await bootstrap.childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: host, port: port, childChannelInitializer: initializer)
        case .unix(let path, let mode):
            server = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true, childChannelInitializer: initializer)
            guard chmod(path, mode_t(mode)) == 0 else {
                try? await server.channel.close()
                throw HookListenerError(message: "cannot set the mode of \(path)")
            }
        }
        if let address = server.channel.localAddress {
            logger.info("\(name) listening", metadata: ["address": "\(address)"])
            onListening(address)
        }
        let counts = Counts()
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections.cancelOnGracefulShutdown() {
                    let id = counts.connections.wrappingAdd(1, ordering: .relaxed).newValue
                    guard counts.open.add(1, ordering: .relaxed).newValue <= configuration.maximumConnections else {
                        counts.open.subtract(1, ordering: .relaxed)
                        logger.warning("\(name): too many connections, closing a new one")
                        try? await connection.executeThenClose { _, _ in }
                        continue
                    }
                    group.addTask {
                        defer { counts.open.subtract(1, ordering: .relaxed) }
                        await serve(connection, id: id)
                    }
                }
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, id: UInt64) async {
        let peer = connection.channel.remoteAddress?.ipAddress
        var conversation = self.conversation(peer, id)
        do {
            try await connection.executeThenClose { inbound, outbound in
                let greeting = conversation.greeting()
                if !greeting.isEmpty { try await outbound.write(ByteBuffer(bytes: greeting)) }
                for try await line in inbound.cancelOnGracefulShutdown() {
                    let step = await conversation.handle(Array(buffer: line))
                    if !step.output.isEmpty { try await outbound.write(ByteBuffer(bytes: step.output)) }
                    if step.close { break }
                }
            }
        } catch is LineTooLongError {
            logger.notice("\(name): closing a connection: line too long", metadata: ["peer": "\(peer ?? "")"])
        } catch let error as SaslauthdFrameDecoder.Malformed {
            logger.notice("\(name): closing a connection: \(error.message)")
        } catch {
            logger.debug("\(name): connection ended", metadata: ["error": "\(error)"])
        }
    }
}

struct HookListenerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Connections served so far (their IDs) and open now.
final class Counts: Sendable {
    let connections = Atomic<UInt64>(0)
    let open = Atomic<Int>(0)
}

extension HookListener: CustomStringConvertible {
    public var description: String { "HookListener(\(name), \(configuration.address))" }
}
