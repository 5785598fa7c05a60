import AuthCrypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a `MailMessage` as an RFC 5322 message with CRLF line ends: headers that cannot be
/// injected into (every text goes through an encoded word or a quoted string; addresses are
/// checked), and a text body, or text and HTML as multipart/alternative, both UTF-8 in
/// quoted-printable so every line is 7-bit and at most 76 characters.
public enum MIMEWriter {
    public struct InvalidMessage: Error, CustomStringConvertible {
        public let description: String
    }

    /// The message's bytes. `boundary` separates the parts; the default is random.
    public static func render(_ message: MailMessage, boundary: String? = nil) throws -> [UInt8] {
        for address in [message.from.address, message.to.address] where !MailAddress.isValid(address) {
            throw InvalidMessage(description: "not an e-mail address authd sends to or from")
        }
        guard !message.messageID.isEmpty, message.messageID.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
            !message.messageID.contains(where: { "<>".contains($0) })
        else { throw InvalidMessage(description: "the Message-ID is not printable ASCII") }
        var out: [UInt8] = []
        func line(_ text: String) { out += Array(text.utf8) + [13, 10] }
        line("Date: \(rfc5322Date(message.date))")
        line("From: \(mailbox(message.from))")
        line("To: \(mailbox(message.to))")
        line("Subject: \(headerText(message.subject, prefix: "Subject: ".count))")
        line("Message-ID: <\(message.messageID)>")
        line("MIME-Version: 1.0")
        line("Auto-Submitted: auto-generated")
        guard let html = message.html else {
            part(message.text, type: "text/plain", to: &out)
            return out
        }
        // "=_" never occurs in quoted-printable, so the boundary cannot occur in a part.
        let boundary = try boundary ?? "=_authd_\(Hex.encode(try SecureRandom.bytes(12)))"
        line("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        line("")
        for (body, type) in [(message.text, "text/plain"), (html, "text/html")] {
            line("--\(boundary)")
            part(body, type: type, to: &out)
        }
        line("--\(boundary)--")
        return out
    }

    /// A part's headers, the blank line and its body.
    private static func part(_ body: String, type: String, to out: inout [UInt8]) {
        out += Array("Content-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
        out += quotedPrintable(body)
        out += [13, 10]
    }

    /// `name <address>`, the name as a quoted string when it is plain ASCII, an encoded word when not.
    static func mailbox(_ address: MailMessage.Address) -> String {
        guard let name = address.name, !name.isEmpty else { return address.address }
        return "\(phrase(name)) <\(address.address)>"
    }

    private static func phrase(_ text: String) -> String {
        guard isPlain(text) else { return encodedWords(text) }
        var quoted = "\""
        for character in text {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }

    /// Unstructured header text (the subject): as is when it is plain ASCII and short, else
    /// RFC 2047 encoded words, folded.
    static func headerText(_ text: String, prefix: Int) -> String {
        isPlain(text) && text.utf8.count + prefix <= 78 ? text : encodedWords(text)
    }

    /// Printable ASCII and spaces only: nothing to encode, nothing that could end the header.
    private static func isPlain(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } && !text.contains("=?")
    }

    /// `=?utf-8?B?…?=` words of at most 75 characters, never splitting a character, joined by a
    /// fold (CRLF and a space).
    static func encodedWords(_ text: String) -> String {
        // 45 bytes of UTF-8 make 60 of base64, which with the 12 around them stays within 75.
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append(word(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(word(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    private static func word(_ bytes: [UInt8]) -> String {
        "=?utf-8?B?\(base64(bytes))?="
    }

    /// Standard base64 with its padding, as MIME and SMTP AUTH want it.
    static func base64(_ bytes: [UInt8]) -> String {
        let encoded = Base64.standard.encode(bytes)
        return encoded + String(repeating: "=", count: (4 - encoded.utf8.count % 4) % 4)
    }

    /// RFC 2045 quoted-printable of `text`'s UTF-8, with its line breaks (LF, CRLF or CR) as CRLF
    /// and soft breaks keeping every line within 76 characters. A "." or "From " that starts a
    /// line is encoded, so no transport mistakes it for the end of the data or a mailbox separator.
    static func quotedPrintable(_ text: String) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        var lineLength = 0
        let lines = text.replacingLineBreaks()
        for (index, line) in lines.enumerated() {
            if index > 0 {
                out += [13, 10]
                lineLength = 0
            }
            for (position, byte) in line.enumerated() {
                let last = position == line.count - 1
                let startsDangerously =
                    position == 0
                    && (byte == UInt8(ascii: ".")
                        || (byte == UInt8(ascii: "F") && line.starts(with: Array("From ".utf8))))
                let literal =
                    (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=") && !startsDangerously)
                    || ((byte == 0x20 || byte == 0x09) && !last)
                let encoded: [UInt8] =
                    literal ? [byte] : [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                // Room for the soft break's "=" unless this is the line's last character.
                if lineLength + encoded.count > (last ? 76 : 75) {
                    out += [UInt8(ascii: "="), 13, 10]
                    lineLength = 0
                }
                out += encoded
                lineLength += encoded.count
            }
        }
        return out
    }

    /// `Mon, 07 Dec 2026 14:03:45 +0000`.
    static func rfc5322Date(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }
}

extension String {
    /// The UTF-8 of each line, whichever of LF, CRLF or CR ends them.
    fileprivate func replacingLineBreaks() -> [[UInt8]] {
        var lines: [[UInt8]] = [[]]
        var previous: UInt8 = 0
        for byte in utf8 {
            if byte == 10 && previous == 13 {
                previous = byte
                continue
            }
            if byte == 10 || byte == 13 { lines.append([]) } else { lines[lines.count - 1].append(byte) }
            previous = byte
        }
        return lines
    }
}
