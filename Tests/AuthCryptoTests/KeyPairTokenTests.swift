import AuthCrypto
import Testing

@Suite("access tokens signed with a key pair: EdDSA, ES256, RS256, each pinned to its kid")
struct KeyPairTokenTests {
    static let secret = Array("0123456789abcdef0123456789abcdef-test".utf8)
    static let now: Int64 = 1_800_000_000
    static let validation = AccessTokenCodec.Validation(issuer: "authd", audience: "clients")

    static func claims() -> AccessTokenClaims {
        AccessTokenClaims(
            issuer: "authd", audience: "clients", subject: "42", name: "alice", roles: ["user"], issuedAt: now,
            notBefore: now, expiresAt: now + 900, id: "jti-1")
    }

    static func codec(_ pair: SigningKey?, previous: [SigningKey] = []) throws -> AccessTokenCodec {
        AccessTokenCodec(
            keyring: try JWTKeyring(
                signingKey: JWTKey(id: "hs", secret: secret), signingPair: pair, previousPairs: previous),
            validation: validation)
    }

    static func header(of token: String) -> String {
        String(decoding: Base64.url.decode(token.split(separator: ".")[0]) ?? [], as: UTF8.self)
    }

    static func code(_ codec: AccessTokenCodec, _ token: String) -> JWTError.Code? {
        do {
            _ = try codec.verify(token, now: now)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("at_hash hashes with the ID token's algorithm: SHA-256's left half for RS256 and ES256, SHA-512's for EdDSA")
    func accessTokenHash() throws {
        // Expected values from Python's hashlib, not from authd's Digest.
        let token = "eyJhbGciOiJFZERTQSJ9.e30.sig"
        #expect(try IDToken.accessTokenHash(token, signedWith: .edDSA) == "fhfgwXcTggosOws39-RFaDUKzQW9Y6mFjFLmKQAVg6Y")
        #expect(try IDToken.accessTokenHash(token, signedWith: .rs256) == "mBBQn8I62iG_zkAe3Lq0wA")
        #expect(try IDToken.accessTokenHash(token, signedWith: .es256) == "mBBQn8I62iG_zkAe3Lq0wA")
    }

    @Test(
        "a token signed with a key pair names its algorithm and thumbprint and verifies",
        arguments: [JWSAlgorithm.edDSA, .es256, .rs256])
    func roundTrip(_ algorithm: JWSAlgorithm) throws {
        let pair = try SigningKey.generate(algorithm)
        let codec = try Self.codec(pair)
        #expect(codec.keyring.signingAlgorithm == algorithm)
        let token = try codec.sign(Self.claims())
        #expect(
            Self.header(of: token)
                == #"{"alg":"\#(algorithm.rawValue)","kid":"\#(try pair.thumbprint())","typ":"at+jwt"}"#)
        #expect(try codec.verify(token, now: Self.now) == Self.claims())
        let parts = token.split(separator: ".")
        var signature = try #require(Base64.url.decode(parts[2]))
        signature[0] ^= 1
        #expect(Self.code(codec, parts[0] + "." + parts[1] + "." + Base64.url.encode(signature)) == .badSignature)
    }

    @Test("switching from HS256 to a key pair, or rotating pairs, logs nobody out; a removed pair's tokens fail")
    func rotation() throws {
        let first = try SigningKey.generate(.edDSA)
        let second = try SigningKey.generate(.es256)
        let hs256 = try Self.codec(nil).sign(Self.claims())
        let signedByFirst = try Self.codec(first).sign(Self.claims())
        let during = try Self.codec(second, previous: [first])
        #expect(Self.code(during, hs256) == nil, "the secret still verifies HS256 tokens")
        #expect(Self.code(during, signedByFirst) == nil, "a retired pair still verifies")
        #expect(during.keyring.pairs.map(\.id) == [try second.thumbprint(), try first.thumbprint()])
        #expect(Self.code(try Self.codec(second), signedByFirst) == .unknownKey)
        #expect(throws: CryptoError.self) { try Self.codec(first, previous: [first]) }
    }

    @Test("algorithm confusion is refused: a pair's kid under HS256 (its public key as the secret) or another alg")
    func algorithmConfusion() throws {
        let pair = try SigningKey.generate(.rs256)
        let codec = try Self.codec(pair)
        let kid = try pair.thumbprint()
        let payload = Base64.url.encode(
            Array(
                #"{"iss":"authd","aud":"clients","sub":"42","name":"alice","roles":["user"],"iat":1800000000,"exp":1800000900,"jti":"j"}"#
                    .utf8))
        let publicKey = Array(try pair.publicJWK()["n"].map { Array($0.utf8) } ?? [])
        for alg in ["HS256", "ES256", "EdDSA"] {
            let header = Base64.url.encode(Array(#"{"alg":"\#(alg)","kid":"\#(kid)","typ":"at+jwt"}"#.utf8))
            let input = header + "." + payload
            let signature = try HMAC.authenticate(.sha256, key: publicKey, message: Array(input.utf8))
            #expect(Self.code(codec, input + "." + Base64.url.encode(signature)) == .unknownKey, "\(alg)")
        }
        let none = Base64.url.encode(Array(#"{"alg":"none","kid":"\#(kid)","typ":"at+jwt"}"#.utf8))
        #expect(Self.code(codec, none + "." + payload + ".AA") == .unsupportedAlgorithm)
        let rs384 = Base64.url.encode(Array(#"{"alg":"RS384","kid":"\#(kid)","typ":"at+jwt"}"#.utf8))
        #expect(Self.code(codec, rs384 + "." + payload + ".AA") == .unsupportedAlgorithm)
    }
}
