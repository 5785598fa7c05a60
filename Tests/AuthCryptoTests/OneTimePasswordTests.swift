import AuthCrypto
import Testing

@Suite("HOTP and TOTP")
struct OneTimePasswordTests {
    /// RFC 6238 Appendix B's seeds: the ASCII digits repeated to 20, 32 and 64 bytes.
    static func seed(_ algorithm: HashFunction) -> [UInt8] {
        let length = ["SHA1": 20, "SHA256": 32, "SHA512": 64][algorithm.rawValue]!
        return Array(String(repeating: "1234567890", count: 7).utf8.prefix(length))
    }

    @Test(
        "RFC 4226 Appendix D: HOTP values for counters 0 to 9",
        arguments: Array(
            zip(
                0..<10,
                ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"])))
    func hotp(counter: Int, expected: String) throws {
        let otp = try OneTimePassword(algorithm: .sha1, digits: 6)
        #expect(try otp.hotp(secret: Self.seed(.sha1), counter: UInt64(counter)) == expected)
    }

    @Test(
        "RFC 6238 Appendix B: TOTP, 8 digits, 30 s steps",
        arguments: [
            (Int64(59), HashFunction.sha1, "94287082"), (59, .sha256, "46119246"), (59, .sha512, "90693936"),
            (1_111_111_109, .sha1, "07081804"), (1_111_111_109, .sha256, "68084774"),
            (1_111_111_109, .sha512, "25091201"),
            (1_111_111_111, .sha1, "14050471"), (1_111_111_111, .sha256, "67062674"),
            (1_111_111_111, .sha512, "99943326"),
            (1_234_567_890, .sha1, "89005924"), (1_234_567_890, .sha256, "91819424"),
            (1_234_567_890, .sha512, "93441116"),
            (2_000_000_000, .sha1, "69279037"), (2_000_000_000, .sha256, "90698825"),
            (2_000_000_000, .sha512, "38618901"),
            (20_000_000_000, .sha1, "65353130"), (20_000_000_000, .sha256, "77737706"),
            (20_000_000_000, .sha512, "47863826"),
        ])
    func totp(time: Int64, algorithm: HashFunction, expected: String) throws {
        let otp = try OneTimePassword(algorithm: algorithm, digits: 8)
        #expect(try otp.totp(secret: Self.seed(algorithm), at: time) == expected)
        #expect(try otp.matchingStep(of: expected, secret: Self.seed(algorithm), at: time, window: 0) == time / 30)
    }

    @Test("a window of ±1 step accepts the neighbours and refuses ±2; the step that matched is returned")
    func window() throws {
        let otp = try OneTimePassword()
        let secret = Self.seed(.sha1)
        let now: Int64 = 1_700_000_015
        for offset in Int64(-2)...2 {
            let code = try otp.totp(secret: secret, at: now + offset * 30)
            let step = try otp.matchingStep(of: code, secret: secret, at: now, window: 1)
            #expect(step == (abs(offset) <= 1 ? now / 30 + offset : nil), "offset \(offset)")
        }
        #expect(try otp.matchingStep(of: "12345", secret: secret, at: now, window: 1) == nil)
        #expect(throws: CryptoError.self) { try OneTimePassword(digits: 9) }
    }

    @Test(
        "base32 per RFC 4648 §10, read the way people type it",
        arguments: [
            ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ])
    func base32(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(Base32.decode(encoded) == Array(plain.utf8))
        #expect(Base32.decode(encoded.lowercased() + "===") == Array(plain.utf8))
    }

    @Test("base32 refuses foreign characters and non-zero leftover bits")
    func base32Refusals() {
        #expect(Base32.decode("MZXW1") == nil)
        #expect(Base32.decode("MY") == Array("f".utf8))
        #expect(Base32.decode("MZ") == nil, "leftover bits must be zero")
        #expect(Base32.decode("MB") == nil, "leftover bits must be zero")
        #expect(Base32.decode("M") == nil)
        #expect(Base32.decode("JBSW Y3DP-EHPK 3PXP") == Base32.decode("JBSWY3DPEHPK3PXP"))
    }
}
