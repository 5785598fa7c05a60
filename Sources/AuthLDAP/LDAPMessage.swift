/// An LDAPv3 request (RFC 4511 §4.1.1): the message ID, the operation, the controls.
public struct LDAPRequest: Hashable, Sendable {
    public var messageID: Int64
    public var operation: Operation
    public var controls: [LDAPControl]

    public enum Operation: Hashable, Sendable {
        /// A simple bind (`password` may be empty: an anonymous or unauthenticated bind).
        case bind(version: Int64, name: String, password: [UInt8])
        /// A SASL bind: authd offers no mechanism.
        case saslBind(version: Int64, name: String, mechanism: String)
        case unbind
        case search(LDAPSearch)
        case extended(name: String, value: [UInt8]?)
        case abandon(Int64)
        /// Whether the entry `dn` holds `value` in `type` (RFC 4511 §4.10).
        case compare(dn: String, type: String, value: String)
        /// Add, delete, modify or modify DN: `responseTag` is their response's application tag.
        /// The directory is read-only.
        case change(responseTag: UInt8)
    }

    /// A message ID is 0 to 2^31 - 1; 0 is the server's own (unsolicited notifications).
    public static let maximumMessageID: Int64 = 2_147_483_647

    /// Throws `BERError` for anything that is not an LDAPv3 request authd can name; the connection
    /// then ends with a notice of disconnection (RFC 4511 §4.1.1).
    public init(ber bytes: ArraySlice<UInt8>) throws(BERError) {
        let message = try BERElement(parsing: bytes).expect(BERTag.sequence)
        guard (2...3).contains(message.children.count) else { throw BERError("bad LDAPMessage") }
        messageID = try message.children[0].expect(BERTag.integer).integer()
        guard (1...Self.maximumMessageID).contains(messageID) else { throw BERError("bad message ID") }
        operation = try Self.operation(message.children[1])
        controls =
            message.children.count == 3
            ? try message.children[2].expect(0xA0).children.map { element throws(BERError) in
                try LDAPControl(element)
            } : []
    }

    private static func operation(_ op: BERElement) throws(BERError) -> Operation {
        let fields = op.children
        switch op.tag {
        case 0x60:
            guard fields.count == 3 else { throw BERError("bad bind request") }
            let version = try fields[0].expect(BERTag.integer).integer()
            let name = try fields[1].expect(BERTag.octetString).string()
            switch fields[2].tag {
            case 0x80: return .bind(version: version, name: name, password: Array(fields[2].content))
            case 0xA3:
                guard let mechanism = fields[2].children.first else { throw BERError("bad SASL credentials") }
                return .saslBind(version: version, name: name, mechanism: try mechanism.string())
            default: throw BERError("bad authentication choice")
            }
        case 0x42:
            guard op.content.isEmpty else { throw BERError("bad unbind request") }
            return .unbind
        case 0x63: return .search(try LDAPSearch(fields))
        case 0x77:
            guard (1...2).contains(fields.count) else { throw BERError("bad extended request") }
            let name = try fields[0].expect(0x80).string()
            return .extended(name: name, value: fields.count == 2 ? Array(try fields[1].expect(0x81).content) : nil)
        case 0x50: return .abandon(try op.integer())
        case 0x6E:
            guard fields.count == 2, fields[1].tag == BERTag.sequence, fields[1].children.count == 2 else {
                throw BERError("bad compare request")
            }
            let assertion = fields[1].children
            return .compare(
                dn: try fields[0].expect(BERTag.octetString).string(),
                type: try assertion[0].expect(BERTag.octetString).string(),
                value: try assertion[1].expect(BERTag.octetString).string())
        case 0x66, 0x68, 0x4A, 0x6C: return .change(responseTag: (op.tag | 0x20) + 1)
        default: throw BERError("unknown operation")
        }
    }
}

extension LDAPRequest.Operation {
    /// The application tag of the response, nil for unbind and abandon, which have none.
    var responseTag: UInt8? {
        switch self {
        case .bind, .saslBind: LDAPResponse.Tag.bind
        case .search: LDAPResponse.Tag.searchDone
        case .compare: LDAPResponse.Tag.compare
        case .extended: LDAPResponse.Tag.extended
        case .change(let tag): tag
        case .unbind, .abandon: nil
        }
    }

    /// The operation's label in `authd_ldap_requests_total`.
    var name: String {
        switch self {
        case .bind, .saslBind: "bind"
        case .search: "search"
        case .compare: "compare"
        case .extended: "extended"
        case .change: "write"
        case .unbind: "unbind"
        case .abandon: "abandon"
        }
    }
}

/// A control (RFC 4511 §4.1.11).
public struct LDAPControl: Hashable, Sendable {
    public var type: String
    public var critical: Bool
    public var value: [UInt8]?

    public init(type: String, critical: Bool = false, value: [UInt8]? = nil) {
        self.type = type
        self.critical = critical
        self.value = value
    }

