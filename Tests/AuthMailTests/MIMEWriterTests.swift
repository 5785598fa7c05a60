import Testing

@testable import AuthMail

@Suite("MIME: messages that every mail system reads and no header that can be injected")
struct MIMEWriterTests {
    static let message = MailMessage(
        from: .init("no-reply@example.com", name: "authd"), to: .init("ann@example.com", name: "Ann \"A\" Smith"),
        subject: "Reset your password", text: "Hello Ann,\n\nfollow the link.\n", html: "<p>Hello Ann</p>",
        messageID: "abc123@example.com", date: 1_796_651_025)

    static func text(_ message: MailMessage, boundary: String? = "=_b") throws -> String {
        String(decoding: try MIMEWriter.render(message, boundary: boundary), as: UTF8.self)
    }

    @Test("headers, and text and HTML as multipart/alternative in quoted-printable")
    func multipart() throws {
        let rendered = try Self.text(Self.message)
        #expect(
            rendered == """
                Date: Mon, 07 Dec 2026 13:43:45 +0000\r
                From: "authd" <no-reply@example.com>\r
                To: "Ann \\"A\\" Smith" <ann@example.com>\r
                Subject: Reset your password\r
                Message-ID: <abc123@example.com>\r
                MIME-Version: 1.0\r
                Auto-Submitted: auto-generated\r
                Content-Type: multipart/alternative; boundary="=_b"\r
                \r
                --=_b\r
                Content-Type: text/plain; charset=utf-8\r
                Content-Transfer-Encoding: quoted-printable\r
                \r
                Hello Ann,\r
                \r
                follow the link.\r
                \r
                --=_b\r
                Content-Type: text/html; charset=utf-8\r
                Content-Transfer-Encoding: quoted-printable\r
                \r
                <p>Hello Ann</p>\r
                --=_b--\r

                """)
        var textOnly = Self.message
        textOnly.html = nil
        #expect(try Self.text(textOnly).contains("Auto-Submitted: auto-generated\r\nContent-Type: text/plain"))
    }

    @Test("a subject or name with a line break or non-ASCII is an encoded word, never a new header")
    func injection() throws {
        var message = Self.message
        message.subject = "Hi\r\nBcc: everyone@example.com"
        message.to.name = "Jörg\nBcc: x@example.com"
        let rendered = try Self.text(message)
        #expect(!rendered.contains("\r\nBcc:") && !rendered.contains("\nBcc:"))
        #expect(rendered.contains("Subject: =?utf-8?B?\(MIMEWriter.base64(Array(message.subject.utf8)))?="))
        let long = MIMEWriter.headerText(String(repeating: "Grüße ", count: 30), prefix: 9)
        #expect(long.split(separator: "\r\n ").allSatisfy { $0.utf8.count <= 75 && $0.hasPrefix("=?utf-8?B?") })
        #expect(long.split(separator: "\r\n ").count > 1)
    }

    @Test("addresses and Message-IDs that could break the envelope or a header are refused")
    func invalid() {
        for address in ["ann", "@example.com", "ann@", "a b@example.com", "a<b@example.com", "a\r\n@example.com"] {
            var message = Self.message
            message.to.address = address
            #expect(throws: MIMEWriter.InvalidMessage.self) { try MIMEWriter.render(message) }
        }
        var message = Self.message
        message.messageID = "x>\r\nBcc: y"
        #expect(throws: MIMEWriter.InvalidMessage.self) { try MIMEWriter.render(message) }
        #expect(MailAddress.isValid("jörg@bücher.example"))
    }

    @Test("quoted-printable: lines within 76, '=' and trailing space encoded, a leading dot or From escaped")
    func quotedPrintable() {
        let encoded = String(
            decoding: MIMEWriter.quotedPrintable(
                ".start\nFrom here\na=b \n" + String(repeating: "x", count: 200) + "\nÄ"), as: UTF8.self)
        let lines = encoded.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        #expect(lines[0] == "=2Estart" && lines[1] == "=46rom here" && lines[2] == "a=3Db=20")
        #expect(lines.last == "=C3=84")
        let joined = lines[3...].prefix { $0 != "=C3=84" }.map { $0.hasSuffix("=") ? String($0.dropLast()) : $0 }
        #expect(joined.joined() == String(repeating: "x", count: 200), "soft breaks only")
    }

    @Test("the outbox payload round-trips, and a message from it renders")
    func payload() throws {
        let message = try MailMessage.new(
            from: .init("no-reply@example.com"), to: .init("ann@example.com"), subject: "s", text: "t", date: 0)
        #expect(message.messageID.hasSuffix("@example.com") && message.messageID.count > 32)
        let outbox = try message.outboxMessage()
        #expect(outbox.kind == .mail)
        #expect(try MailMessage(payload: outbox.payload) == message)
    }
}
