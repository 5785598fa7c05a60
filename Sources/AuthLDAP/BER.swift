/// A BER element (X.690) as LDAP uses it (RFC 4511 §5.1): one identifier octet (tag numbers up to
/// 30), definite lengths only, primitive strings. Parsing is strict and bounded: a length of more
/// than four octets, an indefinite length, a length past the input, bytes left over, nesting deeper
/// than `maximumDepth` are all `BERError`; constructed elements are parsed into their children.
public struct BERElement: Hashable, Sendable {
    /// The identifier octet: class, constructed bit, tag number.
    public var tag: UInt8
    /// A primitive element's content.
    public var content: ArraySlice<UInt8>
    /// A constructed element's children; empty for a primitive one.
    public var children: [BERElement]

    public var isConstructed: Bool { tag & 0x20 != 0 }

    /// The deepest nesting a message may have: LDAP's own structures need 6 or 7; the rest is
    /// filters, which applications nest a few levels.
    public static let maximumDepth = 32

    /// The one element `bytes` holds, exactly.
    public init(parsing bytes: ArraySlice<UInt8>, depth: Int = 0) throws(BERError) {
        var index = bytes.startIndex
        self = try Self.next(bytes, at: &index, depth: depth)
        guard index == bytes.endIndex else { throw BERError("bytes after the element") }
    }

    private init(tag: UInt8, content: ArraySlice<UInt8>, children: [BERElement]) {
        self.tag = tag
        self.content = content
        self.children = children
    }

    /// The element starting at `index`, moving `index` past it.
    static func next(_ bytes: ArraySlice<UInt8>, at index: inout Int, depth: Int) throws(BERError) -> BERElement {
        guard depth <= maximumDepth else { throw BERError("nested more than \(maximumDepth) deep") }
        guard let header = try header(bytes[index...]) else { throw BERError("truncated element") }
        let start = index + header.headerLength
        guard bytes.endIndex - start >= header.contentLength else { throw BERError("length past the end") }
        let content = bytes[start..<start + header.contentLength]
        index = start + header.contentLength
        guard header.tag & 0x20 != 0 else { return BERElement(tag: header.tag, content: content, children: []) }
        var children: [BERElement] = []
        var inner = content.startIndex
        while inner < content.endIndex { children.append(try next(content, at: &inner, depth: depth + 1)) }
        return BERElement(
            tag: header.tag, content: content[content.startIndex..<content.startIndex], children: children)
    }

    /// The identifier and length at the start of `bytes`: nil while incomplete; throws for what
    /// no LDAP peer sends. The frame decoder uses it to know a message's size before it arrives.
    static func header(_ bytes: ArraySlice<UInt8>) throws(BERError) -> (
        tag: UInt8, headerLength: Int, contentLength: Int
    )? {
        guard bytes.count >= 2 else { return nil }
        let tag = bytes[bytes.startIndex]
        guard tag & 0x1F != 0x1F else { throw BERError("multi-octet tag") }
        let first = bytes[bytes.startIndex + 1]
        if first < 0x80 { return (tag, 2, Int(first)) }
        let octets = Int(first & 0x7F)
        guard octets != 0 else { throw BERError("indefinite length") }
        guard octets <= 4 else { throw BERError("length of more than four octets") }
        guard bytes.count >= 2 + octets else { return nil }
        let length = bytes.dropFirst(2).prefix(octets).reduce(0) { $0 << 8 | Int($1) }
        return (tag, 2 + octets, length)
    }

    /// An INTEGER or ENUMERATED: two's complement, one to eight octets.
    public func integer() throws(BERError) -> Int64 {
        guard !isConstructed, (1...8).contains(content.count) else { throw BERError("bad integer") }
        var value = Int64(Int8(bitPattern: content[content.startIndex]))
        for byte in content.dropFirst() { value = value << 8 | Int64(byte) }
        return value
    }

    /// A BOOLEAN: one octet, zero for false.
    public func boolean() throws(BERError) -> Bool {
        guard !isConstructed, content.count == 1 else { throw BERError("bad boolean") }
        return content[content.startIndex] != 0
    }

    /// An OCTET STRING (or a context tag holding one) as UTF-8 text.
    public func string() throws(BERError) -> String {
        guard !isConstructed, let text = String(validating: content, as: UTF8.self) else {
            throw BERError("bad string")
        }
        return text
    }

    /// Fails unless the tag is `expected`.
    @discardableResult
    public func expect(_ expected: UInt8) throws(BERError) -> BERElement {
        guard tag == expected else { throw BERError("unexpected tag") }
        return self
    }
}

/// Input that is not BER as LDAP sends it. The message names the rule, never the input.
public struct BERError: Error, Equatable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}

/// Builds BER: each element's length is written once its content is known.
public struct BERWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func element(_ tag: UInt8, _ content: some Collection<UInt8>) {
        bytes.append(tag)
        let count = content.count
        if count < 0x80 {
            bytes.append(UInt8(count))
        } else {
            let octets = (Int.bitWidth - count.leadingZeroBitCount + 7) / 8
            bytes.append(0x80 | UInt8(octets))
            for shift in stride(from: (octets - 1) * 8, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: count >> shift))
            }
        }
        bytes.append(contentsOf: content)
    }

    /// A constructed element whose content `body` writes.
    public mutating func constructed(_ tag: UInt8, _ body: (inout BERWriter) -> Void) {
        var inner = BERWriter()
        body(&inner)
        element(tag, inner.bytes)
    }

    public mutating func string(_ text: String, tag: UInt8 = BERTag.octetString) {
        element(tag, text.utf8)
    }

    public mutating func integer(_ value: Int64, tag: UInt8 = BERTag.integer) {
        var octets = withUnsafeBytes(of: value.bigEndian, Array.init)
        while octets.count > 1,
            octets[0] == 0 && octets[1] & 0x80 == 0 || octets[0] == 0xFF && octets[1] & 0x80 != 0
        {
            octets.removeFirst()
        }
        element(tag, octets)
    }

    public mutating func boolean(_ value: Bool) {
        element(BERTag.boolean, [value ? 0xFF : 0])
    }
}

/// The universal tags LDAP uses.
public enum BERTag {
    public static let boolean: UInt8 = 0x01
    public static let integer: UInt8 = 0x02
    public static let octetString: UInt8 = 0x04
    public static let null: UInt8 = 0x05
    public static let enumerated: UInt8 = 0x0A
    public static let sequence: UInt8 = 0x30
    public static let set: UInt8 = 0x31
}
