import AuthCrypto
import Foundation
import Testing

@Suite("access tokens: HS256 JWT with pinned algorithm")
struct AccessTokenCodecTests {
    static let secret = Array("0123456789abcdef0123456789abcdef-test".utf8)
    static let now: Int64 = 1_800_000_000
    let codec: AccessTokenCodec

    init() throws {
        codec = AccessTokenCodec(
            keyring: try JWTKeyring(signingKey: JWTKey(id: "k1", secret: Self.secret)),
            validation: .init(issuer: "authd", audience: "clients", leeway: 30))
    }

    func claims(issuedAt: Int64 = now, lifetime: Int64 = 900) -> AccessTokenClaims {
        AccessTokenClaims(
            issuer: "authd", audience: "clients", subject: "42", name: "alice", roles: ["user"], issuedAt: issuedAt,
            notBefore: issuedAt, expiresAt: issuedAt + lifetime, id: "jti-1")
    }

    /// A token with any header and payload, signed with HMAC-`function` under `secret`.
    func forge(
        header: String, payload: String, function: HashFunction = .sha256, secret: [UInt8] = secret
    ) throws -> String {
        let input = Base64.url.encode(Array(header.utf8)) + "." + Base64.url.encode(Array(payload.utf8))
        let signature = try HMAC.authenticate(function, key: secret, message: Array(input.utf8))
        return input + "." + Base64.url.encode(signature)
    }

    let payload =
        #"{"iss":"authd","aud":"clients","sub":"42","name":"alice","roles":["user"],"iat":1800000000,"nbf":1800000000,"exp":1800000900,"jti":"j"}"#

