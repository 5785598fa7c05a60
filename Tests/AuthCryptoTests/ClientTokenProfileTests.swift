import AuthCrypto
import Foundation
import Testing

/// RFC 9068's profile for clients' tokens: the issuer URL, a public key, the `at+jwt` type; authd's
/// own tokens stay HS256; the ID-token pair signs no other kind of access token.
@Suite("RFC 9068 JWT access tokens for clients")
struct ClientTokenProfileTests {
    static let now = KeyPairTokenTests.now
    static let issuerURL = "https://auth.example.com"

    static func codec(profile: Bool) throws -> (AccessTokenCodec, SigningKey) {
        let idTokenKey = try SigningKey.generate(.rs256)
        let codec = AccessTokenCodec(
            keyring: try JWTKeyring(
                signingKey: JWTKey(id: "hs", secret: KeyPairTokenTests.secret), idTokenKey: idTokenKey),
            validation: .init(issuer: "authd", audience: "clients", clientIssuer: profile ? issuerURL : nil))
        return (codec, idTokenKey)
    }

    static func claims(issuer: String, clientID: String?) -> AccessTokenClaims {
        AccessTokenClaims(
            issuer: issuer, audience: clientID ?? "clients", subject: "42", name: "alice", roles: [],
            issuedAt: now, notBefore: now, expiresAt: now + 900, id: "jti-1", clientID: clientID, scope: "openid")
    }

    @Test("a client's token: RS256 by the ID-token key, iss the URL, verified; a first-party token stays HS256")
    func profiled() throws {
        let (codec, key) = try Self.codec(profile: true)
        #expect(codec.clientTokenIssuer == Self.issuerURL)
        let token = try codec.sign(Self.claims(issuer: Self.issuerURL, clientID: "app"))
        let header = KeyPairTokenTests.header(of: token)
        #expect(header.contains(#""alg":"RS256""#) && header.contains(#""typ":"at+jwt""#))
        #expect(header.contains(#""kid":"\#(try key.thumbprint())""#), "the key the JWK Set publishes")
        let parts = token.split(separator: ".")
        #expect(key.verify(Base64.url.decode(parts[2]) ?? [], of: Array("\(parts[0]).\(parts[1])".utf8)))
        #expect(try codec.verify(token, now: Self.now).issuer == Self.issuerURL)

        let own = try codec.sign(Self.claims(issuer: "authd", clientID: nil))
        #expect(KeyPairTokenTests.header(of: own).contains(#""alg":"HS256""#))
        #expect(KeyPairTokenTests.code(codec, own) == nil)
    }

    @Test(
        "the ID-token key signs nothing but clients' profiled tokens; without the profile it verifies no access token"
    )
    func pinned() throws {
        let (codec, _) = try Self.codec(profile: true)
        // A first-party claim set signed with the ID-token pair (as a forger holding a profiled
        // token's key would need to): refused, whatever its iss.
        let pair = try #require(codec.clientTokenPair)
        let forgedIssuer = try Self.resign(Self.claims(issuer: "authd", clientID: nil), with: pair)
        #expect(KeyPairTokenTests.code(codec, forgedIssuer) == .wrongIssuer)
        let noClient = try Self.resign(Self.claims(issuer: Self.issuerURL, clientID: nil), with: pair)
        #expect(KeyPairTokenTests.code(codec, noClient) == .wrongIssuer)

        let (plain, _) = try Self.codec(profile: false)
        #expect(plain.clientTokenPair == nil && plain.clientTokenIssuer == "authd")
        let profiledElsewhere = try codec.sign(Self.claims(issuer: Self.issuerURL, clientID: "app"))
        #expect(KeyPairTokenTests.code(plain, profiledElsewhere) == .unknownKey, "another keyring's key")
        let hsClient = try plain.sign(Self.claims(issuer: "authd", clientID: "app"))
        #expect(KeyPairTokenTests.header(of: hsClient).contains(#""alg":"HS256""#))
    }

    /// `claims` signed as an at+jwt token by `pair`, whatever the codec would choose.
    static func resign(_ claims: AccessTokenClaims, with pair: (id: String, key: SigningKey)) throws -> String {
        let payload = Base64.url.encode(try JSONEncoder().encode(claims))
        let headerJSON = #"{"alg":"RS256","kid":"\#(pair.id)","typ":"at+jwt"}"#
        let input = Base64.url.encode(Array(headerJSON.utf8)) + "." + payload
        return input + "." + Base64.url.encode(try pair.key.sign(input.utf8))
    }
}
