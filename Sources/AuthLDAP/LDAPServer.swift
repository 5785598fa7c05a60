import AuthCore
public import Logging
public import NIOCore
import NIOPosix
public import NIOSSL
public import ServiceLifecycle
import Synchronization

/// The LDAP front end on TCP, a `Service` of the daemon's group. Each connection's requests are
/// answered in order, one at a time (a search's entries all go out before the next request is
/// read), so a connection holds one request and its answer at most. Messages longer than
/// `maximumMessageLength`, malformed ones, idle connections and connections beyond the limit
/// are closed, a notice of disconnection first where LDAP has one. With a certificate it offers
/// StartTLS and, when configured, listens for LDAPS too. On graceful shutdown it stops accepting
/// and each connection ends after the request it is answering.
public struct LDAPServer: Service {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var maximumMessageLength: Int
        public var idleTimeout: TimeAmount
        public var maximumConnections: Int
        /// The certificate and key: StartTLS on `host:port`, and LDAPS on `ldaps` when set.
        public var tls: NIOSSLContext?
        public var ldaps: (host: String, port: Int)?
        /// Refuse binds with a password on a connection without TLS (`confidentialityRequired`).
        public var requireTLS: Bool

        public init(
            host: String = "127.0.0.1", port: Int = 3389, maximumMessageLength: Int = 64 * 1024,
            idleTimeout: TimeAmount = .seconds(300), maximumConnections: Int = 256, tls: NIOSSLContext? = nil,
            ldaps: (host: String, port: Int)? = nil, requireTLS: Bool = false
        ) {
            self.host = host
            self.port = port
            self.maximumMessageLength = max(1024, maximumMessageLength)
            self.idleTimeout = idleTimeout
            self.maximumConnections = max(1, maximumConnections)
            self.tls = tls
            self.ldaps = ldaps
            self.requireTLS = requireTLS
        }
    }

    let configuration: Configuration
    let responder: LDAPResponder
    let logger: Logger
    let onListening: @Sendable (_ address: SocketAddress, _ ldaps: Bool) -> Void

    public init(
        configuration: Configuration, responder: LDAPResponder, logger: Logger,
        onListening: @escaping @Sendable (_ address: SocketAddress, _ ldaps: Bool) -> Void = { _, _ in }
    ) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.onListening = onListening
    }

    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    public func run() async throws {
        var listeners = [(try await listen(host: configuration.host, port: configuration.port, tls: nil), false)]
        if let ldaps = configuration.ldaps, let tls = configuration.tls {
            listeners.append((try await listen(host: ldaps.host, port: ldaps.port, tls: tls), true))
        }
        let open = OpenConnections()
        try await withThrowingDiscardingTaskGroup { group in
            for (listener, ldaps) in listeners {
                group.addTask { try await accept(listener, ldaps: ldaps, open: open) }
            }
        }
    }

    /// A listening socket; with `tls`, every connection starts with the TLS handshake (LDAPS).
    private func listen(host: String, port: Int, tls: NIOSSLContext?) async throws -> NIOAsyncChannel<Connection, Never>
    {
        let configuration = self.configuration
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                    try pipeline.addHandlers([
                        IdleStateHandler(readTimeout: configuration.idleTimeout), CloseOnIdle(),
                        ByteToMessageHandler(LDAPFrameDecoder(maximumLength: configuration.maximumMessageLength)),
                    ])
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        if let address = server.channel.localAddress {
            logger.info(tls == nil ? "LDAP listening" : "LDAPS listening", metadata: ["address": "\(address)"])
            onListening(address, tls != nil)
        }
        return server
    }

    private func accept(_ server: NIOAsyncChannel<Connection, Never>, ldaps: Bool, open: OpenConnections) async throws {
        let limit = configuration.maximumConnections
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections.cancelOnGracefulShutdown() {
                    guard open.count.add(1, ordering: .relaxed).newValue <= limit else {
                        open.count.subtract(1, ordering: .relaxed)
                        logger.warning("ldap: too many connections, closing a new one")
                        try? await connection.executeThenClose { _, outbound in
                            try await outbound.write(
                                ByteBuffer(bytes: LDAPResponse.disconnection("too many connections")))
                        }
                        continue
                    }
                    group.addTask {
                        defer { open.count.subtract(1, ordering: .relaxed) }
                        await serve(connection, ldaps: ldaps)
                    }
                }
            }
        }
    }

    private func serve(_ connection: Connection, ldaps: Bool) async {
        let peer = connection.channel.remoteAddress?.ipAddress
        var session = LDAPSession(
            responder: responder, peer: peer, tls: ldaps, canStartTLS: !ldaps && configuration.tls != nil,
            requireTLS: configuration.requireTLS)
        do {
            try await connection.executeThenClose { inbound, outbound in
                do {
                    for try await message in inbound.cancelOnGracefulShutdown() {
                        let step = await session.handle(Array(buffer: message)[...])
                        if !step.output.isEmpty { try await outbound.write(ByteBuffer(bytes: step.output)) }
                        if step.close { break }
                        if step.startTLS, let tls = configuration.tls {
                            // The client sends its ClientHello only after reading the answer above,
                            // which the event loop writes before it runs this.
                            let channel = connection.channel
                            try await channel.eventLoop.submit {
                                try channel.pipeline.syncOperations.addHandler(
                                    NIOSSLServerHandler(context: tls), position: .first)
                            }.get()
                        }
                    }
                } catch let error as BERError {
                    logger.notice("ldap: closing a connection: \(error)", metadata: ["peer": "\(peer ?? "-")"])
                    try await outbound.write(ByteBuffer(bytes: LDAPResponse.disconnection(error.description)))
                }
            }
        } catch {
            logger.debug("ldap: connection ended", metadata: ["error": "\(error)"])
        }
    }
}

extension LDAPServer: CustomStringConvertible {
    public var description: String { "LDAPServer(\(configuration.host):\(configuration.port))" }
}

/// Cuts the byte stream into whole BER messages, however TCP cut or coalesced them. A message
/// announcing more than `maximumLength` bytes is an error before its content arrives.
struct LDAPFrameDecoder: DropsPartialFrameAtEOF {
    typealias InboundOut = ByteBuffer

    let maximumLength: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let header = try buffer.withUnsafeReadableBytes { bytes in
            try BERElement.header(ArraySlice(bytes.prefix(6)))
        }
        guard let header else { return .needMoreData }
        guard header.tag == BERTag.sequence else { throw BERError("a message is not a SEQUENCE") }
        let total = header.headerLength + header.contentLength
        guard total <= maximumLength else { throw BERError("message longer than \(maximumLength) bytes") }
        guard buffer.readableBytes >= total else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: total)!))
        return .continue
    }

}

/// Connections being served, shared by the tasks serving them.
private final class OpenConnections: Sendable {
    let count = Atomic<Int>(0)
}
