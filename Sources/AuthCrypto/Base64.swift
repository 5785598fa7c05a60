/// Base64 without padding, in the two alphabets authd needs: URL-safe (JWT, RFC 4648 §5) and
/// standard (PHC strings). Decoding is strict: no padding, no white space, no foreign characters,
/// and no non-zero trailing bits, so every byte string has exactly one accepted encoding.
public struct Base64: Sendable {
    private let alphabet: [UInt8]
    private let reverse: [UInt8]

    public static let url = Base64(
        alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    public static let standard = Base64(
        alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    private init(alphabet: String) {
        self.alphabet = Array(alphabet.utf8)
        var reverse = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in self.alphabet.enumerated() { reverse[Int(byte)] = UInt8(index) }
        self.reverse = reverse
    }

    public func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next()
            let b2 = iterator.next()
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            if let b1 {
                out.append(alphabet[Int((b1 & 0x0F) << 2 | (b2 ?? 0) >> 6)])
            }
            if let b2 {
                out.append(alphabet[Int(b2 & 0x3F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Returns nil for anything that is not the canonical unpadded encoding of some byte string.
    public func decode<Text: StringProtocol>(_ text: Text) -> [UInt8]? {
        decode(utf8: text.utf8)
    }

    /// Decodes a collection's bytes in place when they are contiguous (a token's own storage, a
    /// slice of it), from a copy otherwise.
    public func decode(utf8 text: some Collection<UInt8>) -> [UInt8]? {
        if let decoded = text.withContiguousStorageIfAvailable({ decode(buffer: $0) }) { return decoded }
        return Array(text).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// The decoder proper: four characters to three bytes at a time, then the two or three
    /// characters left over. Reads and writes through pointers: every index is below the counts
    /// checked before the loops.
    private func decode(buffer text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        // A length of 4n+1 leaves 6 bits, which no byte string encodes to.
        let remainder = text.count % 4
        guard remainder != 1 else { return nil }
        guard let input = text.baseAddress else { return [] }
        let quartets = text.count / 4
        var valid = true
        let decoded = reverse.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: quartets * 3 + max(0, remainder - 1)) { buffer, initialized in
                guard let out = buffer.baseAddress else { return }
                let table = table.baseAddress!
                // Every alphabet value is below 64; a foreign character's 0xFF sets bit 7 of the OR.
                func value(_ offset: Int) -> UInt32 { UInt32(table[Int(input[offset])]) }
                var checked: UInt32 = 0
                for quartet in 0..<quartets {
                    let at = quartet &* 4
                    let (a, b, c, d) = (value(at), value(at &+ 1), value(at &+ 2), value(at &+ 3))
                    checked |= a | b | c | d
                    let word = a << 18 | b << 12 | c << 6 | d
                    let to = quartet &* 3
                    out[to] = UInt8(truncatingIfNeeded: word >> 16)
                    out[to &+ 1] = UInt8(truncatingIfNeeded: word >> 8)
                    out[to &+ 2] = UInt8(truncatingIfNeeded: word)
                }
                initialized = quartets * 3
                let at = quartets * 4
                if remainder == 2 {
                    let (a, b) = (value(at), value(at + 1))
                    checked |= a | b
                    // Leftover bits must be zero, or two encodings would decode to the same bytes.
                    if b & 0x0F != 0 { valid = false }
                    out[initialized] = UInt8(truncatingIfNeeded: a << 2 | b >> 4)
                    initialized += 1
                } else if remainder == 3 {
                    let (a, b, c) = (value(at), value(at + 1), value(at + 2))
                    checked |= a | b | c
                    if c & 0x03 != 0 { valid = false }
                    let word = a << 10 | b << 4 | c >> 2
                    out[initialized] = UInt8(truncatingIfNeeded: word >> 8)
                    out[initialized + 1] = UInt8(truncatingIfNeeded: word)
                    initialized += 2
                }
                if checked & 0x80 != 0 { valid = false }
            }
        }
        return valid ? decoded : nil
    }

    /// The 16 bytes of a canonical 22-character encoding, as one number, without allocating: a
    /// compact key for random identifiers such as `jti` and `sid`. Nil for anything else.
    public func decode128(_ text: String) -> UInt128? {
        guard text.utf8.count == 22 else { return nil }
        var text = text
        return text.withUTF8 { bytes -> UInt128? in
            var value: UInt128 = 0
            for index in 0..<21 {
                let digit = reverse[Int(bytes[index])]
                guard digit != 0xFF else { return nil }
                value = value << 6 | UInt128(digit)
            }
            // The 22nd digit carries the last 2 bits; its other 4 must be zero, as in `decode`.
            let digit = reverse[Int(bytes[21])]
            guard digit != 0xFF, digit & 0xF == 0 else { return nil }
            return value << 2 | UInt128(digit >> 4)
        }
    }
}
