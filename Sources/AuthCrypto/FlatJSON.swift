/// A strict reader for the small, flat JSON objects of a JWT's header and claims: one object whose
/// members are strings, numbers, `true`, `false`, `null`, arrays of strings or objects of those
/// (a JWK, a `cnf`: only their string members are kept), each name at most once. Anything else
/// (an object deeper than that, an array of anything but strings, a duplicate name,
/// invalid UTF-8, an unescaped control character, a number JSON does not allow or of more than 32
/// characters, bytes after the object) is refused. Faster than `JSONDecoder` by not being
/// general: one pass over the bytes, no intermediate tree of `Any`.
struct FlatJSON {
    enum Value: Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
        case strings([String])
        /// A member object's string members; its other scalar members are dropped.
        case object([String: String])
    }

    typealias Member = (name: String, key: UInt128, value: Value)

    /// The members in document order, each with its name's `key`.
    private(set) var members: [Member] = []

    /// A member's value; nil when absent.
    subscript(_ name: String) -> Value? {
        let key = Self.key(name)
        return members.first { Self.named($0, name, key: key) }?.value
    }

    /// Whether `member` is named `name` (whose key is `key`): the keys alone decide, but for
    /// names longer than 15 bytes.
    private static func named(_ member: Member, _ name: String, key: UInt128) -> Bool {
        member.key == key && (key != longName || member.name == name)
    }

    /// A name of up to 15 UTF-8 bytes as one number (its length, then its bytes), so that names are
    /// compared and switched over as integers. Every longer name is `longName`, compared as text.
    static func key(_ name: String) -> UInt128 {
        var name = name
        return name.withUTF8 { bytes in
            guard bytes.count <= 15 else { return longName }
            // Two 64-bit halves: shifts of a UInt128 by a variable cost several times more.
            var low = UInt64(bytes.count)
            var high: UInt64 = 0
            for index in 0..<bytes.count {
                let byte = UInt64(bytes[index])
                if index < 7 {
                    low |= byte << (8 &* (index &+ 1))
                } else {
                    high |= byte << (8 &* (index &- 7))
                }
            }
            return UInt128(high) << 64 | UInt128(low)
        }
    }

    /// No name of 15 bytes or fewer has this key: its length byte would be 255.
    static let longName = UInt128.max

    struct Refused: Error {}

    /// Longer input is refused before parsing (authd's tokens are far shorter).
    static let maximumLength = 8192

    init(_ bytes: [UInt8]) throws(Refused) {
        guard bytes.count <= Self.maximumLength else { throw Refused() }
        members = try bytes.withUnsafeBufferPointer { buffer throws(Refused) in try Self.members(of: buffer) }
    }

    /// One pass over the object's bytes (borrowed: the reader holds no copy).
    private static func members(of bytes: UnsafeBufferPointer<UInt8>) throws(Refused) -> [Member] {
        var members: [Member] = []
        // Room for the twelve claims authd issues, allocated once rather than grown.
        members.reserveCapacity(16)
        var reader = Reader(bytes: bytes)
        reader.skipSpace()
        try reader.expect(UInt8(ascii: "{"))
        reader.skipSpace()
        if reader.peek() == UInt8(ascii: "}") {
            reader.index += 1
        } else {
            while true {
                reader.skipSpace()
                let name = try reader.string()
                let key = Self.key(name)
                guard !members.contains(where: { named($0, name, key: key) }) else { throw Refused() }
                reader.skipSpace()
                try reader.expect(UInt8(ascii: ":"))
                reader.skipSpace()
                members.append((name, key, try reader.value()))
                reader.skipSpace()
                if reader.peek() == UInt8(ascii: ",") {
                    reader.index += 1
                    continue
                }
                try reader.expect(UInt8(ascii: "}"))
                break
            }
        }
        reader.skipSpace()
        guard reader.index == bytes.count else { throw Refused() }
        return members
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func expect(_ byte: UInt8) throws(Refused) {
            guard peek() == byte else { throw Refused() }
            index += 1
        }

        mutating func skipSpace() {
            while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func value() throws(Refused) -> Value {
            guard let first = peek() else { throw Refused() }
            switch first {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["): return .strings(try strings())
            case UInt8(ascii: "{"): return .object(try object())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw Refused()
            }
        }

        mutating func literal(_ word: StaticString) throws(Refused) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw Refused() }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw Refused() }
            index += count
        }

        /// A member object: its members are read as values but may not be objects themselves.
        mutating func object() throws(Refused) -> [String: String] {
            try expect(UInt8(ascii: "{"))
            var members: [String: String] = [:]
            var names: Set<String> = []
            skipSpace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                return members
            }
            while true {
                skipSpace()
                let name = try string()
                guard names.insert(name).inserted else { throw Refused() }
                skipSpace()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                guard peek() != UInt8(ascii: "{") else { throw Refused() }
                if case .string(let text) = try value() { members[name] = text }
                skipSpace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"))
                return members
            }
        }

        mutating func strings() throws(Refused) -> [String] {
            try expect(UInt8(ascii: "["))
            var items: [String] = []
            skipSpace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return items
            }
            while true {
                skipSpace()
                items.append(try string())
                skipSpace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "]"))
                return items
            }
        }

        /// RFC 8259 §6, at most 32 characters, as a Double. An integer of up to 15 digits (every
        /// NumericDate) is exact as a Double and is converted without `strtod`.
        mutating func number() throws(Refused) -> Double {
            let start = index
            let negative = peek() == UInt8(ascii: "-")
            if negative { index += 1 }
            guard let first = peek(), isDigit(first) else { throw Refused() }
            let digits = index
            index += 1
            if first != UInt8(ascii: "0") { skipDigits() }
            if index - digits <= 15, peek() != UInt8(ascii: "."), peek() != UInt8(ascii: "e"),
                peek() != UInt8(ascii: "E")
            {
                var integer: Int64 = 0
                for offset in digits..<index { integer = integer * 10 + Int64(bytes[offset] - UInt8(ascii: "0")) }
                return negative ? -Double(integer) : Double(integer)
            }
            if peek() == UInt8(ascii: ".") {
                index += 1
                guard let digit = peek(), isDigit(digit) else { throw Refused() }
                skipDigits()
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                index += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
                guard let digit = peek(), isDigit(digit) else { throw Refused() }
                skipDigits()
            }
            guard index - start <= 32,
                let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)), value.isFinite
            else { throw Refused() }
            return value
        }

        private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        private mutating func skipDigits() {
            while let byte = peek(), isDigit(byte) { index += 1 }
        }

        /// A string: valid UTF-8, no unescaped control characters, escapes as RFC 8259 §7 (a
        /// `\u` surrogate must be half of a pair).
        mutating func string() throws(Refused) -> String {
            try expect(UInt8(ascii: "\""))
            let start = index
            // The common case, no escapes: one validated copy.
            var seen: UInt8 = 0
            while let byte = peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                guard byte >= 0x20 else { throw Refused() }
                seen |= byte
                index += 1
            }
            guard let stop = peek() else { throw Refused() }
            if stop == UInt8(ascii: "\"") {
                index += 1
                return try Self.validated(bytes[start..<(index - 1)], ascii: seen < 0x80)
            }
            var out = Array(bytes[start..<index])
            while true {
                guard let byte = peek() else { throw Refused() }
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return try Self.validated(out[...], ascii: out.allSatisfy { $0 < 0x80 })
                case UInt8(ascii: "\\"):
                    try escape(into: &out)
                case ..<0x20:
                    throw Refused()
                default:
                    out.append(byte)
                }
            }
        }

        private mutating func escape(into out: inout [UInt8]) throws(Refused) {
            guard let byte = peek() else { throw Refused() }
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(try hex4())
                if (0xD800...0xDBFF).contains(scalar) {
                    try expect(UInt8(ascii: "\\"))
                    try expect(UInt8(ascii: "u"))
                    let low = UInt32(try hex4())
                    guard (0xDC00...0xDFFF).contains(low) else { throw Refused() }
                    scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw Refused() }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: throw Refused()
            }
        }

        private mutating func hex4() throws(Refused) -> UInt16 {
            guard index + 4 <= bytes.count else { throw Refused() }
            var value: UInt16 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw Refused()
                }
                value = value << 4 | UInt16(digit)
                index += 1
            }
            return value
        }

        private static func validated(_ slice: some Collection<UInt8>, ascii: Bool) throws(Refused) -> String {
            // ASCII (every string in authd's tokens) is valid UTF-8 as it is: one copy, no
            // generic validation.
            if ascii {
                return String(unsafeUninitializedCapacity: slice.count) { buffer in
                    buffer.initialize(fromContentsOf: slice)
                }
            }
            guard let text = String(validating: slice, as: UTF8.self) else { throw Refused() }
            return text
        }
    }
}
