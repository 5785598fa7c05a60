import Testing

@testable import AuthLDAP

@Suite("BER as LDAP speaks it: strict and bounded")
struct BERTests {
    @Test("integers of every width round-trip through the writer, minimal two's complement")
    func integers() throws {
        for value: Int64 in [0, 1, 127, 128, 255, 256, -1, -128, -129, 2_147_483_647, .max, .min] {
            var writer = BERWriter()
            writer.integer(value)
            #expect(try BERElement(parsing: writer.bytes[...]).integer() == value)
        }
        var writer = BERWriter()
        writer.integer(128)
        #expect(writer.bytes == [0x02, 0x02, 0x00, 0x80])
    }

    @Test("long lengths: written in the fewest octets, read in up to four (as liblber and AD send them)")
    func lengths() throws {
        var writer = BERWriter()
        writer.element(BERTag.octetString, [UInt8](repeating: 0x61, count: 300))
        #expect(Array(writer.bytes.prefix(4)) == [0x04, 0x82, 0x01, 0x2C])
        let padded: [UInt8] = [0x04, 0x84, 0x00, 0x00, 0x00, 0x02, 0x68, 0x69]
        #expect(try BERElement(parsing: padded[...]).string() == "hi")
    }

    @Test(
        "refused: a length past the input, a five-octet length, an indefinite length, a multi-octet tag, trailing bytes, truncation"
    )
    func refusals() {
        let inputs: [[UInt8]] = [
            [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x01],  // a length bomb: 2 GiB announced
            [0x04, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0x61],
            [0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00],
            [0x1F, 0x81, 0x01, 0x00],
            [0x02, 0x01, 0x01, 0x00],
            [0x30, 0x03, 0x02, 0x01],
            [0x30],
            [],
        ]
        for input in inputs {
            #expect(throws: BERError.self, "\(input)") { try BERElement(parsing: input[...]) }
        }
    }

    @Test("nesting deeper than the limit is an error, not a stack overflow")
    func depth() throws {
        func nested(_ depth: Int) -> [UInt8] {
            var writer = BERWriter()
            writer.element(BERTag.null, [])
            for _ in 0..<depth {
                var outer = BERWriter()
                outer.element(BERTag.sequence, writer.bytes)
                writer = outer
            }
            return writer.bytes
        }
        _ = try BERElement(parsing: nested(BERElement.maximumDepth)[...])
        #expect(throws: BERError.self) { try BERElement(parsing: nested(BERElement.maximumDepth + 1)[...]) }
        #expect(throws: BERError.self) { try BERElement(parsing: nested(5_000)[...]) }
    }

    @Test("a message ID of 0 or above 2^31 - 1, an unknown operation, a missing field: not a request")
    func badRequests() {
        let zero = LDAPTestClient.bind(0, "", "")
        let large = LDAPTestClient.bind(LDAPRequest.maximumMessageID + 1, "", "")
        let unknown = LDAPTestClient.message(1) { $0.element(0x7F - 0x20, [UInt8]()) }
        let short = LDAPTestClient.message(1) { $0.constructed(0x60) { $0.integer(3) } }
        for bytes in [zero, large, unknown, short] {
            #expect(throws: BERError.self) { try LDAPRequest(ber: bytes[...]) }
        }
    }

    @Test("a search request decodes with its filter; attribute names as sent")
    func searchRequest() throws {
        let bytes = LDAPTestClient.search(
            7, base: "ou=people,dc=authd,dc=local", scope: 1,
            filter: .and([
                .equal("objectClass", "posixAccount"), .substrings("UID", initial: "an", any: ["n"], final: nil),
            ]),
            attributes: ["uid", "memberOf"], sizeLimit: 5)
        let request = try LDAPRequest(ber: bytes[...])
        #expect(request.messageID == 7)
        guard case .search(let search) = request.operation else {
            Issue.record("not a search")
            return
        }
        #expect(search.base == "ou=people,dc=authd,dc=local" && search.scope == .one && search.sizeLimit == 5)
        #expect(
            search.filter
                == .and([
                    .equal("objectClass", "posixAccount"), .substrings("UID", initial: "an", any: ["n"], final: nil),
                ]))
        #expect(search.attributes == ["uid", "memberOf"])
    }
}

