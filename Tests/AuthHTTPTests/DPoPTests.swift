import AuthCore
import AuthCrypto
import AuthHTTP
import AuthTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// RFC 9449 over HTTP: tokens bound at `/login`, `/token/refresh` and `/oauth2/token`, and accepted
/// by `/protected`, `/oauth2/userinfo` and introspection only as the binding says.
@Suite("DPoP (RFC 9449): sender-constrained tokens")
struct DPoPTests {
    /// `withServer`'s issuer: what every `htu` starts with.
    static let base = "http://127.0.0.1:5000"
    static let dpop = HTTPField.Name("DPoP")!
    static let dpopNonce = HTTPField.Name("DPoP-Nonce")!

    static func headers(_ proof: String, token: String? = nil, json: Bool = false) -> HTTPFields {
        var headers: HTTPFields = json ? jsonHeaders : [:]
        headers[Self.dpop] = proof
        if let token { headers[.authorization] = "DPoP \(token)" }
        return headers
    }

    static func confirmation(of token: String) throws -> String? {
        let payload = try #require(Base64.url.decode(token.split(separator: ".")[1]))
        let claims = try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any]
        return (claims?["cnf"] as? [String: String])?["jkt"]
    }

    /// `/protected` with `token` presented as DPoP with `proof`.
    static func protected(_ client: some TestClientProtocol, _ token: String, _ proof: String) async throws
        -> TestResponse
    {
        try await client.execute(uri: "/protected", method: .get, headers: headers(proof, token: token))
    }

    @Test("a login with a proof binds its tokens: /protected takes them only as DPoP with a fresh proof by that key")
    func boundLogin() async throws {
        let stack = try await TestStack(backing: .memory)
        let (user, plainToken) = try await stack.account()
        let key = try DPoPKey()
        let other = try DPoPKey(.edDSA)
        let url = Self.base + "/protected"
        try await withServer(stack: stack) { client in
            let login = try await client.execute(
                uri: "/login", method: .post,
                headers: Self.headers(try key.proof("POST", Self.base + "/login"), json: true),
                body: ByteBuffer(string: #"{"username":"\#(user.username)","password":"\#(TestStack.password)"}"#))
            #expect(login.status == .ok && login.json["token_type"] as? String == "DPoP", "\(login.bodyText)")
            let token = try #require(login.json["access_token"] as? String)
            #expect(try Self.confirmation(of: token) == key.thumbprint)

            let good = try await Self.protected(client, token, try key.proof("GET", url, accessToken: token))
            #expect(good.status == .ok && good.json["logged_in_as"] as? String == user.username, "\(good.bodyText)")

            let asBearer = try await client.get("/protected", token: token)
            #expect(asBearer.status == .unauthorized && asBearer.errorCode == "invalid_token", "a bound token alone")
            let proof = try key.proof("GET", url, accessToken: token)
            _ = try await Self.protected(client, token, proof)
            let now = UnixTime.now()
            for (bad, why) in [
                (proof, "replayed"),
                (try other.proof("GET", url, accessToken: token), "another key"),
                (try key.proof("POST", url, accessToken: token), "another method"),
                (try key.proof("GET", Self.base + "/me", accessToken: token), "another URL"),
                (try key.proof("GET", url, accessToken: token, issuedAt: now - 600), "stale"),
                (try key.proof("GET", url, accessToken: plainToken), "another token's ath"),
            ] {
                let refused = try await Self.protected(client, token, bad)
                #expect(refused.status == .unauthorized && refused.errorCode == "invalid_dpop_proof", "\(why)")
                let challenge = refused.headers[.wwwAuthenticate] ?? ""
                #expect(challenge.hasPrefix("DPoP ") && challenge.contains(#"error="invalid_dpop_proof""#), "\(why)")
            }
            let noProof = try await client.execute(
                uri: "/protected", method: .get, headers: [.authorization: "DPoP \(token)"])
            #expect(noProof.status == .unauthorized && noProof.errorCode == "invalid_dpop_proof")
            let unbound = try await Self.protected(
                client, plainToken, try key.proof("GET", url, accessToken: plainToken))
            #expect(unbound.status == .unauthorized && unbound.errorCode == "invalid_token", "a bearer token as DPoP")
            #expect(unbound.headers[.wwwAuthenticate]?.hasPrefix("DPoP ") == true)
        }
        await stack.shutdown()
    }

    @Test("a bound session refreshes only with a proof by its key, and stays bound")
    func boundRefresh() async throws {
        let stack = try await TestStack(backing: .memory)
        let (user, _) = try await stack.account()
        let key = try DPoPKey()
        try await withServer(stack: stack) { client in
            let login = try await client.execute(
                uri: "/login", method: .post,
                headers: Self.headers(try key.proof("POST", Self.base + "/login"), json: true),
                body: ByteBuffer(string: #"{"username":"\#(user.username)","password":"\#(TestStack.password)"}"#))
            let refresh = try #require(login.json["refresh_token"] as? String)
            let body = #"{"refresh_token":"\#(refresh)"}"#
            let url = Self.base + "/token/refresh"
            let bare = try await client.post("/token/refresh", json: body)
            #expect(bare.status == .unauthorized && bare.errorCode == "invalid_dpop_proof", "\(bare.bodyText)")
            let otherKey = try await client.execute(
                uri: "/token/refresh", method: .post,
                headers: Self.headers(try DPoPKey().proof("POST", url), json: true),
                body: ByteBuffer(string: body))
            #expect(otherKey.status == .unauthorized && otherKey.errorCode == "invalid_dpop_proof")
            let refreshed = try await client.execute(
                uri: "/token/refresh", method: .post, headers: Self.headers(try key.proof("POST", url), json: true),
                body: ByteBuffer(string: body))
            #expect(
                refreshed.status == .ok && refreshed.json["token_type"] as? String == "DPoP", "\(refreshed.bodyText)")
            let token = try #require(refreshed.json["access_token"] as? String)
            #expect(try Self.confirmation(of: token) == key.thumbprint)
        }
        await stack.shutdown()
    }

    @Test(
        "client credentials with a proof: a DPoP token whose cnf introspection shows; gateways refuse it without a proof"
    )
    func clientCredentials() async throws {
        let stack = try await OAuthTests.stack()
        let (id, secret) = try await OAuthTests.client(stack, roles: [Role.user])
        let key = try DPoPKey(.rs256)
        let url = Self.base + "/oauth2/token"
        try await withServer(stack: stack) { client in
            var headers = OAuthTests.basic(id, secret)
            headers[Self.dpop] = try key.proof("POST", url)
            let issued = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: headers,
                body: ByteBuffer(string: "grant_type=client_credentials"))
            #expect(issued.status == .ok && issued.json["token_type"] as? String == "DPoP", "\(issued.bodyText)")
            let token = try #require(issued.json["access_token"] as? String)
            #expect(try Self.confirmation(of: token) == key.thumbprint)

            let introspected = try await client.execute(
                uri: "/oauth2/introspect", method: .post, headers: OAuthTests.basic(id, secret),
                body: ByteBuffer(string: "token=\(token)"))
            #expect(
                introspected.json["active"] as? Bool == true && introspected.json["token_type"] as? String == "DPoP")
            #expect(
                (introspected.json["cnf"] as? [String: String])?["jkt"] == key.thumbprint, "\(introspected.bodyText)")
            #expect(throws: AuthError.self, "VERIFY has no proof to check") {
                try stack.service.tokens.authorize(accessToken: token, for: .gateway)
            }

            headers[Self.dpop] = try key.proof("GET", url)
            let wrong = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: headers,
                body: ByteBuffer(string: "grant_type=client_credentials"))
            #expect(wrong.status == .badRequest && wrong.json["error"] as? String == "invalid_dpop_proof")
        }
        await stack.shutdown()
    }

    @Test(
        "a public client's code exchanged with a proof: userinfo takes the token as DPoP only; the refresh token is bound"
    )
    func publicClient() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let rp = try await OAuthTests.relyingParty(stack, .public)
        let (user, _) = try await stack.account()
        let code = try await OAuthTests.code(stack, rp.client, user, scope: "openid profile")
        let key = try DPoPKey()
        let tokenURL = Self.base + "/oauth2/token"
        try await withServer(stack: stack) { client in
            var headers = OAuthTests.form
            headers[Self.dpop] = try key.proof("POST", tokenURL)
            let exchanged = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: headers,
                body: ByteBuffer(
                    string: "grant_type=authorization_code&client_id=\(rp.client.id)&code=\(code)"
                        + "&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&code_verifier=\(OAuthTests.verifier)"))
            #expect(exchanged.json["token_type"] as? String == "DPoP", "\(exchanged.bodyText)")
            let token = try #require(exchanged.json["access_token"] as? String)
            let refresh = try #require(exchanged.json["refresh_token"] as? String)

            let userInfoURL = Self.base + "/oauth2/userinfo"
            let info = try await client.execute(
                uri: "/oauth2/userinfo", method: .get,
                headers: Self.headers(try key.proof("GET", userInfoURL, accessToken: token), token: token))
            #expect(info.status == .ok && info.json["sub"] as? String == String(user.id), "\(info.bodyText)")
            let bearer = try await client.get("/oauth2/userinfo", token: token)
            #expect(bearer.status == .unauthorized && bearer.json["error"] as? String == "invalid_token")
            let replayed = try await client.execute(
                uri: "/oauth2/userinfo", method: .get,
                headers: Self.headers(try key.proof("GET", userInfoURL, accessToken: token, id: "same"), token: token))
            #expect(replayed.status == .ok)
            let again = try await client.execute(
                uri: "/oauth2/userinfo", method: .get,
                headers: Self.headers(try key.proof("GET", userInfoURL, accessToken: token, id: "same"), token: token))
            #expect(again.status == .unauthorized && again.json["error"] as? String == "invalid_dpop_proof")
            #expect(again.headers[.wwwAuthenticate]?.hasPrefix("DPoP ") == true)

            let refreshForm = "grant_type=refresh_token&client_id=\(rp.client.id)&refresh_token=\(refresh)"
            let unproven = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: OAuthTests.form, body: ByteBuffer(string: refreshForm))
            #expect(unproven.status == .badRequest && unproven.json["error"] as? String == "invalid_dpop_proof")
            headers[Self.dpop] = try key.proof("POST", tokenURL)
            let refreshed = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: headers, body: ByteBuffer(string: refreshForm))
            #expect(
                refreshed.status == .ok && refreshed.json["token_type"] as? String == "DPoP", "\(refreshed.bodyText)")
        }
        await stack.shutdown()
    }

    @Test(
        "a client registered with dpop_bound_access_tokens gets no token without a proof, until that is switched off",
        arguments: TestStack.Backing.allCases)
    func boundClient(_ backing: TestStack.Backing) async throws {
        let stack = try await TestStack(backing: backing, configuration: .init(scopes: OAuthTests.scopes))
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let id = TestDatabase.uniqueName("bound")
        let url = Self.base + "/oauth2/token"
        try await withServer(stack: stack) { client in
            let created = try await client.send(
                .post, "/admin/clients", token: adminToken,
                json: #"{"id":"\#(id)","scopes":["reports"],"dpop_bound_access_tokens":true}"#)
            #expect(created.json["dpop_bound_access_tokens"] as? Bool == true, "\(created.bodyText)")
            let secret = try #require(created.json["client_secret"] as? String)
            func token(proof: String?) async throws -> TestResponse {
                var headers = OAuthTests.basic(id, secret)
                if let proof { headers[Self.dpop] = proof }
                return try await client.execute(
                    uri: "/oauth2/token", method: .post, headers: headers,
                    body: ByteBuffer(string: "grant_type=client_credentials"))
            }
            let bare = try await token(proof: nil)
            #expect(bare.status == .badRequest && bare.json["error"] as? String == "invalid_dpop_proof")
            let proven = try await token(proof: try DPoPKey().proof("POST", url))
            #expect(proven.status == .ok && proven.json["token_type"] as? String == "DPoP", "\(proven.bodyText)")
            let edited = try await client.send(
                .patch, "/admin/clients/\(id)", token: adminToken, json: #"{"dpop_bound_access_tokens":false}"#)
            #expect(edited.json["dpop_bound_access_tokens"] as? Bool == false)
            let plain = try await token(proof: nil)
            #expect(plain.status == .ok && plain.json["token_type"] as? String == "Bearer", "\(plain.bodyText)")
        }
        await stack.shutdown()
    }

    @Test("with nonces required: use_dpop_nonce and a DPoP-Nonce header, then the retry with that nonce passes")
    func nonce() async throws {
        let stack = try await TestStack(backing: .memory, dpop: .init(requireNonce: true))
        let (user, _) = try await stack.account()
        let key = try DPoPKey()
        let body = ByteBuffer(string: #"{"username":"\#(user.username)","password":"\#(TestStack.password)"}"#)
        try await withServer(stack: stack) { client in
            let first = try await client.execute(
                uri: "/login", method: .post,
                headers: Self.headers(try key.proof("POST", Self.base + "/login"), json: true),
                body: body)
            #expect(first.status == .unauthorized && first.errorCode == "use_dpop_nonce", "\(first.bodyText)")
            let nonce = try #require(first.headers[Self.dpopNonce])
            let wrongPassword = try await client.execute(
                uri: "/login", method: .post,
                headers: Self.headers(try key.proof("POST", Self.base + "/login"), json: true),
                body: ByteBuffer(string: #"{"username":"\#(user.username)","password":"not the password"}"#))
            #expect(wrongPassword.errorCode == "use_dpop_nonce", "the proof is judged before the password")
            let second = try await client.execute(
                uri: "/login", method: .post,
                headers: Self.headers(try key.proof("POST", Self.base + "/login", nonce: nonce), json: true), body: body
            )
            #expect(second.status == .ok && second.json["token_type"] as? String == "DPoP", "\(second.bodyText)")
        }
        await stack.shutdown()
    }

    @Test("discovery names the proof algorithms")
    func discovery() async throws {
        try await withServer { client in
            let metadata = try await client.get("/.well-known/oauth-authorization-server", token: nil)
            #expect(metadata.json["dpop_signing_alg_values_supported"] as? [String] == ["ES256", "EdDSA", "RS256"])
        }
    }
}
