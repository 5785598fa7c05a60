import AuthCore
import AuthCrypto
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Security hardening, round 2, finding 1 (and 3, 10): a token issued to a relying party stays
/// with it. Driven over HTTP against the real router and PostgreSQL.
@Suite("token kinds over HTTP: a relying party's token stays with its audience")
struct TokenKindTests {
    /// The payload of a compact JWS.
    static func payload(_ token: String) throws -> [String: Any] {
        let data = Data(try #require(Base64.url.decode(String(token.split(separator: ".")[1]))))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func introspect(_ client: any TestClientProtocol, _ token: String, as id: String, _ secret: String)
        async throws -> TestResponse
    {
        try await client.execute(
            uri: "/oauth2/introspect", method: .post, headers: OAuthTests.basic(id, secret),
            body: ByteBuffer(string: "token=\(token)"))
    }

    @Test(
        "an admin's token issued to a client through the code flow: refused by the admin API, the account routes and /authz; its audience is the client, no roles; userinfo and the client's own introspection answer"
    )
    func delegatedTokenStaysWithItsClient() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (admin, ownToken) = try await stack.account(roles: [Role.user, Role.admin])
        let rp = try await OAuthTests.relyingParty(stack)
        try await withServer(stack: stack) { client in
            let exchanged = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: OAuthTests.basic(rp.client.id, try #require(rp.secret)),
                body: ByteBuffer(
                    string: "grant_type=authorization_code&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb"
                        + "&code_verifier=\(OAuthTests.verifier)&code="
                        + (try await OAuthTests.code(stack, rp.client, admin, scope: "openid profile"))))
            let token = try #require(exchanged.json["access_token"] as? String, "\(exchanged.bodyText)")
            let routes: [(HTTPRequest.Method, String)] = [
                (.get, "/admin/users"), (.get, "/admin/audit"), (.get, "/admin/clients"), (.get, "/admin/roles"),
                (.get, "/me"), (.get, "/sessions"), (.get, "/protected"), (.get, "/authz"), (.post, "/mfa/totp/setup"),
                (.get, "/consents"),
            ]
            for (method, uri) in routes {
                let answer = try await client.send(method, uri, token: token)
                #expect(answer.status == .unauthorized, "\(method) \(uri): \(answer.status) \(answer.bodyText)")
            }
            let promote = try await client.send(
                .patch, "/admin/users/\(admin.id)", token: token, json: #"{"roles":["user","admin"]}"#)
            #expect(promote.status == .unauthorized, "PATCH /admin/users: \(promote.status)")
            let everywhere = try await client.send(.post, "/logout/all", token: token)
            #expect(everywhere.status == .unauthorized, "POST /logout/all: \(everywhere.status)")
            #expect(try await client.get("/me", token: ownToken).status == .ok, "the user's own token still works")

            let claims = try Self.payload(token)
            #expect(claims["aud"] as? String == rp.client.id, "the audience is the client")
            #expect(claims["client_id"] as? String == rp.client.id)
            #expect((claims["roles"] as? [String])?.isEmpty == true, "no roles without the roles scope")
            let idToken = try Self.payload(try #require(exchanged.json["id_token"] as? String))
            #expect(idToken["roles"] == nil, "nor in the ID token")

            let info = try await client.get("/oauth2/userinfo", token: token)
            #expect(info.status == .ok && info.json["sub"] as? String == String(admin.id), "\(info.bodyText)")
            #expect(info.json["roles"] == nil)
            let own = try await Self.introspect(client, token, as: rp.client.id, try #require(rp.secret))
            #expect(own.json["active"] as? Bool == true && own.json["client_id"] as? String == rp.client.id)
        }
        await stack.shutdown()
    }

    @Test(
        "scopes name what a delegated token may reach: roles carries the roles; admin (allowed to this client) opens the admin API, still not the account routes"
    )
    func scopesNameTheEndpoints() async throws {
        let scopes = OAuthTests.openIDScopes.union(["roles", "admin"])
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: scopes))
        let (admin, _) = try await stack.account(roles: [Role.user, Role.admin])
        let rp = try await stack.admin.createClient(
            NewClient(
                id: TestDatabase.uniqueName("rp"), grantTypes: [.authorizationCode], scopes: Array(scopes),
                redirectURIs: [OAuthTests.redirect]), by: TestStack.testOperator)
        @Sendable func token(_ client: any TestClientProtocol, scope: String) async throws -> String {
            let request = try AuthorizationRules.check(
                AuthorizationParameters(
                    responseType: "code", clientID: rp.client.id, redirectURI: OAuthTests.redirect, scope: scope,
                    codeChallenge: OAuthTests.challenge, codeChallengeMethod: "S256"),
                client: rp.client, configuredScopes: scopes
            ).get()
            let code = try await stack.service.oauth.issueCode(
                for: request, user: admin, authTime: UnixTime.now(), methods: ["pwd"])
            return try await OAuthTests.exchange(client, rp, code: code)
        }
        try await withServer(stack: stack) { client in
            let withRoles = try await token(client, scope: "openid roles")
            #expect(Set(try Self.payload(withRoles)["roles"] as? [String] ?? []) == [Role.user, Role.admin])
            #expect(try await client.get("/oauth2/userinfo", token: withRoles).json["roles"] != nil)
            #expect(try await client.get("/admin/users", token: withRoles).status == .unauthorized, "roles alone")

            let withAdmin = try await token(client, scope: "openid admin")
            #expect(try await client.get("/admin/users", token: withAdmin).status == .ok)
            #expect(try await client.get("/me", token: withAdmin).status == .unauthorized)
            #expect(try await client.get("/authz", token: withAdmin).status == .unauthorized)
        }
        await stack.shutdown()
    }

    @Test(
        "introspection answers a token's own client and a client allowed introspection (not another client's delegated token); any other client hears active false"
    )
    func introspectionBelongsToTheClient() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (user, firstParty) = try await stack.account()
        let rp = try await OAuthTests.relyingParty(stack)
        let other = try await OAuthTests.client(stack, scopes: [])
        try await withServer(stack: stack) { client in
            let created = try await client.send(
                .post, "/admin/clients", token: try await stack.account(roles: [Role.admin]).token,
                json: #"{"id":"\#(TestDatabase.uniqueName("rs"))","introspection":true}"#)
            #expect(created.status == .created, "\(created.bodyText)")
            #expect(created.json["introspection"] as? Bool == true)
            let resourceServer = (
                try #require(created.json["client_id"] as? String),
                try #require(created.json["client_secret"] as? String)
            )
            let delegated = try await OAuthTests.exchange(
                client, rp, code: try await OAuthTests.code(stack, rp.client, user, scope: "openid"))
            func active(_ token: String, _ id: String, _ secret: String) async throws -> Bool? {
                try await Self.introspect(client, token, as: id, secret).json["active"] as? Bool
            }
            #expect(try await active(delegated, rp.client.id, try #require(rp.secret)) == true)
            #expect(try await active(delegated, other.id, other.secret) == false, "another client")
            #expect(try await active(firstParty, other.id, other.secret) == false, "a login's token, another client")
            #expect(try await active(delegated, resourceServer.0, resourceServer.1) == false, "another's delegated")
            #expect(try await active(firstParty, resourceServer.0, resourceServer.1) == true, "a resource server")
        }
        await stack.shutdown()
    }

    @Test("PKCE is required of confidential clients too, unless an administrator opts the client out")
    func pkceRequiredByDefault() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let rp = try await OAuthTests.relyingParty(stack)
        let browser = PortalFlowTests.Browser()
        let withoutPKCE =
            "&response_type=code&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&scope=openid&state=s"
        try await withServer(stack: stack) { client in
            let refused = try await browser.get(client, "/oauth2/authorize?client_id=\(rp.client.id)" + withoutPKCE)
            #expect(refused.status == .found, "\(refused.bodyText)")
            #expect(PortalFlowTests.query(refused.headers[.location])["error"] == "invalid_request")
            let adminToken = try await stack.account(roles: [Role.admin]).token
            let optOut = try await client.send(
                .patch, "/admin/clients/\(rp.client.id)", token: adminToken, json: #"{"pkce_required":false}"#)
            #expect(optOut.status == .ok && optOut.json["pkce_required"] as? Bool == false, "\(optOut.bodyText)")
            let allowed = try await browser.get(client, "/oauth2/authorize?client_id=\(rp.client.id)" + withoutPKCE)
            #expect(allowed.status == .seeOther && allowed.headers[.location]?.hasPrefix("/ui/login?") == true)
            let publicClient = try await OAuthTests.relyingParty(stack, .public)
            let publicOptOut = try await client.send(
                .patch, "/admin/clients/\(publicClient.client.id)", token: adminToken, json: #"{"pkce_required":false}"#
            )
            #expect(publicOptOut.status == .unprocessableContent, "a public client cannot opt out")
        }
        await stack.shutdown()
    }
}
