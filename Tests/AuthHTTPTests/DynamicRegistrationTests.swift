import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The OpenID Foundation's Dynamic OP plan, the modules about registration, rewritten: RFC 7591
/// behind an initial access token, RFC 7592's read, update and delete, the redirect URI rules.
@Suite("OIDF Dynamic OP: dynamic client registration (RFC 7591, 7592)")
struct DynamicRegistrationTests {
    static func register(_ client: any TestClientProtocol, token: String?, _ json: String) async throws
        -> TestResponse
    {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(
            uri: "/oauth2/register", method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    static func initialToken(_ client: any TestClientProtocol, admin: String, uses: Int) async throws -> String {
        let made = try await client.send(
            .post, "/admin/registration-tokens", token: admin, json: #"{"uses":\#(uses),"expires_in":3600}"#)
        #expect(made.status == .created, "\(made.bodyText)")
        return try #require(made.json["token"] as? String)
    }

    @Test(
        "oidcc-registration-logo-uri, oidcc-redirect-uri-query-OK and -mismatch: registered, used, read, changed, deleted"
    )
    func lifecycle() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        try await withServer(stack: stack) { client in
            let initial = try await Self.initialToken(client, admin: adminToken, uses: 5)
            let made = try await Self.register(
                client, token: initial,
                #"{"redirect_uris":["https://rp.example.com/cb?from=dyn"],"client_name":"Dyn app","scope":"openid profile","logo_uri":"https://rp.example.com/logo.png","contacts":["ops@example.com"],"dpop_bound_access_tokens":true}"#
            )
            #expect(made.status == .created && made.headers[.cacheControl] == "no-store", "\(made.bodyText)")
            let id = try #require(made.json["client_id"] as? String)
            #expect(id.range(of: "^dyn-[a-z0-9]{12}$", options: .regularExpression) != nil)
            #expect(
                (made.json["client_secret"] as? String)?.count == 43
                    && made.json["client_secret_expires_at"] as? Int == 0)
            #expect(made.json["token_endpoint_auth_method"] as? String == "client_secret_basic")
            #expect(made.json["grant_types"] as? [String] == ["authorization_code"])
            #expect(
                made.json["response_types"] as? [String] == ["code"]
                    && made.json["scope"] as? String == "openid profile")
            #expect(made.json["logo_uri"] == nil, "metadata authd does not know is ignored, not stored")
            #expect(made.json["dpop_bound_access_tokens"] as? Bool == true, "RFC 9449 §5.2's metadata is kept")
            let registration = try #require(made.json["registration_access_token"] as? String)
            let uri = try #require(made.json["registration_client_uri"] as? String)
            #expect(uri == "http://127.0.0.1:5000/oauth2/register/\(id)")

            // Used at once: the registered URI with its query is accepted exactly, another query is not.
            let exact = try await PortalFlowTests.Browser().get(
                client,
                "/oauth2/authorize?response_type=code&client_id=\(id)&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb%3Ffrom%3Ddyn"
                    + "&scope=openid&state=s&code_challenge=\(OAuthTests.challenge)&code_challenge_method=S256")
            #expect(exact.status == .seeOther && exact.headers[.location]?.hasPrefix("/ui/login") == true)
            let mismatch = try await PortalFlowTests.Browser().get(
                client,
                "/oauth2/authorize?response_type=code&client_id=\(id)&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb%3Ffrom%3Dother"
                    + "&scope=openid&state=s&code_challenge=\(OAuthTests.challenge)&code_challenge_method=S256")
            #expect(mismatch.status == .badRequest, "never a redirect to an unregistered URI")

            let read = try await client.execute(
                uri: "/oauth2/register/\(id)", method: .get, headers: [.authorization: "Bearer \(registration)"])
            #expect(read.status == .ok && read.json["client_name"] as? String == "Dyn app")
            #expect(read.json["client_secret"] == nil && read.json["registration_access_token"] == nil)
            let changed = try await client.execute(
                uri: "/oauth2/register/\(id)", method: .put,
                headers: [.authorization: "Bearer \(registration)", .contentType: "application/json"],
                body: ByteBuffer(
                    string:
                        #"{"client_id":"\#(id)","redirect_uris":["https://rp.example.com/new"],"client_name":"Renamed"}"#
                ))
            #expect(changed.status == .ok && changed.json["client_name"] as? String == "Renamed", "\(changed.bodyText)")
            #expect(changed.json["redirect_uris"] as? [String] == ["https://rp.example.com/new"])
            let admin = try await client.send(.get, "/admin/clients/\(id)", token: adminToken)
            #expect(admin.json["skip_consent"] as? Bool == false && admin.json["roles"] as? [String] == [])

            let other = try await Self.register(
                client, token: initial, #"{"redirect_uris":["https://other.example.com/cb"]}"#)
            let otherID = try #require(other.json["client_id"] as? String)
            let crossed = try await client.execute(
                uri: "/oauth2/register/\(otherID)", method: .get, headers: [.authorization: "Bearer \(registration)"])
            #expect(crossed.status == .unauthorized, "one client's token reads no other client")
            let anonymous = try await client.execute(uri: "/oauth2/register/\(id)", method: .delete)
            #expect(anonymous.status == .unauthorized && anonymous.json["error"] as? String == "invalid_token")
            let deleted = try await client.execute(
                uri: "/oauth2/register/\(id)", method: .delete, headers: [.authorization: "Bearer \(registration)"])
            #expect(deleted.status == .noContent)
            let gone = try await client.execute(
                uri: "/oauth2/register/\(id)", method: .get, headers: [.authorization: "Bearer \(registration)"])
            #expect(gone.status == .unauthorized && gone.json["error"] as? String == "invalid_token")

            let discovery = try await client.execute(uri: "/.well-known/openid-configuration", method: .get)
            #expect(discovery.json["registration_endpoint"] as? String == "http://127.0.0.1:5000/oauth2/register")
        }
        await stack.shutdown()
    }

    @Test(
        "oidcc-redirect-uri-regfrag and the attacks: javascript:, wildcard, fragment, plain http refused; native apps as RFC 8252 says"
    )
    func redirectRules() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        try await withServer(stack: stack) { client in
            let initial = try await Self.initialToken(client, admin: adminToken, uses: 100)
            for uri in [
                "javascript:alert(1)", "https://*.example.com/cb", "https://rp.example.com/cb#frag",
                "http://rp.example.com/cb", "/relative", "https://rp.example.com/a b",
            ] {
                let refused = try await Self.register(client, token: initial, #"{"redirect_uris":["\#(uri)"]}"#)
                #expect(
                    refused.status == .badRequest && refused.json["error"] as? String == "invalid_redirect_uri",
                    "\(uri): \(refused.bodyText)")
            }
            let none = try await Self.register(client, token: initial, #"{"client_name":"no URIs"}"#)
            #expect(none.json["error"] as? String == "invalid_redirect_uri", "the code flow needs a redirect URI")
            for (json, why) in [
                (#"{"redirect_uris":["https://a.example/cb"],"grant_types":["implicit"]}"#, "implicit"),
                (#"{"redirect_uris":["https://a.example/cb"],"response_types":["token"]}"#, "token"),
                (
                    #"{"grant_types":["client_credentials"],"token_endpoint_auth_method":"none"}"#,
                    "public + credentials"
                ),
                (
                    #"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}"#,
                    "jwt auth"
                ),
                (#"{"redirect_uris":["https://a.example/cb"],"scope":"admin"}"#, "a scope not configured"),
                (#"{"redirect_uris":["https://a.example/cb"],"backchannel_logout_uri":"javascript:x"}"#, "logout URI"),
            ] {
                let refused = try await Self.register(client, token: initial, json)
                #expect(
                    refused.status == .badRequest && refused.json["error"] as? String == "invalid_client_metadata",
                    "\(why): \(refused.bodyText)")
            }
            let wrongType = try await Self.register(
                client, token: initial, #"{"redirect_uris":"https://a.example/cb"}"#)
            #expect(wrongType.status == .badRequest)

            let native = try await Self.register(
                client, token: initial,
                #"{"redirect_uris":["http://127.0.0.1:8080/cb","com.example.app:/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"]}"#
            )
            #expect(native.status == .created && native.json["client_secret"] == nil, "\(native.bodyText)")
            #expect(native.json["token_endpoint_auth_method"] as? String == "none")
        }
        await stack.shutdown()
    }

    @Test("an initial access token: required, used up after its uses, made only with clients:write")
    func initialTokens() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let (_, userToken) = try await stack.account()
        try await withServer(stack: stack) { client in
            let body = #"{"redirect_uris":["https://rp.example.com/cb"]}"#
            let anonymous = try await Self.register(client, token: nil, body)
            #expect(anonymous.status == .unauthorized && anonymous.headers[.wwwAuthenticate] != nil)
            let forged = try await Self.register(client, token: String(repeating: "A", count: 43), body)
            #expect(forged.status == .unauthorized && forged.json["error"] as? String == "invalid_token")
            let user = try await client.send(.post, "/admin/registration-tokens", token: userToken, json: "{}")
            #expect(user.status == .forbidden)
            let initial = try await Self.initialToken(client, admin: adminToken, uses: 2)
            #expect(try await Self.register(client, token: initial, body).status == .created)
            let refused = try await Self.register(client, token: initial, #"{"redirect_uris":["javascript:x"]}"#)
            #expect(refused.status == .badRequest, "refused metadata spends no use")
            #expect(try await Self.register(client, token: initial, body).status == .created)
            let spent = try await Self.register(client, token: initial, body)
            #expect(spent.status == .unauthorized, "two uses, then none")
            let tooLong = try await client.send(
                .post, "/admin/registration-tokens", token: adminToken, json: #"{"expires_in":99999999}"#)
            #expect(tooLong.status == .badRequest)
        }
        await stack.shutdown()
    }
}
