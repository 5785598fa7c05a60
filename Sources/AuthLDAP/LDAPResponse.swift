/// Result codes authd answers with (RFC 4511 Appendix A).
public enum LDAPResultCode: Int64, Sendable {
    case success = 0
    case operationsError = 1
    case protocolError = 2
    case timeLimitExceeded = 3
    case sizeLimitExceeded = 4
    case compareFalse = 5
    case compareTrue = 6
    case authMethodNotSupported = 7
    case unavailableCriticalExtension = 12
    case confidentialityRequired = 13
    case undefinedAttributeType = 17
    case noSuchObject = 32
    case invalidCredentials = 49
    case insufficientAccessRights = 50
    case busy = 51
    case unavailable = 52
    case unwillingToPerform = 53
}

/// An LDAPResult: the code and a diagnostic message that names no secret and no account.
public struct LDAPResult: Sendable, Equatable {
    public var code: LDAPResultCode
    public var matchedDN: String
    public var message: String

    public init(_ code: LDAPResultCode, _ message: String = "", matchedDN: String = "") {
        self.code = code
        self.message = message
        self.matchedDN = matchedDN
    }
}

/// An entry as a search returns it: attribute names as published, values in order.
public struct LDAPEntry: Sendable, Equatable {
    public var dn: String
    public var attributes: [(name: String, values: [String])]

    public init(dn: String, attributes: [(name: String, values: [String])]) {
        self.dn = dn
        self.attributes = attributes
    }

    public static func == (lhs: LDAPEntry, rhs: LDAPEntry) -> Bool {
        lhs.dn == rhs.dn
            && lhs.attributes.elementsEqual(rhs.attributes) { $0.name == $1.name && $0.values == $1.values }
    }

    /// The values of `name`, matched case-insensitively.
    public func values(_ name: String) -> [String]? {
        let name = name.lowercased()
        return attributes.first { $0.name.lowercased() == name }?.values
    }
}

/// Encodes the server's messages.
public enum LDAPResponse {
    /// Application tags of the responses authd sends.
    public enum Tag {
        public static let bind: UInt8 = 0x61
        public static let searchEntry: UInt8 = 0x64
        public static let searchDone: UInt8 = 0x65
        public static let compare: UInt8 = 0x6F
        public static let extended: UInt8 = 0x78
    }

    /// A response carrying an LDAPResult (bind, search done, the read-only refusals), with the
    /// extended response's name and value when given.
    public static func result(
        _ id: Int64, _ tag: UInt8, _ result: LDAPResult, name: String? = nil, value: [UInt8]? = nil,
        controls: [LDAPControl] = []
    ) -> [UInt8] {
        message(id, controls: controls) { writer in
            writer.constructed(tag) { op in
                op.integer(result.code.rawValue, tag: BERTag.enumerated)
                op.string(result.matchedDN)
                op.string(result.message)
                if let name { op.string(name, tag: 0x8A) }
                if let value { op.element(0x8B, value) }
            }
        }
    }

    /// A SearchResultEntry; with `typesOnly`, the attributes without their values.
    public static func entry(_ id: Int64, _ entry: LDAPEntry, typesOnly: Bool = false) -> [UInt8] {
        message(id) { writer in
            writer.constructed(Tag.searchEntry) { op in
                op.string(entry.dn)
                op.constructed(BERTag.sequence) { list in
                    for attribute in entry.attributes {
                        list.constructed(BERTag.sequence) { partial in
                            partial.string(attribute.name)
                            partial.constructed(BERTag.set) { set in
                                if !typesOnly { for value in attribute.values { set.string(value) } }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The notice of disconnection (RFC 4511 §4.4.1), sent before closing on a protocol error.
    public static func disconnection(_ message: String) -> [UInt8] {
        result(0, Tag.extended, LDAPResult(.protocolError, message), name: "1.3.6.1.4.1.1466.20036")
    }

    /// The paged results control of a response: the cookie of the next page, empty after the last.
    public static func pagedControl(cookie: [UInt8]) -> LDAPControl {
        var value = BERWriter()
        value.constructed(BERTag.sequence) {
            $0.integer(0)
            $0.element(BERTag.octetString, cookie)
        }
        return LDAPControl(type: LDAPControl.pagedResults, value: value.bytes)
    }

    /// An LDAPMessage: the ID, the operation `body` writes, the controls.
    static func message(_ id: Int64, controls: [LDAPControl] = [], _ body: (inout BERWriter) -> Void)
        -> [UInt8]
    {
        var writer = BERWriter()
        writer.constructed(BERTag.sequence) { message in
            message.integer(id)
            body(&message)
            if !controls.isEmpty {
                message.constructed(0xA0) { list in
                    for control in controls {
                        list.constructed(BERTag.sequence) { item in
                            item.string(control.type)
                            if control.critical { item.boolean(true) }
                            if let value = control.value { item.element(BERTag.octetString, value) }
                        }
                    }
                }
            }
        }
        return writer.bytes
    }
}
