import AuthCrypto
import Testing

@Suite("SigningKey: Ed25519, P-256 and RSA signatures through OpenSSL EVP")
struct SigningKeyTests {
    static let publicAlgorithms: [JWSAlgorithm] = [.edDSA, .es256, .rs256]

    @Test("a generated key verifies its own signature and nothing altered", arguments: publicAlgorithms)
    func signAndVerify(_ algorithm: JWSAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        #expect(key.algorithm == algorithm)
        let message = Array("header.payload".utf8)
        let signature = try key.sign(message)
        #expect(key.verify(signature, of: message))
        #expect(!key.verify(signature, of: Array("header.payloae".utf8)))
        var flipped = signature
        flipped[flipped.count / 2] ^= 0x01
        #expect(!key.verify(flipped, of: message))
        #expect(!key.verify(Array(signature.dropLast()), of: message))
        #expect(!key.verify([], of: message))
        #expect(!(try SigningKey.generate(algorithm)).verify(signature, of: message), "another key's signature")
    }

    @Test("signatures have JOSE's sizes: 64 bytes for EdDSA and ES256 (r || s, not DER), the modulus for RS256")
    func signatureSizes() throws {
        #expect(try SigningKey.generate(.edDSA).sign([1, 2, 3]).count == 64)
        for _ in 0..<20 { #expect(try SigningKey.generate(.es256).sign([1, 2, 3]).count == 64) }
        #expect(try SigningKey.generate(.rs256).sign([1, 2, 3]).count == Int(SigningKey.generatedRSABits) / 8)
    }

    @Test("a key written as PEM reads back as the same key", arguments: publicAlgorithms)
    func pemRoundTrip(_ algorithm: JWSAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let pem = try key.privatePEM()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let again = try SigningKey(pem: pem)
        #expect(again.algorithm == algorithm)
        #expect(try again.thumbprint() == key.thumbprint())
        #expect(try again.publicJWK() == key.publicJWK())
        #expect(again.verify(try key.sign([7]), of: [7]))
    }

    /// RFC 8032 §7.1, test 1: the secret key 9d61b1…7f60 as PKCS#8.
    static let rfc8032Key = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
        -----END PRIVATE KEY-----
        """

    @Test("Ed25519 matches RFC 8032's test vector and RFC 8037's JWK and thumbprint")
    func ed25519KnownAnswer() throws {
        let key = try SigningKey(pem: Self.rfc8032Key)
        #expect(key.algorithm == .edDSA)
        #expect(
            Hex.encode(try key.sign([UInt8]()))
                == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(
            try key.publicJWK() == ["kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"])
        #expect(try key.thumbprint() == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    }

    @Test("JWK members: P-256 coordinates of 32 bytes, RSA's n and e")
    func jwkMembers() throws {
        let ec = try SigningKey.generate(.es256).publicJWK()
        #expect(ec["kty"] == "EC" && ec["crv"] == "P-256")
        #expect(Base64.url.decode(ec["x"] ?? "")?.count == 32 && Base64.url.decode(ec["y"] ?? "")?.count == 32)
        let rsa = try SigningKey.generate(.rs256).publicJWK()
        #expect(rsa["kty"] == "RSA" && rsa["e"] == "AQAB")
        #expect(Base64.url.decode(rsa["n"] ?? "")?.count == Int(SigningKey.generatedRSABits) / 8)
        #expect(rsa["d"] == nil && ec["d"] == nil, "no private member")
    }

    static let rsa1024 = """
        -----BEGIN PRIVATE KEY-----
        MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAL6Hg6nkEAwcyqAk
        eBsmeHNITHpD2U5pkBjNFyEw4j6JiAx3PYTUsJTFPiN+B10/0H3Pkg9fpIUWm+C9
        7KtlgzinrltKybR3NOPm9O0HytJGYmzXSNrL2jrV7ZnIVKXAdoBWghNg4lMJMiES
        TPYqHTGzIuns2JqNUVhTVLHsEzNXAgMBAAECgYAz9GIb3rvdgbBjUO6LgMcRsKJi
        KMRGFJUdnjdzbpATO4+kzpMw+IqaVtrl9MTvUap51DNhC9SiEhM5irDR4CGSxZ3V
        LDPxOw+5WQblCUovMS+ht4Okyl+o/vx741o5W5tNwM6epp/+YHjs9xUjeDDGsb5k
        tfV9i2VetRhL0JqDAQJBAO7PTWOWKavN3A8LG18ED7z7bmEBmm4Seq2jGw8HCakR
        8p3Bc7CqNiTLsaZD7DJB4jcjNWdCJhuz7NQsfVmhM4ECQQDMPoSy6fLzYkTXo0Dy
        WImPtTHmjTW1V4KFwQVZ+C4me1Mz9JaAqmk8tW5C9uGjkMeepkS2CBZCYxK7qlHP
        gfLXAkEAwSQQJxbvpO/dpp0JChOy1tlTMEmnqJZxebWM0N6URZUqb8Rh2OQQ3jmP
        +DS+9vaqCoYDTvwE7iraw88nojHqAQJBAJ7YuKfVX8h+UwBKzcYtqb8EsyyWAoFo
        7/BKsHjKlkoDfDBaN3sWDgbTLFAUZmSpwzbWJXZVT8qN9xHRYxM6A70CQHuOqb4N
        hgtHP8ev/cgjzVdpXojHHkhzPxkcK4tgDQGQDp2ocbCzuDR6//Rk19YUkaqA+ZV4
        J1nB0PHceAre+as=
        -----END PRIVATE KEY-----
        """

    static let p384 = """
        -----BEGIN PRIVATE KEY-----
        MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAExoAFjAmkQVLHeNRR
        zKZ6qVw9i5XFxsZuyzjCvPfZlaOeuQt2PGZOVYBILcDt9cihZANiAAQl+4FtY2wo
        1tDocbiOot4kxMGYmd8uj/EXhFG5vcXnWNjf+TOHBBKeUPKpy7AGa4YSgvM7woQS
        er498L3dYIkV9plksyCbITHT+hhTl2m04dAmbnV9kG5WCV3mRKmYBAk=
        -----END PRIVATE KEY-----
        """

    @Test("refused: a short RSA key, a curve other than P-256, text without a key, HS256 key generation")
    func refusals() {
        #expect(throws: CryptoError.self) { try SigningKey(pem: Self.rsa1024) }
        #expect(throws: CryptoError.self) { try SigningKey(pem: Self.p384) }
        #expect(throws: CryptoError.self) { try SigningKey(pem: "not a key") }
        #expect(throws: CryptoError.self) { try SigningKey(pem: "") }
        #expect(throws: CryptoError.self) { try SigningKey.generate(.hs256) }
    }

    @Test("a key prints as its algorithm only")
    func description() throws {
        let key = try SigningKey.generate(.edDSA)
        #expect("\(key)" == "SigningKey(EdDSA)")
        #expect(!String(reflecting: key).contains("PRIVATE"))
    }
}
