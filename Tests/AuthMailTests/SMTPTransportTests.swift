import AuthCore
import Testing

@testable import AuthMail

@Suite("SMTP client against a scripted relay")
struct SMTPTransportTests {
    static func transport(
        _ server: ScriptedSMTPServer, security: SMTPTransport.Configuration.Security = .none,
        username: String? = nil, replyTimeout: Duration = .seconds(10)
    ) throws -> SMTPTransport {
        try SMTPTransport(
            configuration: .init(
                host: "127.0.0.1", port: server.port, security: security, username: username,
                password: username.map { _ in "relay pw" }, heloName: "authd.test", replyTimeout: replyTimeout))
    }

    /// The error `send` threw; nil when it sent.
    static func failure(
        _ transport: SMTPTransport, to: String = "ann@example.com", data: String = "Subject: x\r\n\r\nhi\r\n"
    )
        async -> MailTransportError?
    {
        do {
            try await transport.send(from: "no-reply@example.com", to: to, data: Array(data.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test("a message goes through EHLO, AUTH PLAIN, MAIL, RCPT and dot-stuffed DATA, then QUIT")
    func sends() async throws {
        let server = try await ScriptedSMTPServer()
        let transport = try Self.transport(server, username: "relay-user")
        #expect(await Self.failure(transport, data: "Subject: x\r\n\r\n.hidden\r\n..two\r\nend") == nil)
        let plain = MIMEWriter.base64(Array("\0relay-user\0relay pw".utf8))
        #expect(
            server.lines == [
                "EHLO authd.test", "AUTH PLAIN \(plain)", "MAIL FROM:<no-reply@example.com>",
                "RCPT TO:<ann@example.com>",
                "DATA", ".", "QUIT",
            ])
        #expect(server.data == ["Subject: x", "", "..hidden", "...two", "end", "."])
        await server.close()
    }

    @Test("AUTH LOGIN when PLAIN is not offered; SMTPUTF8 with 8BITMIME for a non-ASCII address")
    func loginAndUTF8() async throws {
        let server = try await ScriptedSMTPServer { line in
            line.hasPrefix("EHLO")
                ? "250-scripted\r\n250-AUTH LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8"
                : line.hasPrefix("AUTH LOGIN") || line == MIMEWriter.base64(Array("relay-user".utf8))
                    ? "334 next"
                    : line == MIMEWriter.base64(Array("relay pw".utf8)) ? "235 welcome" : nil
        }
        #expect(await Self.failure(try Self.transport(server, username: "relay-user"), to: "jörg@example.com") == nil)
        #expect(server.lines.contains(MIMEWriter.base64(Array("relay pw".utf8))))
        #expect(server.lines.contains("MAIL FROM:<no-reply@example.com> SMTPUTF8 BODY=8BITMIME"))
        await server.close()
    }

    @Test("a relay that refuses EHLO gets HELO; without SMTPUTF8 a non-ASCII address is refused for good")
    func helo() async throws {
        let server = try await ScriptedSMTPServer { $0.hasPrefix("EHLO") ? "502 no extensions here" : nil }
        let transport = try Self.transport(server)
        #expect(await Self.failure(transport) == nil)
        #expect(server.lines.prefix(2) == ["EHLO authd.test", "HELO authd.test"])
        let refused = await Self.failure(transport, to: "jörg@example.com")
        #expect(refused?.temporary == false && refused?.reason.contains("SMTPUTF8") == true)
        await server.close()
    }

    @Test("4xx replies are temporary, 5xx to the message permanent, 5xx to AUTH temporary")
    func replies() async throws {
        for (refusing, reply, temporary) in [
            ("RCPT", "450 mailbox busy", true), ("RCPT", "550 no such user", false), ("MAIL", "552 too big", false),
            ("DATA", "554 no", false), (".", "451 local error", true), (".", "554 rejected as spam", false),
            ("AUTH", "535 bad credentials", true), ("EHLO", "421 closing", true),
        ] {
            let server = try await ScriptedSMTPServer { $0.hasPrefix(refusing) ? reply : nil }
            let failure = await Self.failure(try Self.transport(server, username: "relay-user"))
            #expect(failure?.temporary == temporary, "\(refusing) \(reply): \(failure?.reason ?? "sent")")
            await server.close()
        }
    }

    @Test("a relay that says nothing, closes, or answers garbage: temporary, never a hang")
    func brokenRelays() async throws {
        let silent = try await ScriptedSMTPServer { $0.hasPrefix("RCPT") ? "" : nil }
        let started = ContinuousClock.now
        let timedOut = await Self.failure(try Self.transport(silent, replyTimeout: .seconds(1)))
        #expect(timedOut?.temporary == true && ContinuousClock.now - started < .seconds(8))
        await silent.close()

        let garbage = try await ScriptedSMTPServer(greeting: "hello there")
        let unreadable = await Self.failure(try Self.transport(garbage))
        #expect(unreadable?.temporary == true)
        await garbage.close()

        let gone = try await ScriptedSMTPServer()
        let port = gone.port
        await gone.close()
        let refused = await Self.failure(
            try SMTPTransport(configuration: .init(host: "127.0.0.1", port: port, security: .none)))
        #expect(refused?.temporary == true && refused?.reason.contains("cannot reach") == true)
    }

    @Test("STARTTLS required: a relay without it gets nothing; bytes after its 220 fail the session")
    func startTLS() async throws {
        let plain = try await ScriptedSMTPServer { $0.hasPrefix("EHLO") ? "250-scripted\r\n250 AUTH PLAIN" : nil }
        let noTLS = await Self.failure(try Self.transport(plain, security: .startTLS, username: "relay-user"))
        #expect(noTLS?.temporary == true && noTLS?.reason.contains("STARTTLS") == true)
        #expect(!plain.lines.contains { $0.hasPrefix("AUTH") || $0.hasPrefix("MAIL") }, "no password, no mail")
        await plain.close()

        let injecting = try await ScriptedSMTPServer { line in
            line.hasPrefix("EHLO")
                ? "250-scripted\r\n250 STARTTLS" : line == "STARTTLS" ? "220 go ahead\r\n250 injected" : nil
        }
        let injected = await Self.failure(try Self.transport(injecting, security: .startTLS))
        #expect(injected?.temporary == true && injected?.reason.contains("after its reply to STARTTLS") == true)
        #expect(!injecting.lines.contains { $0.hasPrefix("MAIL") })
        await injecting.close()
    }

    @Test("AUTH only over TLS or to loopback: the password never crosses a network in clear")
    func noClearPassword() async throws {
        let transport = try SMTPTransport(
            configuration: .init(host: "192.0.2.1", port: 25, security: .none, username: "u", password: "p"))
        #expect(!transport.configuration.isLoopback)
        let loopback = try SMTPTransport(configuration: .init(host: "127.0.0.1", port: 25, security: .none))
        #expect(loopback.configuration.isLoopback)
    }
}
