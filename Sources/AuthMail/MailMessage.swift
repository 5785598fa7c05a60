public import AuthCore
import AuthCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One e-mail to one person, as the outbox keeps it (JSON). Its Message-ID and Date are fixed when
/// it is queued, so a message sent twice (delivery is at least once) is the same message, which
/// receiving systems can recognise.
public struct MailMessage: Codable, Sendable, Equatable {
    public struct Address: Codable, Sendable, Equatable {
        /// `local@domain`, checked by `MailAddress.isValid`.
        public var address: String
        /// Shown beside it ("authd <no-reply@example.com>").
        public var name: String?

        public init(_ address: String, name: String? = nil) {
            self.address = address
            self.name = name
        }
    }

    public var from: Address
    public var to: Address
    public var subject: String
    public var text: String
    /// The same content as HTML; nil sends text alone.
    public var html: String?
    /// Without the angle brackets.
    public var messageID: String
    /// Unix seconds.
    public var date: Int64

    public init(
        from: Address, to: Address, subject: String, text: String, html: String? = nil, messageID: String,
        date: Int64
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
    }

    /// A new message with a random Message-ID in the sender's domain, dated `date`.
    public static func new(
        from: Address, to: Address, subject: String, text: String, html: String? = nil, date: Int64
    ) throws -> MailMessage {
        let domain = from.address.split(separator: "@").last.map(String.init) ?? "authd.invalid"
        let id = "\(Hex.encode(try SecureRandom.bytes(16)))@\(domain)"
        return MailMessage(from: from, to: to, subject: subject, text: text, html: html, messageID: id, date: date)
    }

    /// The outbox message that delivers this one.
    public func outboxMessage() throws -> OutboxMessage {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return OutboxMessage(kind: .mail, payload: String(decoding: try encoder.encode(self), as: UTF8.self))
    }

    /// The message an outbox payload holds.
    public init(payload: String) throws {
        self = try JSONDecoder().decode(MailMessage.self, from: Data(payload.utf8))
    }
}

/// What authd accepts as an e-mail address to send to or from: `local@domain`, printable, no
/// white space, no brackets or quotes, at most 254 bytes (RFC 5321's path limit). Non-ASCII
/// (RFC 6531) is allowed; it needs a relay that offers SMTPUTF8.
public enum MailAddress {
    public static func isValid(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")), at > 0, at < bytes.count - 1
        else { return false }
        let forbidden = Set("<>()[]\\,;:\"".utf8)
        return bytes.allSatisfy { $0 > 0x20 && $0 != 0x7F && !forbidden.contains($0) }
            && !bytes[..<at].contains(UInt8(ascii: "@"))
    }

    static func isASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 < 0x80 }
    }
}
