import AuthCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Parsing and encoding of the line protocol (docs/line-protocol.md): TAB-separated UTF-8 fields,
/// `\t`, `\n`, `\r` and `\\` escaped inside values, one message per `\n`-terminated line. CR is
/// escaped because a raw one ending a line is dropped as part of a CRLF terminator.
public enum LineCodec {
    /// Longest accepted line, terminator excluded.
    public static let maximumLineLength = 16 * 1024

    /// Why a line could not be read as a request, with the ID when it could be read.
    public struct ParseError: Error, Hashable, Sendable {
        public enum Reason: String, Sendable {
            case empty = "empty_line"
            case badEncoding = "bad_encoding"
            case badID = "bad_id"
            case badEscape = "bad_escape"
            case badCommand = "bad_command"
        }

        public let reason: Reason
        public let id: String?

        init(_ reason: Reason, id: String? = nil) {
            self.reason = reason
            self.id = id
        }

        /// The BAD reply for this error; ID `*` when none could be read.
        public var reply: LineReply { .bad(id ?? "*", reason.rawValue) }
    }

    /// Parses one line (without its `\n`; a trailing `\r` is tolerated). On failure the ID is
    /// returned when it could be read, so the BAD reply can carry it.
    public static func parse(_ line: some Collection<UInt8>) throws(ParseError) -> LineRequest {
        var bytes = Array(line)
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw ParseError(.empty) }
        let rawFields = bytes.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
        guard let command = String(validating: rawFields[0], as: UTF8.self), isCommand(command) else {
            throw ParseError(.badCommand)
        }
        guard rawFields.count >= 2, let id = String(validating: rawFields[1], as: UTF8.self), isValidID(id) else {
            throw ParseError(.badID)
        }
        var fields: [String] = []
        fields.reserveCapacity(rawFields.count - 2)
        for raw in rawFields.dropFirst(2) {
            guard let text = String(validating: raw, as: UTF8.self) else { throw ParseError(.badEncoding, id: id) }
            guard let value = unescape(text) else { throw ParseError(.badEscape, id: id) }
            fields.append(value)
        }
        return LineRequest(command: command, id: id, fields: fields)
    }

    /// The reply as bytes, `\n` included.
    public static func encode(_ reply: LineReply) -> [UInt8] {
        var out = Array(reply.status.rawValue.utf8)
        out.append(UInt8(ascii: "\t"))
        out += reply.id.utf8
        for (key, value) in reply.attributes {
            out.append(UInt8(ascii: "\t"))
            out += key.utf8
            out.append(UInt8(ascii: "="))
            out += escape(value).utf8
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// Encodes a request line (for clients: authctl, tests, benchmarks).
    public static func encode(_ request: LineRequest) -> [UInt8] {
        var text = request.command + "\t" + request.id
        for field in request.fields { text += "\t" + escape(field) }
        return Array((text + "\n").utf8)
    }

    /// Parses a reply line (for clients).
    public static func parseReply(_ line: some Collection<UInt8>) -> LineReply? {
        guard let text = String(validating: line, as: UTF8.self) else { return nil }
        let fields = text.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count >= 2, let status = LineReply.Status(rawValue: String(fields[0])) else { return nil }
        var attributes: [(key: String, value: String)] = []
        for field in fields.dropFirst(2) {
            guard let equals = field.firstIndex(of: "="),
                let value = unescape(String(field[field.index(after: equals)...]))
            else { return nil }
            attributes.append((String(field[..<equals]), value))
        }
        return LineReply(status, id: String(fields[1]), attributes)
    }

    /// 1–64 characters of `[A-Za-z0-9._:-]`.
    public static func isValidID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy {
                Identity.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
                    || $0 == UInt8(ascii: ":")
                    || $0 == UInt8(ascii: "-")
            }
    }

    static func isCommand(_ text: String) -> Bool {
        (1...32).contains(text.utf8.count)
            && text.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }

    static let escapes = ASCIIEscapes(["\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"])

    public static func escape(_ value: String) -> String { escapes.apply(value) }

    /// Nil for a lone backslash or an unknown escape.
    public static func unescape(_ text: String) -> String? {
        var text = text
        guard text.withUTF8({ $0.count > 0 && memchr($0.baseAddress!, Int32(UInt8(ascii: "\\")), $0.count) != nil })
        else { return text }
        var out = ""
        var iterator = text.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            guard scalar == "\\" else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch iterator.next() {
            case "\\": out += "\\"
            case "t": out += "\t"
            case "n": out += "\n"
            case "r": out += "\r"
            default: return nil
            }
        }
        return out
    }
}
