import AuthCrypto
import Testing

@Suite("HMAC, one-shot and with the key prepared once")
struct HMACTests {
    /// RFC 4231 §4.2, §4.7 (a 131-byte key, hashed first) and §4.3, SHA-256.
    @Test(
        "RFC 4231 vectors",
        arguments: [
            (
                [UInt8](repeating: 0x0B, count: 20), Array("Hi There".utf8),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
            ),
            (
                [UInt8](repeating: 0xAA, count: 131),
                Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
            ),
            (
                Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
            ),
        ])
    func vectors(_ key: [UInt8], _ message: [UInt8], _ expected: String) throws {
        #expect(Hex.encode(try HMAC.authenticate(.sha256, key: key, message: message)) == expected)
        #expect(Hex.encode(try PreparedHMAC(.sha256, key: key).authenticate(message)) == expected)
    }

    @Test("a prepared key gives one-shot HMAC's answer for every key length and message, and again")
    func preparedAgrees() throws {
        for function in HashFunction.allCases {
            for keyLength in [0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 300] {
                let key = try SecureRandom.bytes(keyLength)
                let prepared = try PreparedHMAC(function, key: key)
                for messageLength in [0, 1, 55, 56, 64, 119, 128, 400] {
                    let message = try SecureRandom.bytes(messageLength)
                    let expected = try HMAC.authenticate(function, key: key, message: message)
                    #expect(try prepared.authenticate(message) == expected, "\(function) \(keyLength) \(messageLength)")
                    #expect(try prepared.authenticate(message[...]) == expected, "reused, from a slice")
                }
            }
        }
    }
}
