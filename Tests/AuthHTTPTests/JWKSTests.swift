import AuthCrypto
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("GET /.well-known/jwks.json")
struct JWKSTests {
    @Test("the key pairs' public keys with kid, alg and use, the signing one first; cacheable; 304 on its ETag")
    func publishesPublicKeys() async throws {
        let signing = try SigningKey.generate(.edDSA)
        let previous = try SigningKey.generate(.es256)
        let codec = AccessTokenCodec(
            keyring: try JWTKeyring(
                signingKey: JWTKey(id: "test-key", secret: TestStack.secret), signingPair: signing,
                previousPairs: [previous]),
            validation: .init(issuer: "authd-test", audience: "authd-test-clients"))
        let (signingID, previousID) = (try signing.thumbprint(), try previous.thumbprint())
        try await withServer(stack: try await TestStack(backing: .memory, codec: codec)) { client in
            let response = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/jwk-set+json")
            #expect(response.headers[.cacheControl] == "public, max-age=300")
            let keys = try #require(response.json["keys"] as? [[String: String]])
            #expect(keys.map { $0["kid"] } == [signingID, previousID])
            #expect(keys.map { $0["alg"] } == ["EdDSA", "ES256"])
            #expect(keys.allSatisfy { $0["use"] == "sig" && $0["d"] == nil })
            #expect(keys[0]["kty"] == "OKP" && keys[0]["crv"] == "Ed25519")
            #expect(keys[1]["kty"] == "EC" && keys[1]["x"] != nil && keys[1]["y"] != nil)
            #expect(!response.bodyText.contains(String(decoding: TestStack.secret, as: UTF8.self)))

            let tag = try #require(response.headers[.eTag])
            let again = try await client.execute(
                uri: "/.well-known/jwks.json", method: .get, headers: [.ifNoneMatch: tag])
            #expect(again.status == .notModified && again.body.readableBytes == 0)
            let other = try await client.execute(
                uri: "/.well-known/jwks.json", method: .get, headers: [.ifNoneMatch: "\"other\""])
            #expect(other.status == .ok)

            _ = try await client.register("jwks-user")
            let login = try await client.post("/login", json: #"{"username":"jwks-user","password":"long enough pw"}"#)
            let token = try #require(login.json["access_token"] as? String)
            let header = try #require(Base64.url.decode(token.split(separator: ".")[0]))
            #expect(String(decoding: header, as: UTF8.self).contains(#""kid":"\#(signingID)""#))
        }
    }

    @Test("with only the HS256 secret the set is empty: a secret is never published")
    func secretOnly() async throws {
        let codec = AccessTokenCodec(
            keyring: try JWTKeyring(signingKey: JWTKey(id: "test-key", secret: TestStack.secret)),
            validation: .init(issuer: "authd-test", audience: "authd-test-clients"))
        let stack = try await TestStack(backing: .memory, codec: codec)
        try await withServer(stack: stack) { client in
            let response = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.bodyText == #"{"keys":[]}"#)
        }
        await stack.shutdown()
    }

    @Test("an ID-token key of its own (oidc.id_token_key_file) is published beside the secret, as RS256")
    func idTokenKey() async throws {
        let stack = try await TestStack(backing: .memory)
        let pair = try #require(stack.codec.keyring.idTokenPair)
        try await withServer(stack: stack) { client in
            let response = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            let keys = try #require(response.json["keys"] as? [[String: String]])
            #expect(keys.map { [$0["kid"], $0["alg"], $0["kty"], $0["use"]] } == [[pair.id, "RS256", "RSA", "sig"]])
        }
        await stack.shutdown()
    }
}
