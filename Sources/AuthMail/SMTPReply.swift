public import NIOCore
import NIOSSL

/// One SMTP reply: its code and its lines' texts (RFC 5321 §4.2).
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    public var description: String { "\(code) \(lines.joined(separator: " / "))" }
    var isPositive: Bool { (200..<300).contains(code) }
    var isTransient: Bool { (400..<500).contains(code) }

    /// The EHLO reply's extension keywords, upper-cased, with their parameters.
    var extensions: [String: [String]] {
        var found: [String: [String]] = [:]
        for line in lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            if let keyword = words.first { found[keyword.uppercased()] = Array(words.dropFirst()) }
        }
        return found
    }
}

/// A reply that breaks RFC 5321: not three digits, a code that changes within a reply, a line or
/// a reply too long, bytes after a reply to STARTTLS.
struct SMTPProtocolError: Error, CustomStringConvertible {
    let description: String
}

/// Cuts the server's bytes into replies, and turns on TLS after a 220 to STARTTLS: the TLS
/// handler goes in front of this one on the event loop while it handles that reply, so no byte
/// read after it can be taken for plain text, and any byte the server sent after it (a command
/// injection, CVE-2011-0411) fails the session.
final class SMTPReplyHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = SMTPReply
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var parser = SMTPReplyParser()
    private var startTLSSent = false
    private let tls: NIOSSLContext?
    private let serverHostname: String?

    init(tls: NIOSSLContext?, serverHostname: String?) {
        self.tls = tls
        self.serverHostname = serverHostname
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        if bytes.readableBytesView.elementsEqual("STARTTLS\r\n".utf8) { startTLSSent = true }
        context.write(data, promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        parser.append(unwrapInboundIn(data))
        do {
            while let reply = try parser.next() {
                var upgraded = false
                if startTLSSent {
                    startTLSSent = false
                    if reply.code == 220 {
                        try upgrade(context: context)
                        upgraded = true
                    }
                }
                context.fireChannelRead(wrapInboundOut(reply))
                // This read's completion now passes the TLS handler, which keeps it to itself (it read
                // nothing): complete the 220 here, or the conversation would wait for it forever.
                if upgraded { context.fireChannelReadComplete() }
            }
        } catch {
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }

    private func upgrade(context: ChannelHandlerContext) throws {
        guard parser.buffered == 0 else {
            throw SMTPProtocolError(description: "the relay sent more after its reply to STARTTLS")
        }
        guard let tls else { throw SMTPProtocolError(description: "STARTTLS without a TLS configuration") }
        try context.pipeline.syncOperations.addHandler(
            try NIOSSLClientHandler(context: tls, serverHostname: serverHostname), position: .before(self))
    }
}

/// Cuts a relay's bytes into replies (RFC 5321 §4.2): lines of three digits and a space (the last)
/// or a hyphen (more follow), one code per reply. Bounded: a line longer than `maximumLineLength`
/// or a reply of more than `maximumLines` lines is an error, never a growing buffer. Pure, so
/// `make fuzz` runs it alone (Fuzz/FuzzSMTPReply).
public struct SMTPReplyParser: Sendable {
    public static let maximumLineLength = 2048
    public static let maximumLines = 100

    private var buffer = ByteBuffer()
    private var pending: [String] = []
    private var pendingCode: Int?

    public init() {}

    /// Bytes read and not yet part of a whole reply.
    public var buffered: Int { buffer.readableBytes }

    public mutating func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        buffer.writeBuffer(&bytes)
    }

    /// The next whole reply in the buffer, if there is one.
    public mutating func next() throws -> SMTPReply? {
        while true {
            let view = buffer.readableBytesView
            guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
                if view.count > Self.maximumLineLength { throw SMTPProtocolError(description: "a reply line too long") }
                return nil
            }
            var line = Array(view[view.startIndex..<newline])
            buffer.moveReaderIndex(forwardBy: newline - view.startIndex + 1)
            if line.last == 13 { line.removeLast() }
            guard line.count >= 3, line.count <= Self.maximumLineLength,
                line[0...2].allSatisfy({ (48...57).contains($0) }), line.count == 3 || line[3] == 32 || line[3] == 45
            else { throw SMTPProtocolError(description: "not an SMTP reply line") }
            let code = Int(String(decoding: line[0...2], as: UTF8.self))!
            guard pendingCode == nil || pendingCode == code, pending.count < Self.maximumLines else {
                throw SMTPProtocolError(description: "a malformed multi-line reply")
            }
            pendingCode = code
            pending.append(String(decoding: line.dropFirst(4), as: UTF8.self))
            if line.count == 3 || line[3] == 32 {
                defer { (pending, pendingCode) = ([], nil) }
                return SMTPReply(code: code, lines: pending)
            }
        }
    }
}
