import AuthCrypto
import Testing

@Suite("Hex: the one base-16 codec")
struct HexTests {
    @Test("encodes lower-case and round-trips every byte value")
    func roundTrip() {
        let all = (0...255).map(UInt8.init)
        let text = Hex.encode(all)
        #expect(text.hasPrefix("000102") && text.hasSuffix("fdfeff") && text.utf8.count == 512)
        #expect(Hex.decode(text) == all)
        #expect(Hex.decode(text.uppercased()) == all, "upper-case digits decode too")
        #expect(Hex.encode([]) == "" && Hex.decode("") == [])
    }

    @Test(
        "refuses anything but an even number of hex digits, where the old decoders dropped or accepted",
        arguments: ["a", "abc", "+f", "-1", " f", "0x", "zz", "é0", "0\u{0}", "ff "])
    func strict(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test("SHA-256 in hex is the known digest")
    func digest() throws {
        #expect(
            try Digest.sha256Hex(Array("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