    func code(_ token: String, at time: Int64 = now) -> JWTError.Code? {
        do {
            _ = try codec.verify(token, now: time)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("a signed token verifies and keeps its claims")
    func roundTrip() throws {
        let token = try codec.sign(claims())
        #expect(try codec.verify(token, now: Self.now + 10) == claims())
        #expect(token.split(separator: ".").count == 3)
        #expect(!token.contains("="), "base64url without padding")
    }

    @Test("the verified-token cache matches bytes: a canonically equivalent token is not a cache hit")
    func cacheComparesBytes() throws {
        var lifetime: Int64 = 900
        var token = try codec.sign(claims(lifetime: lifetime))
        while !token.contains("K") {
            lifetime += 1
            token = try codec.sign(claims(lifetime: lifetime))
        }
        #expect(code(token) == nil, "verified once, so cached")
        let kelvin = token.replacingOccurrences(of: "K", with: "\u{212A}")
        #expect(kelvin == token, "Swift's String equality calls the two equal")
        #expect(code(kelvin) == .malformed)
    }

    @Test("a forged token with the right header verifies (the forge helper is sound)")
    func forgeHelper() throws {
        #expect(code(try forge(header: #"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#, payload: payload)) == nil)
    }

    @Test(
        "algorithms other than the HMAC key's HS256 are refused under its kid, whatever the signature",
        arguments: [
            (#"{"alg":"none","typ":"at+jwt","kid":"k1"}"#, HashFunction.sha256),
            (#"{"alg":"HS512","typ":"at+jwt","kid":"k1"}"#, .sha512),
            (#"{"alg":"RS256","typ":"at+jwt","kid":"k1"}"#, .sha256),
            (#"{"alg":"hs256","typ":"at+jwt","kid":"k1"}"#, .sha256),
            (#"{"typ":"at+jwt","kid":"k1"}"#, .sha256),
        ])
    func pinnedAlgorithm(header: String, function: HashFunction) throws {
        let token = try forge(header: header, payload: payload, function: function)
        #expect(code(token) != nil)
        // RS256 is an algorithm authd knows, but not this key's: no key of that kid and alg.
        #expect([.unsupportedAlgorithm, .malformed, .unknownKey].contains(code(token)))
    }

    @Test("alg none with an empty signature is refused")
    func algNoneEmptySignature() {
        let header = Base64.url.encode(Array(#"{"alg":"none","typ":"at+jwt","kid":"k1"}"#.utf8))
        let body = Base64.url.encode(Array(payload.utf8))
        #expect(code(header + "." + body + ".") == .malformed)
        #expect(code(header + "." + body) == .malformed)
    }

    @Test("tampered payload or signature is refused")
    func tampered() throws {
        let token = try codec.sign(claims())
        let parts = token.split(separator: ".").map(String.init)
        let otherPayload = Base64.url.encode(Array(payload.replacingOccurrences(of: "alice", with: "admin").utf8))
        #expect(code(parts[0] + "." + otherPayload + "." + parts[2]) == .badSignature)
        var signature = Base64.url.decode(parts[2])!
        signature[0] ^= 1
        #expect(code(parts[0] + "." + parts[1] + "." + Base64.url.encode(signature)) == .badSignature)
        #expect(code(parts[0] + "." + parts[1] + "." + Base64.url.encode(signature.dropLast())) == .badSignature)
    }

    @Test("a token signed with another secret is refused")
    func otherSecret() throws {
        let token = try forge(
            header: #"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#, payload: payload,
            secret: Array("another-secret-another-secret-xyz".utf8))
        #expect(code(token) == .badSignature)
    }

    @Test("expiry and not-before are checked with leeway")
    func times() throws {
        let token = try codec.sign(claims(lifetime: 900))
        #expect(code(token, at: Self.now + 900 + 30) == nil)
        #expect(code(token, at: Self.now + 900 + 31) == .expired)
        #expect(code(token, at: Self.now - 30) == nil)
        #expect(code(token, at: Self.now - 31) == .notYetValid)
    }

    @Test("wrong or missing kid is refused")
    func keyIDs() throws {
        #expect(code(try forge(header: #"{"alg":"HS256","typ":"at+jwt","kid":"k2"}"#, payload: payload)) == .unknownKey)
        #expect(code(try forge(header: #"{"alg":"HS256","typ":"at+jwt"}"#, payload: payload)) == .unknownKey)
    }

    @Test("typ must be at+jwt; crit is refused")
    func types() throws {
        #expect(code(try forge(header: #"{"alg":"HS256","typ":"JWT","kid":"k1"}"#, payload: payload)) == .wrongType)
        #expect(code(try forge(header: #"{"alg":"HS256","kid":"k1"}"#, payload: payload)) == .wrongType)
        #expect(
            code(try forge(header: #"{"alg":"HS256","typ":"application/at+jwt","kid":"k1"}"#, payload: payload)) == nil)
        #expect(
            code(try forge(header: #"{"alg":"HS256","typ":"at+jwt","kid":"k1","crit":["exp"]}"#, payload: payload))
                == .malformed)
    }

    @Test(
        "a header naming where a key is (jku, jwk, x5u, x5c, x5t) is refused even with a good signature",
        arguments: [
            #""jku":"https://attacker.example/jwks.json""#, #""jwk":{"kty":"oct","k":"AAAA"}"#,
            #""x5u":"https://attacker.example/c.pem""#, #""x5c":["MIIB"]"#, #""x5t":"abc""#,
        ])
    func keyLocationHeaders(_ member: String) throws {
        let header = #"{"alg":"HS256","typ":"at+jwt","kid":"k1",\#(member)}"#
        #expect(code(try forge(header: header, payload: payload)) == .malformed)
    }

    @Test("wrong issuer or audience is refused; audience may be a list")
    func issuerAudience() throws {
        let header = #"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#
        let wrongIssuer = payload.replacingOccurrences(of: #""iss":"authd""#, with: #""iss":"evil""#)
        let wrongAudience = payload.replacingOccurrences(of: #""aud":"clients""#, with: #""aud":"others""#)
        let listAudience = payload.replacingOccurrences(of: #""aud":"clients""#, with: #""aud":["x","clients"]"#)
        #expect(code(try forge(header: header, payload: wrongIssuer)) == .wrongIssuer)
        #expect(code(try forge(header: header, payload: wrongAudience)) == .wrongAudience)
        #expect(code(try forge(header: header, payload: listAudience)) == nil)
    }

    @Test("missing or mistyped claims are malformed")
    func claimTypes() throws {
        let header = #"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#
        for broken in [
            payload.replacingOccurrences(of: #""exp":1800000900,"#, with: ""),
            payload.replacingOccurrences(of: #""sub":"42""#, with: #""sub":42"#),
            payload.replacingOccurrences(of: #""exp":1800000900"#, with: #""exp":"soon""#),
            payload.replacingOccurrences(of: #""roles":["user"]"#, with: #""roles":"user""#),
            "[]", "null", "{",
        ] {
            #expect(code(try forge(header: header, payload: broken)) == .malformed, "\(broken)")
        }
    }

    @Test(
        "structurally broken tokens are malformed",
        arguments: [
            "", ".", "..", "...", "a.b", "a.b.c.d", "a..c", "eyJ.eyJ.sig", "e30.e30.e30.", "!!!.???.###",
            "eyJhbGciOiJIUzI1NiJ9=.e30.e30", "Bearer x.y.z",
        ])
    func malformed(_ token: String) {
        #expect(code(token) == .malformed || code(token) == .unsupportedAlgorithm)
    }

    @Test("extra dots around a valid token are refused")
    func extraDots() throws {
        let token = try codec.sign(claims())
        #expect(code(token + ".") == .malformed)
        #expect(code("." + token) == .malformed)
        #expect(code(token.replacingOccurrences(of: ".", with: "..")) == .malformed)
    }

    @Test("over-long tokens are refused before parsing")
    func tooLong() {
        #expect(code(String(repeating: "a", count: AccessTokenCodec.maximumTokenLength + 1)) == .malformed)
    }

    @Test("tokens of a retired signing key verify while it stays in the keyring")
    func rotation() throws {
        let old = try JWTKey(id: "old", secret: Array("old-secret-old-secret-old-secret-1".utf8))
        let new = try JWTKey(id: "new", secret: Array("new-secret-new-secret-new-secret-2".utf8))
        let validation = AccessTokenCodec.Validation(issuer: "authd", audience: "clients")
        let before = AccessTokenCodec(keyring: try JWTKeyring(signingKey: old), validation: validation)
        let during = AccessTokenCodec(
            keyring: try JWTKeyring(signingKey: new, verificationKeys: [old]), validation: validation)
        let after = AccessTokenCodec(keyring: try JWTKeyring(signingKey: new), validation: validation)
        let token = try before.sign(claims())
        #expect(try during.verify(token, now: Self.now) == claims())
        #expect(throws: JWTError.self) { try after.verify(token, now: Self.now) }
    }

    @Test("keys shorter than 32 bytes are refused")
    func shortKey() {
        #expect(throws: CryptoError.self) { try JWTKey(id: "k", secret: Array("short".utf8)) }
    }
}
