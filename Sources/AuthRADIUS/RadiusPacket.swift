/// A RADIUS packet (RFC 2865 §3): code, identifier, the 16-byte authenticator and the attributes
/// in order. Parsing is strict: anything that is not a whole packet of a known code, 20 to 4,096
/// bytes, with attributes that fit exactly, is nil (RFC 2865 has such packets silently
/// discarded); bytes past the Length field are padding and ignored.
public struct RadiusPacket: Hashable, Sendable {
    public enum Code: UInt8, Hashable, Sendable {
        case accessRequest = 1
        case accessAccept = 2
        case accessReject = 3
        case accountingRequest = 4
        case accountingResponse = 5
        case accessChallenge = 11
        case statusServer = 12
    }

    /// The attribute types authd reads or writes.
    public enum AttributeType: UInt8, Hashable, Sendable {
        case userName = 1
        case userPassword = 2
        case chapPassword = 3
        case nasIPAddress = 4
        case framedIPAddress = 8
        case filterID = 11
        case replyMessage = 18
        case state = 24
        case `class` = 25
        case callingStationID = 31
        case nasIdentifier = 32
        case acctStatusType = 40
        case acctInputOctets = 42
        case acctOutputOctets = 43
        case acctSessionID = 44
        case acctSessionTime = 46
        case acctTerminateCause = 49
        case messageAuthenticator = 80
    }

    public struct Attribute: Hashable, Sendable {
        public var type: UInt8
        public var value: [UInt8]

        public init(_ type: UInt8, _ value: [UInt8]) {
            self.type = type
            self.value = value
        }

        public init(_ type: AttributeType, _ value: [UInt8]) { self.init(type.rawValue, value) }
    }

    public static let minimumLength = 20
    public static let maximumLength = 4096
    /// An attribute's value is at most 253 bytes (its length octet counts the two header bytes).
    public static let maximumValueLength = 253

    public var code: Code
    public var identifier: UInt8
    public var authenticator: [UInt8]
    public var attributes: [Attribute]

    public init(code: Code, identifier: UInt8, authenticator: [UInt8], attributes: [Attribute] = []) {
        self.code = code
        self.identifier = identifier
        self.authenticator = authenticator
        self.attributes = attributes
    }

    /// Nil for anything but a whole, well-formed packet of a known code.
    public init?(bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        guard bytes.count >= Self.minimumLength, let code = Code(rawValue: bytes[0]) else { return nil }
        let length = Int(bytes[2]) << 8 | Int(bytes[3])
        guard (Self.minimumLength...Self.maximumLength).contains(length), length <= bytes.count else { return nil }
        var attributes: [Attribute] = []
        var offset = Self.minimumLength
        while offset < length {
            guard offset + 2 <= length else { return nil }
            let size = Int(bytes[offset + 1])
            guard size >= 2, offset + size <= length else { return nil }
            attributes.append(Attribute(bytes[offset], Array(bytes[(offset + 2)..<(offset + size)])))
            offset += size
        }
        self.init(
            code: code, identifier: bytes[1], authenticator: Array(bytes[4..<20]), attributes: attributes)
    }

    /// The first value of an attribute, nil when absent.
    public func first(_ type: AttributeType) -> [UInt8]? {
        attributes.first { $0.type == type.rawValue }?.value
    }

    /// How many times an attribute appears.
    public func count(_ type: AttributeType) -> Int {
        attributes.count { $0.type == type.rawValue }
    }

    /// The packet on the wire. Values over 253 bytes and packets over 4,096 bytes cannot be
    /// encoded: callers build replies within those bounds.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [code.rawValue, identifier, 0, 0] + authenticator
        for attribute in attributes {
            bytes += [attribute.type, UInt8(attribute.value.count + 2)] + attribute.value
        }
        bytes[2] = UInt8(bytes.count >> 8)
        bytes[3] = UInt8(bytes.count & 0xFF)
        return bytes
    }
}
