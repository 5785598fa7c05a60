import AuthCrypto
import Foundation
import Testing

@Suite("base64 without padding")
struct Base64Tests {
    /// RFC 4648 §10, padding removed.
    @Test(
        "RFC 4648 vectors",
        arguments: [
            ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ])
    func vectors(_ plain: String, _ encoded: String) {
        #expect(Base64.standard.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.standard.decode(encoded) == Array(plain.utf8))
    }

    @Test("URL alphabet uses - and _")
    func urlAlphabet() {
        #expect(Base64.url.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64.standard.encode([0xFB, 0xFF]) == "+/8")
        #expect(Base64.url.decode("+/8") == nil)
    }

    @Test("random bytes round-trip")
    func roundTrip() throws {
        for length in 0..<70 {
            let bytes = try SecureRandom.bytes(length)
            #expect(Base64.url.decode(Base64.url.encode(bytes)) == bytes)
        }
    }

    @Test(
        "non-canonical or foreign input is refused",
        arguments: ["Zg==", "Z", "Zh", "Zm9", "Zm9=", "Zm 9v", "Zm9v\n", "é", "Zm9vYmFy!Zm9v", "Zm9vYmFyZ\u{0}9v"])
    func refused(_ text: String) {
        #expect(Base64.url.decode(text) == nil)
    }

    @Test("random text is decoded as Foundation decodes it when it is the canonical encoding, refused otherwise")
    func agreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        let characters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/AQgw= -")
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...13, using: &generator)
            let text = String((0..<length).map { _ in characters.randomElement(using: &generator)! })
            let padded = text + String(repeating: "=", count: (4 - text.count % 4) % 4)
            let expected = Data(base64Encoded: padded).map { [UInt8]($0) }.flatMap {
                Base64.standard.encode($0) == text ? $0 : nil
            }
            #expect(Base64.standard.decode(text) == expected, "\(text)")
        }
    }

    @Test("decode128 reads exactly the canonical 22-character encodings of 16 bytes")
    func decode128() throws {
        for _ in 0..<100 {
            let bytes = try SecureRandom.bytes(16)
            let value = try #require(Base64.url.decode128(Base64.url.encode(bytes)))
            #expect(value == bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
        }
        #expect(Base64.url.decode128("AAAAAAAAAAAAAAAAAAAAAA") == 0)
        #expect(Base64.url.decode128("_____________________w") == UInt128.max)
        #expect(Base64.url.decode128("AAAAAAAAAAAAAAAAAAAAAB") == nil, "non-zero trailing bits")
        #expect(Base64.url.decode128("AAAAAAAAAAAAAAAAAAAAA") == nil)
        #expect(Base64.url.decode128("AAAAAAAAAAAAAAAAAAAAAAA") == nil)
        #expect(Base64.url.decode128("AAAAAAAAAAAAAAAAAAAA+A") == nil, "standard alphabet")
    }
}
