import Testing

@testable import AuthCrypto

@Suite("AES-256-GCM")
struct AESGCMTests {
    static func hex(_ text: String) -> [UInt8] { Hex.decode(text)! }

    /// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13 and 14 (K = 0^256,
    /// IV = 0^96): the box is nonce ‖ ciphertext ‖ tag.
    @Test(
        "GCM specification test cases 13 and 14",
        arguments: [
            ("", "", "530f8afbc74536b9a963b4f1c4cb738b"),
            (
                "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
                "d0d1c8a799996bf0265b98b5d48ab919"
            ),
        ])
    func knownAnswers(plaintext: String, ciphertext: String, tag: String) throws {
        let key = [UInt8](repeating: 0, count: 32)
        let nonce = [UInt8](repeating: 0, count: 12)
        let sealed = try AESGCM.seal(Self.hex(plaintext), key: key, associatedData: [], nonce: nonce)
        #expect(sealed == nonce + Self.hex(ciphertext) + Self.hex(tag))
        #expect(try AESGCM.open(sealed, key: key) == Self.hex(plaintext))
    }

    @Test("a box opens only unaltered, under its key and its associated data")
    func tamper() throws {
        let key = try SecureRandom.bytes(32)
        let message = Array("the grace pair".utf8)
        let sealed = try AESGCM.seal(message, key: key, associatedData: Array("session 1".utf8))
        #expect(try AESGCM.open(sealed, key: key, associatedData: Array("session 1".utf8)) == message)
        #expect(try AESGCM.seal(message, key: key) != AESGCM.seal(message, key: key), "nonces are random")

        var flipped = sealed
        flipped[14] ^= 1
        let otherKey = try SecureRandom.bytes(32)
        let context = Array("session 1".utf8)
        #expect(throws: CryptoError.self) { try AESGCM.open(flipped, key: key, associatedData: context) }
        #expect(throws: CryptoError.self) { try AESGCM.open(sealed, key: otherKey, associatedData: context) }
        #expect(throws: CryptoError.self) { try AESGCM.open(sealed, key: key, associatedData: Array("session 2".utf8)) }
        #expect(throws: CryptoError.self) { try AESGCM.open(Array(sealed.prefix(20)), key: key) }
        #expect(throws: CryptoError(.invalidParameters, "AES-256-GCM needs a 32-byte key")) {
            try AESGCM.seal(message, key: [1, 2, 3])
        }
    }
}
