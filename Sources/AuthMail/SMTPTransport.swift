import AuthCore
import NIOCore
import NIOPosix
public import NIOSSL

/// Sends mail to an SMTP relay (RFC 5321) over SwiftNIO: EHLO (HELO when refused), STARTTLS
/// (RFC 3207) or TLS from the first byte, AUTH PLAIN or LOGIN (RFC 4954) only over TLS or to a
/// loopback relay, SMTPUTF8 (RFC 6531) when an address needs it, dot-stuffed DATA, QUIT. One
/// connection per message: mail is rare next to logins, and a relay's errors then touch one message.
public struct SMTPTransport: MailTransport {
    public struct Configuration: Sendable {
        public enum Security: String, Sendable, CaseIterable {
            /// Plain text; for a relay on loopback or a private network.
            case none
            /// STARTTLS, required: a relay that does not offer it gets no mail.
            case startTLS = "starttls"
            /// TLS from the first byte (port 465, RFC 8314).
            case tls
        }

        public var host: String
        public var port: Int
        public var security: Security
        /// Certificates are always verified against these roots and `host`; nil: the system's.
        public var trustRoots: NIOSSLTrustRoots?
        public var username: String?
        public var password: String?
        /// The name authd gives in EHLO.
        public var heloName: String
        /// How long a connection and each reply may take, and the whole conversation.
        public var connectTimeout: Duration
        public var replyTimeout: Duration
        public var sessionTimeout: Duration

        public init(
            host: String, port: Int, security: Security = .startTLS, trustRoots: NIOSSLTrustRoots? = nil,
            username: String? = nil, password: String? = nil, heloName: String = "localhost",
            connectTimeout: Duration = .seconds(10), replyTimeout: Duration = .seconds(60),
            sessionTimeout: Duration = .seconds(120)
        ) {
            self.host = host
            self.port = port
            self.security = security
            self.trustRoots = trustRoots
            self.username = username
            self.password = password
            self.heloName = heloName
            self.connectTimeout = connectTimeout
            self.replyTimeout = replyTimeout
            self.sessionTimeout = sessionTimeout
        }

        var isLoopback: Bool { HostPort.isLoopback(host) }
    }

    typealias Connection = NIOAsyncChannel<SMTPReply, ByteBuffer>

    let configuration: Configuration
    let tls: NIOSSLContext?

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        if configuration.security == .none {
            tls = nil
        } else {
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            tlsConfiguration.minimumTLSVersion = .tlsv12

            if let roots = configuration.trustRoots { tlsConfiguration.trustRoots = roots }
            tls = try NIOSSLContext(configuration: tlsConfiguration)
        }
    }

    public func send(from: String, to: String, data: [UInt8]) async throws(MailTransportError) {
        let connection: Connection
        do {
            connection = try await connect()
        } catch {
            throw MailTransportError(temporary: true, "cannot reach the relay: \(error)")
        }
        let channel = connection.channel
        let deadline = Task {
            try await Task.sleep(for: configuration.sessionTimeout)
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        do {
            try await connection.executeThenClose { inbound, outbound in
                var session = Session(
                    replies: inbound.makeAsyncIterator(), outbound: outbound, configuration: configuration,
                    tlsFromStart: configuration.security == .tls)
                try await session.run(from: from, to: to, data: data)
            }
        } catch let error as MailTransportError {
            throw error
        } catch {
            throw MailTransportError(temporary: true, "the conversation with the relay broke off: \(error)")
        }
    }

    private func connect() async throws -> Connection {
        let configuration = self.configuration
        let tls = self.tls
        let hostname =
            configuration.host.first?.isNumber == true || configuration.host.contains(":")
            ? nil : configuration.host
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if configuration.security == .tls, let tls {
                        try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: hostname))
                    }
                    try pipeline.addHandlers([
                        IdleStateHandler(readTimeout: TimeAmount(configuration.replyTimeout)), CloseOnIdle(),
                        SMTPReplyHandler(
                            tls: configuration.security == .startTLS ? tls : nil, serverHostname: hostname),
                    ])
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }
}

/// The password never prints.
extension SMTPTransport.Configuration: CustomStringConvertible, CustomReflectable {
    public var description: String {
        "SMTPTransport.Configuration(host: \(host), port: \(port), security: \(security.rawValue), "
            + "username: \(username ?? "-"), password: \(password == nil ? "-" : "<redacted>"))"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["host": host, "port": port, "security": security, "username": username as Any])
    }
}

extension SMTPTransport: CustomStringConvertible {
    public var description: String { "SMTPTransport(\(configuration))" }
}

/// One conversation, command by command.
private struct Session {
    var replies: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let configuration: SMTPTransport.Configuration
    var encrypted: Bool

    init(
        replies: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        configuration: SMTPTransport.Configuration, tlsFromStart: Bool
    ) {
        self.replies = replies
        self.outbound = outbound
        self.configuration = configuration
        encrypted = tlsFromStart
    }

