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

    public func decode(utf8 text: some Collection<UInt8>) -> [UInt8]? {
        if let decoded = text.withContiguousStorageIfAvailable({ decode(contiguous: $0) }) { return decoded }
        return decode(contiguous: Array(text)[...])
    }

    /// The decoder proper, over contiguous bytes (a token's own storage, without a copy).
    func decode<Bytes: RandomAccessCollection<UInt8>>(contiguous text: Bytes) -> [UInt8]? where Bytes.Index == Int {
        // A length of 4n+1 leaves 6 bits, which no byte string encodes to.
        guard text.count % 4 != 1 else { return nil }
        var valid = true
        let decoded = reverse.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: text.count * 3 / 4) { out, initialized in
                var accumulator: UInt32 = 0
                var bits = 0
                for byte in text {
                    let value = table[Int(byte)]
                    guard value != 0xFF else {
                        valid = false
                        break
                    }
                    accumulator = accumulator << 6 | UInt32(value)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        out[initialized] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))
                        initialized += 1
                    }
                }
                // Leftover bits must be zero, or two encodings would decode to the same bytes.
                if accumulator & ((1 << UInt32(bits)) - 1) != 0 { valid = false }
            }
        }
        return valid ? decoded : nil
    }

    /// The 16 bytes of a canonical 22-character encoding, as one number, without allocating: a
    /// compact key for random identifiers such as `jti` and `sid`. Nil for anything else.
    public func decode128(_ text: String) -> UInt128? {
        guard text.utf8.count == 22 else { return nil }
        var value: UInt128 = 0
        for (index, byte) in text.utf8.enumerated() {
            let digit = reverse[Int(byte)]
            guard digit != 0xFF else { return nil }
            guard index < 21 else {
                // The 22nd digit carries the last 2 bits; its other 4 must be zero, as in `decode`.
                guard digit & 0xF == 0 else { return nil }
                return value << 2 | UInt128(digit >> 4)
            }
            value = value << 6 | UInt128(digit)
        }
        return nil
    }
}
