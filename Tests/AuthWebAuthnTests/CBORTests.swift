import AuthWebAuthn
import Testing

@Suite("CBOR: the strict decoder behind WebAuthn's attestation objects and COSE keys")
struct CBORTests {
    static func hex(_ text: String) -> [UInt8] {
        stride(from: 0, to: text.count, by: 2).map { offset in
            let start = text.index(text.startIndex, offsetBy: offset)
            return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    @Test(
        "RFC 8949 Appendix A's examples decode, and encode back to the same bytes",
        arguments: [
            ("00", CBOR.unsigned(0)), ("17", .unsigned(23)), ("1818", .unsigned(24)), ("1903e8", .unsigned(1000)),
            ("1b000000e8d4a51000", .unsigned(1_000_000_000_000)), ("1bffffffffffffffff", .unsigned(.max)),
            ("20", .int(-1)), ("3863", .int(-100)), ("3903e7", .int(-1000)), ("3bffffffffffffffff", .negative(.max)),
            ("40", .bytes([])), ("4401020304", .bytes([1, 2, 3, 4])), ("60", .text("")), ("6161", .text("a")),
            ("6449455446", .text("IETF")), ("62c3bc", .text("ü")), ("80", .array([])),
            ("83010203", .array([.unsigned(1), .unsigned(2), .unsigned(3)])), ("a0", .map([:])),
            ("a201020304", .map([.unsigned(1): .unsigned(2), .unsigned(3): .unsigned(4)])),
            (
                "a26161016162820203",
                .map([.text("a"): .unsigned(1), .text("b"): .array([.unsigned(2), .unsigned(3)])])
            ),
            ("f4", .bool(false)), ("f5", .bool(true)), ("f6", .null),
        ])
    func appendixA(_ text: String, _ expected: CBOR) throws {
        let decoded = try CBOR(decoding: Self.hex(text))
        #expect(decoded == expected)
        #expect(decoded.encoded == Self.hex(text))
    }

    @Test(
        "refused: longer forms than needed, indefinite lengths, tags, floats, undefined, bad UTF-8, twice-given keys",
        arguments: [
            "1817", "190017", "1a0000ffff", "1b00000000ffffffff", "3817", "5801ff", "5f4101ff", "9fff", "bfff",
            "c11a514b67b0", "f97c00", "fa47c35000", "fb3ff199999999999a", "f7", "f0", "f818", "62c328",
            "a201020103", "a2616101616102", "1c", "ff",
        ])
    func refused(_ text: String) {
        #expect(throws: CBOR.Refused.self) { try CBOR(decoding: Self.hex(text)) }
    }

    @Test("bombs and truncations are refused before anything is allocated: huge lengths, deep nesting, cut-off input")
    func bombs() {
        for text in [
            "5bffffffffffffffff", "7b7fffffffffffffff", "9b0000000100000000", "bb0000000100000000", "9a00ffffff00",
            "1903", "44010203", "830102", "a1", "",
        ] {
            #expect(throws: CBOR.Refused.self, "\(text)") { try CBOR(decoding: Self.hex(text)) }
        }
        let deep = [UInt8](repeating: 0x81, count: CBOR.maximumDepth + 1) + [0x00]
        #expect(throws: CBOR.Refused.self) { try CBOR(decoding: deep) }
        let deepest = [UInt8](repeating: 0x81, count: CBOR.maximumDepth) + [0x00]
        #expect((try? CBOR(decoding: deepest)) != nil, "the limit itself is allowed")
        #expect(throws: CBOR.Refused.self) { try CBOR(decoding: [0x00, 0x00]) }
    }

    @Test("a prefix decodes on its own and says how long it was, as authenticator data needs")
    func prefix() throws {
        let (item, length) = try CBOR.decodePrefix(of: Self.hex("a10102") + [0xA0, 0x01])
        #expect(item == .map([.unsigned(1): .unsigned(2)]) && length == 3)
        #expect(item[1] == .unsigned(2) && item[2] == nil && item.integer == nil)
        #expect(CBOR.int(-7).integer == -7 && CBOR.negative(.max).integer == nil)
    }

    @Test("maps encode with their keys in CTAP2's order: shorter encodings first, then bytewise")
    func canonicalOrder() {
        let map = CBOR.map([
            .text("aa"): .null, .int(-1): .null, .unsigned(10): .null, .text("b"): .null, .int(100): .null,
        ])
        // 10 (0a) and -1 (20), then 100 (1864) and "b" (6162), then "aa" (626161).
        #expect(map.encoded == Self.hex("a50af620f61864f66162f6626161f6"))
    }
}
