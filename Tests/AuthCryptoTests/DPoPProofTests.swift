import AuthCrypto
import AuthTestSupport
import Foundation
import Testing

@Suite("DPoP proofs (RFC 9449 §4) and public keys from JWKs (RFC 7517, 7638)")
struct DPoPProofTests {
    static let url = "https://authd.example/protected"

    @Test("RFC 7638 §3.1's RSA key has RFC 7638's thumbprint")
    func rfc7638Vector() throws {
        let n =
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3"
            + "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgd"
            + "AZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur"
            + "-kEgU8awapJzKnqDKgw"
        let key = try PublicKey(
            jwk: ["kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"], algorithm: .rs256)
        #expect(key.thumbprint == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    @Test(
        "a proof by each algorithm reads back with its claims and the signer's thumbprint",
        arguments: SigningKeyTests.publicAlgorithms)
    func roundTrip(_ algorithm: JWSAlgorithm) throws {
        let client = try DPoPKey(algorithm)
        let proof = try DPoPProof(
            try client.proof("GET", Self.url, accessToken: "token", issuedAt: 1_700_000_000, id: "one", nonce: "n"))
        #expect(proof.key.thumbprint == client.thumbprint)
        #expect(proof.key.thumbprint == (try client.key.thumbprint()))
        #expect(proof.method == "GET" && proof.url == Self.url && proof.issuedAt == 1_700_000_000 && proof.id == "one")
        #expect(proof.accessTokenHash == (try DPoPProof.hash(ofAccessToken: "token")) && proof.nonce == "n")
    }

    @Test(
        "proofs that are not RFC 9449's are refused",
        arguments: [
            (["typ": "JWT"], [:], "wrong_type"),
            (["typ": DPoPKey.absent], [:], "wrong_type"),
            (["alg": "HS256"], [:], "unsupported_algorithm"),
            (["alg": "none"], [:], "unsupported_algorithm"),
            (["alg": "RS256"], [:], "unknown_key"),
            (["jwk": DPoPKey.absent], [:], "malformed"),
            (["crit": ["exp"]], [:], "malformed"),
            ([:], ["jti": DPoPKey.absent], "malformed"),
            ([:], ["htm": DPoPKey.absent], "malformed"),
            ([:], ["htu": 7], "malformed"),
            ([:], ["iat": "now"], "malformed"),
            ([:], ["jti": ""], "malformed"),
            ([:], ["ath": 1], "malformed"),
        ] as [([String: any Sendable], [String: any Sendable], String)])
    func refused(_ header: [String: any Sendable], _ claims: [String: any Sendable], _ code: String) throws {
        let client = try DPoPKey(.es256)
        let proof = try client.proof("GET", Self.url, header: header, claims: claims)
        #expect(throws: JWTError.self) { try DPoPProof(proof) }
        do {
            _ = try DPoPProof(proof)
        } catch {
            #expect(error.code.description == code, "\(header) \(claims): \(error)")
        }
    }

    @Test("a JWK with its private half, of another key type or off the curve is refused; a bad signature too")
    func badKeys() throws {
        let client = try DPoPKey(.es256)
        var jwk = try client.key.publicJWK()
        let withPrivate = try client.proof("GET", Self.url, header: ["jwk": jwk.merging(["d": "AAAA"]) { $1 }])
        #expect(throws: JWTError.self) { try DPoPProof(withPrivate) }
        #expect(throws: CryptoError.self) { try PublicKey(jwk: jwk, algorithm: .edDSA) }
        let x = try #require(Base64.url.decode(jwk["x"]!))
        jwk["x"] = Base64.url.encode(x.map { $0 ^ 1 })
        #expect(throws: CryptoError.self) { try PublicKey(jwk: jwk, algorithm: .es256) }

        let other = try DPoPKey(.es256)
        let forged = try other.proof("GET", Self.url, header: ["jwk": try client.key.publicJWK()])
        #expect(throws: JWTError(.badSignature, "bad signature")) { try DPoPProof(forged) }
        let proof = try client.proof("GET", Self.url)
        let parts = proof.split(separator: ".")
        #expect(throws: JWTError.self) { try DPoPProof("\(parts[0]).\(parts[1])") }
        #expect(throws: JWTError.self) { try DPoPProof(proof + String(repeating: "A", count: DPoPProof.maximumLength)) }
    }
}