@Suite("distinguished names and filters")
struct LDAPFilterTests {
    static let entry = LDAPEntry(
        dn: "uid=ann,ou=people,dc=authd,dc=local",
        attributes: [
            ("objectClass", ["top", "inetOrgPerson", "posixAccount"]), ("uid", ["ann"]), ("mail", ["Ann@Example.com"]),
            ("uidNumber", ["10042"]), ("memberOf", ["cn=admin,ou=groups,dc=authd,dc=local"]),
        ])

    @Test("DNs compare without case, spaces or escapes")
    func names() {
        #expect(
            LDAPDistinguishedName("UID=ann, OU=People,dc=AUTHD,dc=local")
                == LDAPDistinguishedName("uid=ann,ou=people,dc=authd,dc=local"))
        #expect(LDAPDistinguishedName(#"cn=a\,b,dc=x"#)?.rdns.first?.value == "a,b")
        #expect(LDAPDistinguishedName(#"cn=a\2Cb,dc=x"#)?.rdns.first?.value == "a,b")
        #expect(LDAPDistinguishedName("no equals sign") == nil)
        #expect(LDAPDistinguishedName(#"cn=a\00b"#) == nil)
        #expect(LDAPDistinguishedName("")?.rdns.isEmpty == true)
    }

    @Test("equality, presence, substrings, ordering, and/or/not, with Undefined for what authd does not publish")
    func matching() {
        let entry = Self.entry
        #expect(LDAPFilter.equal("UID", "ANN").matches(entry) == true)
        #expect(LDAPFilter.equal("mail", "ann@example.com").matches(entry) == true)
        #expect(LDAPFilter.equal("objectclass", "POSIXACCOUNT").matches(entry) == true)
        #expect(LDAPFilter.equal("memberOf", "CN=admin, ou=groups,dc=authd,dc=local").matches(entry) == true)
        #expect(LDAPFilter.present("mail").matches(entry) == true)
        #expect(LDAPFilter.present("description").matches(entry) == false)
        #expect(LDAPFilter.substrings("mail", initial: "ann", any: ["@"], final: ".com").matches(entry) == true)
        #expect(LDAPFilter.substrings("mail", initial: "bob", any: [], final: nil).matches(entry) == false)
        #expect(LDAPFilter.greaterOrEqual("uidNumber", "10042").matches(entry) == true)
        #expect(LDAPFilter.greaterOrEqual("uidNumber", "9999").matches(entry) == true)
        #expect(LDAPFilter.lessOrEqual("uidNumber", "9999").matches(entry) == false)
        #expect(LDAPFilter.greaterOrEqual("uidNumber", "not a number").matches(entry) == nil)
        #expect(LDAPFilter.equal("userPassword", "x").matches(entry) == nil)
        #expect(LDAPFilter.not(.equal("userPassword", "x")).matches(entry) == nil, "NOT Undefined is Undefined")
        #expect(LDAPFilter.or([.equal("userPassword", "x"), .equal("uid", "ann")]).matches(entry) == true)
        #expect(LDAPFilter.and([.equal("userPassword", "x"), .equal("uid", "bob")]).matches(entry) == false)
        #expect(LDAPFilter.and([.equal("userPassword", "x"), .equal("uid", "ann")]).matches(entry) == nil)
        #expect(LDAPFilter.and([]).matches(entry) == true && LDAPFilter.or([]).matches(entry) == false)
        #expect(LDAPFilter.extensible.matches(entry) == nil)
    }

    @Test("an equality on uid, alone or in an and, names the one account to read")
    func impliedUsername() {
        #expect(LDAPFilter.equal("uid", "ann").impliedUsername == "ann")
        #expect(LDAPFilter.and([.equal("objectClass", "posixAccount"), .equal("UID", "ann")]).impliedUsername == "ann")
        #expect(LDAPFilter.or([.equal("uid", "ann"), .equal("uid", "bob")]).impliedUsername == nil)
        #expect(LDAPFilter.not(.equal("uid", "ann")).impliedUsername == nil)
    }
}
