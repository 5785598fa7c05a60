import AuthCore
import NIOCore
import NIOPosix
import Synchronization

/// An SMTP server for the client's tests, on a loopback port: it greets, then answers each
/// command line with what `answer` returns for it (nil: the usual success), collects the DATA
/// section as sent (dot-stuffed), and records every line. One connection at a time.
final class ScriptedSMTPServer: Sendable {
    typealias Answer = @Sendable (String) -> String?

    /// What the server received, shared with its connections.
    final class Record: Sendable {
        let lines = Mutex<[String]>([])
        let data = Mutex<[String]>([])
    }

    let port: Int
    let record = Record()
    var lines: [String] { record.lines.withLock { $0 } }
    /// The DATA section's lines, as they arrived (dot-stuffed, ending with ".").
    var data: [String] { record.data.withLock { $0 } }
    private let channel: Channel

    init(greeting: String = "220 scripted ESMTP", answer: @escaping Answer = { _ in nil }) async throws {
        let record = self.record
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(LineFrameDecoder(maximumLength: 1 << 20)),
                        Conversation(greeting: greeting, answer: answer, record: record),
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    func close() async {
        try? await channel.close()
    }

    /// The usual successful answer to a command.
    static func success(_ line: String) -> String {
        switch line.split(separator: " ").first?.uppercased() ?? "" {
        case "EHLO": "250-scripted\r\n250-AUTH PLAIN LOGIN\r\n250-SMTPUTF8\r\n250 8BITMIME"
        case "DATA": "354 go ahead"
        case "QUIT": "221 bye"
        case "AUTH": "235 ok"
        default: "250 ok"
        }
    }

    private final class Conversation: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let greeting: String
        let answer: Answer
        let record: Record
        let inData = Mutex(false)

        init(greeting: String, answer: @escaping Answer, record: Record) {
            self.greeting = greeting
            self.answer = answer
            self.record = record
        }

        func channelActive(context: ChannelHandlerContext) {
            send(greeting, context: context)
        }

        func channelRead(context: ChannelHandlerContext, data incoming: NIOAny) {
            var line = String(buffer: unwrapInboundIn(incoming))
            if line.hasSuffix("\r") { line.removeLast() }
            if inData.withLock({ $0 }) {
                record.data.withLock { $0.append(line) }
                guard line == "." else { return }
                inData.withLock { $0 = false }
            }
            record.lines.withLock { $0.append(line) }
            let reply = answer(line) ?? ScriptedSMTPServer.success(line)
            if line.uppercased() == "DATA" && reply.hasPrefix("354") { inData.withLock { $0 = true } }
            if reply.isEmpty { return }
            send(reply, context: context)
            if line.uppercased() == "QUIT" { context.close(promise: nil) }
        }

        private func send(_ reply: String, context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply + "\r\n")), promise: nil)
        }
    }
}
