/// Replacements for some ASCII characters: the one loop behind the line protocol's, Dovecot's
/// and Squid's escapes. A value holding none of them is returned as it is after one byte scan.
public struct ASCIIEscapes: Sendable {
    /// By ASCII code; nil where the character stays.
    private let table: [String?]
    /// Bit n set when ASCII code n has a replacement: the common case, nothing to escape, is one
    /// pass over the string's bytes.
    private let escaped: UInt128

    public init(_ replacements: [Unicode.Scalar: String]) {
        var table = [String?](repeating: nil, count: 128)
        for (scalar, replacement) in replacements {
            precondition(scalar.isASCII, "escapes are for ASCII characters")
            table[Int(scalar.value)] = replacement
        }
        self.table = table
        escaped = replacements.keys.reduce(0) { $0 | UInt128(1) << $1.value }
    }

    public func apply(_ value: String) -> String {
        var value = value
        let escaped = escaped
        guard value.withUTF8({ $0.contains { $0 < 128 && escaped >> $0 & 1 != 0 } }) else { return value }
        var out = ""
        out.reserveCapacity(value.utf8.count + 8)
        for scalar in value.unicodeScalars {
            if scalar.isASCII, let replacement = table[Int(scalar.value)] {
                out += replacement
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
