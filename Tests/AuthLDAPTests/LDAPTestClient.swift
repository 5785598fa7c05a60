@testable import AuthLDAP

/// Requests as an LDAP client encodes them, and the server's answers read back.
enum LDAPTestClient {
    /// Clients write the envelope as the server does.
    static func message(_ id: Int64, controls: [LDAPControl] = [], _ op: (inout BERWriter) -> Void) -> [UInt8] {
        LDAPResponse.message(id, controls: controls, op)
    }

    static func bind(_ id: Int64, _ name: String, _ password: String, version: Int64 = 3) -> [UInt8] {
        message(id) { message in
            message.constructed(0x60) { bind in
                bind.integer(version)
                bind.string(name)
                bind.string(password, tag: 0x80)
            }
        }
    }

    /// A filter in BER, for the few shapes the tests use.
    indirect enum Filter {
        case and([Filter])
        case or([Filter])
        case not(Filter)
        case equal(String, String)
        case present(String)
        case substrings(String, initial: String?, any: [String], final: String?)
        case greaterOrEqual(String, String)

        func write(_ writer: inout BERWriter) {
            switch self {
            case .and(let filters): writer.constructed(0xA0) { for filter in filters { filter.write(&$0) } }
            case .or(let filters): writer.constructed(0xA1) { for filter in filters { filter.write(&$0) } }
            case .not(let filter): writer.constructed(0xA2) { filter.write(&$0) }
            case .equal(let type, let value):
                writer.constructed(0xA3) {
                    $0.string(type)
                    $0.string(value)
                }
            case .greaterOrEqual(let type, let value):
                writer.constructed(0xA5) {
                    $0.string(type)
                    $0.string(value)
                }
            case .present(let type): writer.string(type, tag: 0x87)
            case .substrings(let type, let initial, let any, let final):
                writer.constructed(0xA4) { substrings in
                    substrings.string(type)
                    substrings.constructed(BERTag.sequence) { parts in
                        if let initial { parts.string(initial, tag: 0x80) }
                        for part in any { parts.string(part, tag: 0x81) }
                        if let final { parts.string(final, tag: 0x82) }
                    }
                }
            }
        }
    }

    static func search(
        _ id: Int64, base: String, scope: Int64 = 2, filter: Filter = .present("objectClass"),
        attributes: [String] = [],
        sizeLimit: Int64 = 0, controls: [LDAPControl] = []
    ) -> [UInt8] {
        message(id, controls: controls) { message in
            message.constructed(0x63) { search in
                search.string(base)
                search.integer(scope, tag: BERTag.enumerated)
                search.integer(0, tag: BERTag.enumerated)
                search.integer(sizeLimit)
                search.integer(0)
                search.boolean(false)
                filter.write(&search)
                search.constructed(BERTag.sequence) { list in for name in attributes { list.string(name) } }
            }
        }
    }

    static func extended(_ id: Int64, _ name: String) -> [UInt8] {
        message(id) { message in message.constructed(0x77) { $0.string(name, tag: 0x80) } }
    }

    static func paged(size: Int64, cookie: [UInt8] = []) -> LDAPControl {
        var value = BERWriter()
        value.constructed(BERTag.sequence) {
            $0.integer(size)
            $0.element(BERTag.octetString, cookie)
        }
        return LDAPControl(type: LDAPControl.pagedResults, value: value.bytes)
    }

    /// One message of the server's answer.
    struct Reply {
        var id: Int64
        var tag: UInt8
        var op: BERElement
        var controls: [BERElement]

        var code: Int64? { op.children.first.flatMap { try? $0.integer() } }
        var message: String? { op.children.count > 2 ? try? op.children[2].string() : nil }
        var matchedDN: String? { op.children.count > 1 ? try? op.children[1].string() : nil }
        /// A SearchResultEntry's DN.
        var dn: String? { tag == 0x64 ? try? op.children[0].string() : nil }
        /// A SearchResultEntry's attributes.
        var attributes: [String: [String]] {
            guard tag == 0x64 else { return [:] }
            var result: [String: [String]] = [:]
            for attribute in op.children[1].children {
                result[(try? attribute.children[0].string()) ?? ""] = attribute.children[1].children.compactMap {
                    try? $0.string()
                }
            }
            return result
        }
        /// An ExtendedResponse's value.
        var value: String? { op.children.first { $0.tag == 0x8B }.flatMap { try? $0.string() } }
        /// The paged results cookie of a SearchResultDone.
        var cookie: [UInt8]? {
            guard let control = controls.first,
                let value = control.children.last, let paged = try? LDAPControl.pagedValue(Array(value.content))
            else { return nil }
            return paged.cookie
        }
    }

    static func replies(_ output: [UInt8]) throws -> [Reply] {
        var replies: [Reply] = []
        var rest = output[...]
        while !rest.isEmpty {
            guard let header = try BERHeader.read(rest) else { throw BERTruncated() }
            let element = try BERElement(parsing: rest.prefix(header))
            rest = rest.dropFirst(header)
            let id = try element.children[0].integer()
            replies.append(
                Reply(
                    id: id, tag: element.children[1].tag, op: element.children[1],
                    controls: element.children.count > 2 ? element.children[2].children : []))
        }
        return replies
    }
}

struct BERTruncated: Error {}

/// The length of the first element of a byte run.
enum BERHeader {
    static func read(_ bytes: ArraySlice<UInt8>) throws -> Int? {
        guard bytes.count >= 2 else { return nil }
        let first = bytes[bytes.startIndex + 1]
        if first < 0x80 { return 2 + Int(first) }
        let octets = Int(first & 0x7F)
        let length = bytes.dropFirst(2).prefix(octets).reduce(0) { $0 << 8 | Int($1) }
        return 2 + octets + length
    }
}
