/// A CBOR data item (RFC 8949) of the kinds WebAuthn uses: attestation objects, authenticator
/// data's credential public keys (COSE_Key, RFC 9052) and extension outputs. Decoding is strict:
/// definite lengths only, every integer and length in its shortest form (CTAP2's canonical
/// encoding; map keys may come in any order), text as valid UTF-8, no duplicate map keys, no tags, floats or simple values but
/// `false`, `true` and `null`, at most `maximumDepth` levels, and nothing longer than the input
/// can hold (a length is checked against the bytes left before anything is allocated).
public indirect enum CBOR: Hashable, Sendable {
    case unsigned(UInt64)
    /// The integer -1 - n.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBOR])
    case map([CBOR: CBOR])
    case bool(Bool)
    case null

    /// An integer item, as COSE keys name their parameters (1, 3, -1, -2, …).
    public static func int(_ value: Int64) -> CBOR {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-(value + 1)))
    }

    /// The value of an integer item that fits an Int64; nil for anything else.
    public var integer: Int64? {
        switch self {
        case .unsigned(let value): value <= UInt64(Int64.max) ? Int64(value) : nil
        case .negative(let value): value <= UInt64(Int64.max) ? -1 - Int64(value) : nil
        default: nil
        }
    }

    public var byteString: [UInt8]? {
        if case .bytes(let value) = self { value } else { nil }
    }

    public var string: String? {
        if case .text(let value) = self { value } else { nil }
    }

    public var entries: [CBOR: CBOR]? {
        if case .map(let value) = self { value } else { nil }
    }

    /// A map's value under an integer key (COSE) or a text key (attestation objects).
    public subscript(_ key: Int64) -> CBOR? { entries?[.int(key)] }
    public subscript(_ key: String) -> CBOR? { entries?[.text(key)] }

    /// Why an input was refused; never echoes the input.
    public struct Refused: Error, Hashable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { "CBOR refused: \(reason)" }
    }

    /// Nesting deeper than this is refused (WebAuthn's structures are three levels deep).
    public static let maximumDepth = 16

    /// The one item that is all of `bytes`.
    public init(decoding bytes: some Collection<UInt8>) throws(Refused) {
        let (item, length) = try Self.decodePrefix(of: bytes)
        guard length == bytes.count else { throw Refused(reason: "bytes after the item") }
        self = item
    }

    /// The item at the start of `bytes` and how many bytes it took: authenticator data holds a
    /// credential public key followed by extensions, with no length of its own.
    public static func decodePrefix(of bytes: some Collection<UInt8>) throws(Refused) -> (CBOR, length: Int) {
        let input = Array(bytes)
        var reader = Reader(bytes: input)
        let item = try reader.item(depth: 0)
        return (item, reader.index)
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var remaining: Int { bytes.count - index }

        mutating func byte() throws(Refused) -> UInt8 {
            guard index < bytes.count else { throw Refused(reason: "truncated") }
            defer { index += 1 }
            return bytes[index]
        }

        /// The argument of a head whose additional information is `info`, in its shortest form.
        mutating func argument(_ info: UInt8) throws(Refused) -> UInt64 {
            let size: Int
            switch info {
            case 0..<24: return UInt64(info)
            case 24: size = 1
            case 25: size = 2
            case 26: size = 4
            case 27: size = 8
            case 31: throw Refused(reason: "indefinite lengths are not allowed")
            default: throw Refused(reason: "reserved additional information")
            }
            guard remaining >= size else { throw Refused(reason: "truncated") }
            var value: UInt64 = 0
            for _ in 0..<size { value = value << 8 | UInt64(bytes[index]); index += 1 }
            let shortest: UInt64 =
                switch size {
                case 1: 24
                case 2: 0x100
                case 4: 0x1_0000
                default: 0x1_0000_0000
                }
            guard value >= shortest else { throw Refused(reason: "not in the shortest form") }
            return value
        }

        /// A length that the bytes left could hold, as a count of at least `unit` bytes each.
        mutating func length(_ info: UInt8, unit: Int) throws(Refused) -> Int {
            let value = try argument(info)
            guard value <= UInt64(remaining / unit) else { throw Refused(reason: "a length longer than the input") }
            return Int(value)
        }

        mutating func item(depth: Int) throws(Refused) -> CBOR {
            guard depth <= CBOR.maximumDepth else { throw Refused(reason: "nested too deeply") }
            let head = try byte()
            let info = head & 0x1F
            switch head >> 5 {
            case 0: return .unsigned(try argument(info))
            case 1: return .negative(try argument(info))
            case 2:
                let count = try length(info, unit: 1)
                defer { index += count }
                return .bytes(Array(bytes[index..<(index + count)]))
            case 3:
                let count = try length(info, unit: 1)
                defer { index += count }
                guard let text = String(validating: bytes[index..<(index + count)], as: UTF8.self) else {
                    throw Refused(reason: "text that is not UTF-8")
                }
                return .text(text)
            case 4:
                let count = try length(info, unit: 1)
                var items: [CBOR] = []
                items.reserveCapacity(count)
                for _ in 0..<count { items.append(try item(depth: depth + 1)) }
                return .array(items)
            case 5:
                let count = try length(info, unit: 2)
                var entries: [CBOR: CBOR] = [:]
                entries.reserveCapacity(count)
                for _ in 0..<count {
                    let key = try item(depth: depth + 1)
                    let value = try item(depth: depth + 1)
                    guard entries.updateValue(value, forKey: key) == nil else {
                        throw Refused(reason: "a map key given twice")
                    }
                }
                return .map(entries)
            case 6: throw Refused(reason: "tags are not allowed")
            default:
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                case 22: return .null
                default: throw Refused(reason: "floats and other simple values are not allowed")
                }
            }
        }
    }
}

extension CBOR {
    /// The canonical encoding (CTAP2 §6: shortest forms, map keys ordered by their encodings,
    /// shorter first): what tests and relying-party tools build attestation objects with.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    private func encode(into out: inout [UInt8]) {
        switch self {
        case .unsigned(let value): Self.head(0, value, into: &out)
        case .negative(let value): Self.head(1, value, into: &out)
        case .bytes(let value):
            Self.head(2, UInt64(value.count), into: &out)
            out += value
        case .text(let value):
            Self.head(3, UInt64(value.utf8.count), into: &out)
            out += value.utf8
        case .array(let items):
            Self.head(4, UInt64(items.count), into: &out)
            for item in items { item.encode(into: &out) }
        case .map(let entries):
            Self.head(5, UInt64(entries.count), into: &out)
            let sorted = entries.map { (key: $0.key.encoded, value: $0.value) }.sorted { left, right in
                left.key.count != right.key.count
                    ? left.key.count < right.key.count : left.key.lexicographicallyPrecedes(right.key)
            }
            for entry in sorted {
                out += entry.key
                entry.value.encode(into: &out)
            }
        case .bool(let value): out.append(value ? 0xF5 : 0xF4)
        case .null: out.append(0xF6)
        }
    }

    private static func head(_ major: UInt8, _ value: UInt64, into out: inout [UInt8]) {
        let type = major << 5
        switch value {
        case 0..<24: out.append(type | UInt8(value))
        case 24..<0x100: out += [type | 24, UInt8(value)]
        case 0x100..<0x1_0000:
            out += [type | 25] + (0..<2).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        case 0x1_0000..<0x1_0000_0000:
            out += [type | 26] + (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        default: out += [type | 27] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        }
    }
}