    mutating func run(from: String, to: String, data: [UInt8]) async throws {
        try expect(try await next(), "greeting")
        var extensions = try await hello()
        if configuration.security == .startTLS {
            guard extensions["STARTTLS"] != nil else {
                throw MailTransportError(temporary: true, "the relay does not offer STARTTLS")
            }
            try expect(try await command("STARTTLS"), "STARTTLS")
            encrypted = true
            extensions = try await hello()
        }
        if let username = configuration.username, let password = configuration.password {
            try await authenticate(username: username, password: password, offered: extensions["AUTH"] ?? [])
        }
        let needsUTF8 = !MailAddress.isASCII(from) || !MailAddress.isASCII(to)
        if needsUTF8 && extensions["SMTPUTF8"] == nil {
            throw MailTransportError(temporary: false, "an address needs SMTPUTF8, which the relay does not offer")
        }
        let parameters = needsUTF8 ? " SMTPUTF8" + (extensions["8BITMIME"] != nil ? " BODY=8BITMIME" : "") : ""
        try expect(try await command("MAIL FROM:<\(from)>\(parameters)"), "MAIL FROM", message: true)
        try expect(try await command("RCPT TO:<\(to)>"), "RCPT TO", message: true)
        let ready = try await command("DATA")
        guard ready.code == 354 else { throw Self.failure(ready, "DATA", message: true) }
        try await outbound.write(ByteBuffer(bytes: Self.dotStuffed(data)))
        try expect(try await next(), "the message", message: true)
        _ = try? await command("QUIT")
    }

    /// EHLO's extensions; HELO, with none, when the relay refuses EHLO.
    private mutating func hello() async throws -> [String: [String]] {
        let reply = try await command("EHLO \(configuration.heloName)")
        if reply.code == 250 { return reply.extensions }
        guard reply.code >= 500 else { throw Self.failure(reply, "EHLO") }
        try expect(try await command("HELO \(configuration.heloName)"), "HELO")
        return [:]
    }

    private mutating func authenticate(username: String, password: String, offered: [String]) async throws {
        guard encrypted || configuration.isLoopback else {
            throw MailTransportError(temporary: true, "authd sends its relay password only over TLS or to loopback")
        }
        let mechanisms = Set(offered.map { $0.uppercased() })
        let reply: SMTPReply
        if mechanisms.contains("PLAIN") {
            let token = MIMEWriter.base64(Array("\0\(username)\0\(password)".utf8))
            reply = try await command("AUTH PLAIN \(token)")
        } else if mechanisms.contains("LOGIN") {
            guard try await command("AUTH LOGIN").code == 334,
                try await command(MIMEWriter.base64(Array(username.utf8))).code == 334
            else { throw MailTransportError(temporary: true, "the relay broke off AUTH LOGIN") }
            reply = try await command(MIMEWriter.base64(Array(password.utf8)))
        } else {
            throw MailTransportError(temporary: true, "the relay offers neither AUTH PLAIN nor AUTH LOGIN")
        }
        guard reply.code == 235 else {
            throw MailTransportError(temporary: true, "the relay refused authd's credentials: \(reply.code)")
        }
    }

    /// Throws unless `reply` is a 2xx.
    private func expect(_ reply: SMTPReply, _ step: String, message: Bool = false) throws {
        guard reply.isPositive else { throw Self.failure(reply, step, message: message) }
    }

    /// A 4xx, or any refusal of a step that is not about the message, is temporary; a 5xx to the
    /// message's own steps (MAIL, RCPT, DATA) is permanent.
    private static func failure(_ reply: SMTPReply, _ step: String, message: Bool = false) -> MailTransportError {
        MailTransportError(temporary: reply.isTransient || !message, "\(step): \(reply)")
    }

    private mutating func command(_ line: String) async throws -> SMTPReply {
        do {
            try await outbound.write(ByteBuffer(string: line + "\r\n"))
        } catch {
            // The channel closed under the write: why (a TLS handshake that failed, say) ends the replies.
            _ = try await replies.next()
            throw error
        }
        return try await next()
    }

    private mutating func next() async throws -> SMTPReply {
        guard let reply = try await replies.next() else {
            throw MailTransportError(temporary: true, "the relay closed the connection or did not answer in time")
        }
        return reply
    }

    /// The DATA section: CRLF line ends, a "." that starts a line doubled, ended by CRLF "." CRLF.
    static func dotStuffed(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        var atLineStart = true
        for byte in data {
            if atLineStart && byte == UInt8(ascii: ".") { out.append(byte) }
            out.append(byte)
            atLineStart = byte == 10
        }
        if !(out.count >= 2 && out[out.count - 2] == 13 && out[out.count - 1] == 10) { out += [13, 10] }
        return out + Array(".\r\n".utf8)
    }
}
