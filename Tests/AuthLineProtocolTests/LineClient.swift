import AuthCore
import NIOCore
import NIOPosix

@testable import AuthLineProtocol

/// A test client speaking raw lines over a real socket.
final class LineClient {
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator

    private init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Connects, optionally reads past the two greeting lines, runs `body`, closes.
    static func with<R: Sendable>(
        port: Int, skipGreeting: Bool = true, _ body: (LineClient) async throws -> R
    ) async throws -> R {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maximumLength: 1 << 20)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let client = LineClient(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            if skipGreeting {
                _ = try await client.readLine()
                _ = try await client.readLine()
            }
            return try await body(client)
        }
    }

    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    func sendBytes(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// The next line without its newline; nil once the server closed.
    func readLine() async throws -> String? {
        try await inbound.next().map { String(buffer: $0) }
    }

    func reply() async throws -> LineReply? {
        try await inbound.next().flatMap { LineCodec.parseReply($0.readableBytesView) }
    }
}
