/// JSON string literals (RFC 8259 §7), the one escaper for the log lines and the few responses
/// written by hand. Beyond what JSON requires it escapes DEL and U+2028/U+2029, which break
/// JavaScript consumers and terminals reading a log.
public enum JSONString {
    public static func quoted(_ string: String) -> String {
        var text = ""
        append(string, to: &text)
        return text
    }

    /// Appends `string` quoted; text that needs no escaping is appended whole (one copy, no
    /// per-scalar work), which is most of it.
    public static func append(_ string: String, to text: inout String) {
        text += "\""
        var utf8 = string
        if utf8.withUTF8({ !anyMayNeedEscape($0) }) {
            text += string
        } else {
            for scalar in string.unicodeScalars { append(scalar: scalar, to: &text) }
        }
        text += "\""
    }

    /// Appends `strings` as a JSON array of quoted strings, as UTF-8, to `bytes`.
    public static func append(array strings: [String], to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "["))
        for (index, string) in strings.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            append(string, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Appends `string` quoted, as UTF-8, to `bytes`: the same text as `append(_:to:)` for a
    /// String, without String concatenation (the request log line is written this way).
    public static func append(_ string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        let plain = string.withUTF8 { utf8 in
            guard !anyMayNeedEscape(utf8) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if !plain {
            var text = ""
            for scalar in string.unicodeScalars { append(scalar: scalar, to: &text) }
            bytes.append(contentsOf: text.utf8)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Bytes that start something to escape: controls, `"`, `\`, DEL, and 0xE2 (U+2028/2029
    /// begin with it).
    static func mayNeedEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F || byte == 0xE2
    }

    /// `mayNeedEscape` for every byte, as a table: one load per byte on the log line's path.
    private static let escapeTable: [Bool] = (0...255).map { mayNeedEscape(UInt8($0)) }

    /// Whether any of `utf8` may need escaping (both `append`s ask this first).
    static func anyMayNeedEscape(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        escapeTable.withUnsafeBufferPointer { table in
            for byte in utf8 where table[Int(byte)] { return true }
            return false
        }
    }

    private static func append(scalar: Unicode.Scalar, to text: inout String) {
        switch scalar {
        case "\"": text += "\\\""
        case "\\": text += "\\\\"
        case "\n": text += "\\n"
        case "\r": text += "\\r"
        case "\t": text += "\\t"
        case "\u{00}"..."\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}":
            let hex = String(scalar.value, radix: 16)
            text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: text.unicodeScalars.append(scalar)
        }
    }
}