    init(_ element: BERElement) throws(BERError) {
        let fields = try element.expect(BERTag.sequence).children
        guard (1...3).contains(fields.count) else { throw BERError("bad control") }
        type = try fields[0].expect(BERTag.octetString).string()
        var rest = fields.dropFirst()
        critical = false
        if let flag = rest.first, flag.tag == BERTag.boolean {
            critical = try flag.boolean()
            rest = rest.dropFirst()
        }
        value = try rest.first.map { element throws(BERError) in Array(try element.expect(BERTag.octetString).content) }
        guard rest.count <= 1 else { throw BERError("bad control") }
    }

    /// The simple paged results control (RFC 2696).
    public static let pagedResults = "1.2.840.113556.1.4.319"

    /// The paged results control's value: the page size and the cookie.
    public static func pagedValue(_ bytes: [UInt8]) throws(BERError) -> (size: Int64, cookie: [UInt8]) {
        let fields = try BERElement(parsing: bytes[...]).expect(BERTag.sequence).children
        guard fields.count == 2 else { throw BERError("bad paged results value") }
        return (try fields[0].expect(BERTag.integer).integer(), Array(try fields[1].expect(BERTag.octetString).content))
    }
}

/// A search request (RFC 4511 §4.5.1).
public struct LDAPSearch: Hashable, Sendable {
    public enum Scope: Int64, Hashable, Sendable {
        case base = 0
        case one = 1
        case subtree = 2
    }

    public var base: String
    public var scope: Scope
    public var sizeLimit: Int64
    public var timeLimit: Int64
    public var typesOnly: Bool
    public var filter: LDAPFilter
    public var attributes: [String]

    init(_ fields: [BERElement]) throws(BERError) {
        guard fields.count == 8 else { throw BERError("bad search request") }
        base = try fields[0].expect(BERTag.octetString).string()
        guard let scope = Scope(rawValue: try fields[1].expect(BERTag.enumerated).integer()) else {
            throw BERError("bad scope")
        }
        self.scope = scope
        guard (0...3).contains(try fields[2].expect(BERTag.enumerated).integer()) else { throw BERError("bad deref") }
        sizeLimit = try fields[3].expect(BERTag.integer).integer()
        timeLimit = try fields[4].expect(BERTag.integer).integer()
        guard sizeLimit >= 0, timeLimit >= 0 else { throw BERError("negative limit") }
        typesOnly = try fields[5].expect(BERTag.boolean).boolean()
        filter = try LDAPFilter(fields[6])
        attributes = try fields[7].expect(BERTag.sequence).children.map { element throws(BERError) in
            try element.expect(BERTag.octetString).string()
        }
    }
}

/// A search filter (RFC 4511 §4.5.1.7). Attribute descriptions are kept as sent.
public indirect enum LDAPFilter: Hashable, Sendable {
    case and([LDAPFilter])
    case or([LDAPFilter])
    case not(LDAPFilter)
    case equal(String, String)
    case substrings(String, initial: String?, any: [String], final: String?)
    case greaterOrEqual(String, String)
    case lessOrEqual(String, String)
    case present(String)
    case approximate(String, String)
    /// Extensible matches, which authd does not evaluate: Undefined.
    case extensible

    init(_ element: BERElement) throws(BERError) {
        let fields = element.children
        func assertion() throws(BERError) -> (String, String) {
            guard fields.count == 2 else { throw BERError("bad assertion") }
            return (
                try fields[0].expect(BERTag.octetString).string(), try fields[1].expect(BERTag.octetString).string()
            )
        }
        switch element.tag {
        case 0xA0: self = .and(try fields.map { child throws(BERError) in try LDAPFilter(child) })
        case 0xA1: self = .or(try fields.map { child throws(BERError) in try LDAPFilter(child) })
        case 0xA2:
            guard fields.count == 1 else { throw BERError("bad not filter") }
            self = .not(try LDAPFilter(fields[0]))
        case 0xA3:
            let (type, value) = try assertion()
            self = .equal(type, value)
        case 0xA4:
            guard fields.count == 2 else { throw BERError("bad substrings filter") }
            let type = try fields[0].expect(BERTag.octetString).string()
            var (initial, any, final): (String?, [String], String?) = (nil, [], nil)
            let parts = try fields[1].expect(BERTag.sequence).children
            guard !parts.isEmpty else { throw BERError("empty substrings filter") }
            for (index, part) in parts.enumerated() {
                let text = try part.string()
                switch part.tag {
                case 0x80 where index == 0: initial = text
                case 0x81: any.append(text)
                case 0x82 where index == parts.count - 1: final = text
                default: throw BERError("bad substring")
                }
            }
            self = .substrings(type, initial: initial, any: any, final: final)
        case 0xA5:
            let (type, value) = try assertion()
            self = .greaterOrEqual(type, value)
        case 0xA6:
            let (type, value) = try assertion()
            self = .lessOrEqual(type, value)
        case 0x87: self = .present(try element.string())
        case 0xA8:
            let (type, value) = try assertion()
            self = .approximate(type, value)
        case 0xA9: self = .extensible
        default: throw BERError("unknown filter")
        }
    }
}
