import AuthCrypto
import Foundation
import Testing

@testable import AuthHTTP

@Suite("introspection answers written by hand: the document the JSON encoder writes")
struct IntrospectionJSONTests {
    static func claims(
        clientID: String? = nil, subject: String = "42", audience: [String] = ["authd"], name: String = "alice",
        roles: [String] = ["admin", "user"], notBefore: Int64? = nil, sessionID: String? = nil, scope: String? = nil
    ) -> AccessTokenClaims {
        var claims = AccessTokenClaims(
            issuer: "http://127.0.0.1:5000", audience: audience[0], subject: subject, name: name, roles: roles,
            issuedAt: 1_765_000_000, notBefore: notBefore, expiresAt: 1_765_000_900, id: "jti-0123456789abcdef",
            sessionID: sessionID, clientID: clientID, scope: scope)
        claims.audience = audience
        return claims
    }

    static let cases: [AccessTokenClaims?] = [
        nil,
        claims(),
        claims(notBefore: 1_765_000_000, sessionID: "s-1"),
        claims(clientID: "billing", subject: "billing", roles: [], scope: "read write"),
        claims(clientID: "portal-app", audience: ["portal-app", "api"], sessionID: "s-2", scope: "openid"),
        claims(name: "o'brien", roles: ["a/b", "ü"]),
    ]

    @Test("byte for byte the encoder's output (keys sorted, slashes unescaped)", arguments: cases)
    func sameBytes(_ claims: AccessTokenClaims?) throws {
        let response = IntrospectionResponse(claims)
        let encoded = try HTTPFrontEnd.encoder().encode(response)
        #expect(String(decoding: response.json(), as: UTF8.self) == String(decoding: encoded, as: UTF8.self))
    }

    @Test("strings that need escaping: the same JSON value as the encoder's")
    func escapedStrings() throws {
        let awkward = Self.claims(name: "quote\" backslash\\ newline\n tab\t nul\u{0} é 💡", roles: ["\u{1F}"])
        let response = IntrospectionResponse(awkward)
        let written = try JSONSerialization.jsonObject(with: Data(response.json())) as? NSDictionary
        let encoded = try JSONSerialization.jsonObject(with: HTTPFrontEnd.encoder().encode(response)) as? NSDictionary
        #expect(written != nil && written == encoded)
    }
}
