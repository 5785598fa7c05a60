import AuthMail
import NIOCore
import Testing

@Suite("SMTP reply parser")
struct SMTPReplyParserTests {
    static func replies(_ text: String, chunk: Int) throws -> [SMTPReply] {
        var parser = SMTPReplyParser()
        var found: [SMTPReply] = []
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            parser.append(ByteBuffer(bytes: bytes[start..<min(bytes.count, start + chunk)]))
            while let reply = try parser.next() { found.append(reply) }
        }
        return found
    }

    @Test("multi-line replies, bare LF and a bare code, whatever the chunks", arguments: [1, 2, 7, 64])
    func replies(_ chunk: Int) throws {
        let found = try Self.replies(
            "250-relay.example\r\n250-SMTPUTF8\r\n250 8BITMIME\r\n354\n221 bye\r\n", chunk: chunk)
        #expect(found.map(\.code) == [250, 354, 221])
        #expect(found.map(\.lines) == [["relay.example", "SMTPUTF8", "8BITMIME"], [""], ["bye"]])
    }

    @Test("refused: not a reply line, a code that changes, too many lines, a line too long")
    func refusals() {
        let tooMany = String(repeating: "250-x\r\n", count: SMTPReplyParser.maximumLines) + "250 x\r\n"
        let tooLong = "250 " + String(repeating: "x", count: SMTPReplyParser.maximumLineLength + 1)
        for text in ["hello\r\n", "25\r\n", "250x\r\n", "250-a\r\n251 b\r\n", tooMany, tooLong] {
            #expect(throws: (any Error).self, "\(text.prefix(20))") { try Self.replies(text, chunk: 512) }
        }
    }
}
