/// A distinguished name compared the way LDAP compares the ones authd publishes (RFC 4514):
/// attribute types and values without case, spaces around separators ignored, escapes
/// (`\,` and `\2C`) undone. Multi-valued RDNs are not split: authd publishes none.
public struct LDAPDistinguishedName: Hashable, Sendable {
    public struct RDN: Hashable, Sendable {
        public var type: String
        public var value: String
    }

    /// Most specific first, as written.
    public var rdns: [RDN]

    /// Nil for text that is not a DN (an RDN without `=`, a bad escape).
    public init?(_ text: String) {
        var rdns: [RDN] = []
        var current: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        var parts: [[UInt8]] = []
        while let byte = bytes.popFirst() {
            switch byte {
            case UInt8(ascii: "\\"):
                guard let next = bytes.popFirst() else { return nil }
                if let high = Self.hexValue(next) {
                    guard let second = bytes.popFirst(), let low = Self.hexValue(second), high | low != 0 else {
                        return nil
                    }
                    current.append(high << 4 | low)
                } else {
                    current.append(next)
                }
            case UInt8(ascii: ","):
                parts.append(current)
                current = []
            default:
                // 0 marks an unescaped `=` (an escaped NUL is refused above).
                current.append(byte == UInt8(ascii: "=") ? 0 : byte)
            }
        }
        if !text.isEmpty { parts.append(current) }
        for part in parts {
            guard let equals = part.firstIndex(of: 0) else { return nil }
            let type = String(decoding: part[..<equals], as: UTF8.self)
            let value = String(decoding: part[(equals + 1)...].map { $0 == 0 ? UInt8(ascii: "=") : $0 }, as: UTF8.self)
            let trimmedType = Self.trim(type).lowercased()
            guard !trimmedType.isEmpty else { return nil }
            rdns.append(RDN(type: trimmedType, value: Self.trim(value).lowercased()))
        }
        self.rdns = rdns
    }

    init(rdns: [RDN]) { self.rdns = rdns }

    /// Whether `self` is `ancestor` with `count` more RDNs in front.
    func isBelow(_ ancestor: LDAPDistinguishedName, by count: Int) -> Bool {
        rdns.count == ancestor.rdns.count + count && Array(rdns.suffix(ancestor.rdns.count)) == ancestor.rdns
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func trim(_ text: String) -> String {
        String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
