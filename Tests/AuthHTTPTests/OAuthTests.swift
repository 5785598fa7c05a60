import AuthCore
import AuthCrypto
import AuthHTTP
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `/oauth2/token`, `/oauth2/introspect`, `/oauth2/revoke` and the server metadata, with clients
/// registered through the admin use cases on the test database.
@Suite("OAuth 2 endpoints")
struct OAuthTests {
    static let scopes: Set<String> = ["mail:read", "mail:send", "reports"]

    static func stack() async throws -> TestStack {
        try await TestStack(backing: .memory, configuration: .init(scopes: scopes))
    }

    /// A confidential client allowed client credentials and `scopes`, and its secret.
    static func client(
        _ stack: TestStack, scopes: [String] = ["mail:read", "mail:send"], roles: [String] = [],
        grants: [GrantType] = [.clientCredentials], introspection: Bool = false
    ) async throws -> (id: String, secret: String) {
        let id = TestDatabase.uniqueName("svc")
        let registered = try await stack.admin.createClient(
            NewClient(id: id, grantTypes: grants, scopes: scopes, roles: roles, mayIntrospect: introspection),
            by: TestStack.testOperator)
        return (id, try #require(registered.secret))
    }

    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static let openIDScopes: Set<String> = ["openid", "profile", "email"]
    static let redirect = "https://rp.example.com/cb"
    /// RFC 7636 Appendix B.
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    /// A client that signs users in with codes, redirecting to `redirect`.
    static func relyingParty(_ stack: TestStack, _ type: ClientType = .confidential) async throws -> RegisteredClient {
        try await stack.admin.createClient(
            NewClient(
                id: TestDatabase.uniqueName("rp"), type: type, grantTypes: [.authorizationCode, .refreshToken],
                scopes: Array(openIDScopes), redirectURIs: [redirect]),
            by: TestStack.testOperator)
    }

    /// A code for `user` at `client`, as the portal hands one out once the user signed in.
    static func code(_ stack: TestStack, _ client: OAuthClient, _ user: User, scope: String) async throws -> String {
        let request = try AuthorizationRules.check(
            AuthorizationParameters(
                responseType: "code", clientID: client.id, redirectURI: redirect, scope: scope,
                codeChallenge: challenge, codeChallengeMethod: "S256"),
            client: client, configuredScopes: openIDScopes
        ).get()
        return try await stack.service.oauth.issueCode(
            for: request, user: user, authTime: UnixTime.now(), methods: ["pwd"])
    }

    /// The access token of a code exchanged by a confidential `client`.
    static func exchange(_ client: any TestClientProtocol, _ registered: RegisteredClient, code: String) async throws
        -> String
    {
        let response = try await client.execute(
            uri: "/oauth2/token", method: .post, headers: basic(registered.client.id, try #require(registered.secret)),
            body: ByteBuffer(
                string: "grant_type=authorization_code&code=\(code)&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb"
                    + "&code_verifier=\(verifier)"))
        return try #require(response.json["access_token"] as? String, "\(response.bodyText)")
    }

    static func basic(_ id: String, _ secret: String) -> HTTPFields {
        var headers = form
        // Padded, as RFC 7617 and every client write it.
        headers[.authorization] = "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
        return headers
    }

    @Test("client_credentials with client_secret_basic and client_secret_post: a token whose sub is the client")
    func clientCredentials() async throws {
        let stack = try await Self.stack()
        let (id, secret) = try await Self.client(stack, roles: [Role.user])
        try await withServer(stack: stack) { client in
            let basic = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: Self.basic(id, secret),
                body: ByteBuffer(string: "grant_type=client_credentials&scope=mail%3Aread"))
            #expect(basic.status == .ok, "\(basic.bodyText)")
            #expect(basic.headers[.cacheControl] == "no-store")
            #expect(basic.json["token_type"] as? String == "Bearer")
            #expect(basic.json["scope"] as? String == "mail:read")
            #expect(basic.json["expires_in"] as? Int == 900)
            #expect(basic.json["refresh_token"] == nil)
            let token = try #require(basic.json["access_token"] as? String)
            let claims = try stack.service.tokens.authorize(accessToken: token, for: .gateway)
            #expect(claims.subject == id && claims.clientID == id && claims.kind == .client)
            #expect(claims.scope == "mail:read" && claims.roles == [Role.user])
            #expect(claims.audience == ["authd-test-clients"])

            let posted = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: Self.form,
                body: ByteBuffer(string: "grant_type=client_credentials&client_id=\(id)&client_secret=\(secret)"))
            #expect(posted.status == .ok)
            // Unknown parameters are ignored however often they come; a user's Bearer header is
            // not client authentication.
            var bearer = Self.form
            bearer[.authorization] = "Bearer some.user.token"
            let ignored = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: bearer,
                body: ByteBuffer(
                    string: "x=1&x=2&grant_type=client_credentials&client_id=\(id)&client_secret=\(secret)&%C3%A9=3"))
            #expect(ignored.status == .ok, "\(ignored.bodyText)")
            // No scope asked: every scope the client may have.
            #expect(posted.json["scope"] as? String == "mail:read mail:send")
        }
        await stack.shutdown()
    }

    /// Each bad request, and the RFC 6749 §5.2 error it gets.
    static func refusals(id: String, secret: String, other: String) -> [(String, HTTPFields, String, Int, String)] {
        let good = "grant_type=client_credentials"
        return [
            ("wrong secret", basic(id, "x" + secret), good, 401, "invalid_client"),
            ("unknown client", basic("nobody-here", secret), good, 401, "invalid_client"),
            ("no client authentication", form, good, 401, "invalid_client"),
            ("client_id without client_secret", form, good + "&client_id=\(id)", 401, "invalid_client"),
            (
                "Basic with three padding characters",
                [.contentType: form[.contentType]!, .authorization: "Basic YWJj==="], good, 401, "invalid_client"
            ),
            (
                "a malformed Basic header", [.contentType: form[.contentType]!, .authorization: "Basic !!"], good, 401,
                "invalid_client"
            ),
            (
                "both ways at once", basic(id, secret), good + "&client_id=\(id)&client_secret=\(secret)", 400,
                "invalid_request"
            ),
            ("no grant_type", basic(id, secret), "scope=reports", 400, "invalid_request"),
            ("an unknown grant_type", basic(id, secret), "grant_type=password", 400, "unsupported_grant_type"),
            ("a scope it may not have", basic(id, secret), good + "&scope=reports", 400, "invalid_scope"),
            ("a scope outside oauth.scopes", basic(id, secret), good + "&scope=admin", 400, "invalid_scope"),
            (
                "two spaces between scopes", basic(id, secret), good + "&scope=mail%3Aread++mail%3Asend", 400,
                "invalid_scope"
            ),
            ("grant_type twice", basic(id, secret), good + "&" + good, 400, "invalid_request"),
            ("bad percent-encoding", basic(id, secret), good + "&scope=%zz", 400, "invalid_request"),
            ("invalid UTF-8", basic(id, secret), good + "&scope=%ff", 400, "invalid_request"),
            (
                "JSON instead of a form",
                [
                    .contentType: "application/json",
                    .authorization: basic(id, secret)[
                        .authorization]!,
                ], #"{"grant_type":"client_credentials"}"#, 400, "invalid_request"
            ),
        ]
    }

    @Test("bad requests get RFC 6749 errors, never authd's error shape, never a 500")
    func refusals() async throws {
        let stack = try await Self.stack()
        let (id, secret) = try await Self.client(stack)
        let (refresher, refresherSecret) = try await Self.client(stack, grants: [.refreshToken])
        try await withServer(stack: stack) { client in
            for (name, headers, body, status, error) in Self.refusals(id: id, secret: secret, other: refresher) {
                let response = try await client.execute(
                    uri: "/oauth2/token", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(Int(response.status.code) == status, "\(name): \(response.bodyText)")
                #expect(response.json["error"] as? String == error, "\(name): \(response.bodyText)")
                #expect(response.headers[.cacheControl] == "no-store", "\(name)")
                if status == 401 {
                    #expect(response.headers[.wwwAuthenticate] == #"Basic realm="authd""#, "\(name)")
                }
            }
            let unauthorized = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: Self.basic(refresher, refresherSecret),
                body: ByteBuffer(string: "grant_type=client_credentials"))
            #expect(unauthorized.status == .badRequest)
            #expect(unauthorized.json["error"] as? String == "unauthorized_client")
            let oversize = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: Self.basic(id, secret),
                body: ByteBuffer(string: "grant_type=client_credentials&pad=" + String(repeating: "a", count: 70_000)))
            #expect(oversize.status == .contentTooLarge)
            #expect(oversize.json["error"] as? String == "invalid_request")
        }
        await stack.shutdown()
    }

    @Test(
        "introspection by a resource server: the claims of a live token; active false for a revoked, foreign or malformed one"
    )
    func introspection() async throws {
        let stack = try await Self.stack()
        let (id, secret) = try await Self.client(stack, introspection: true)
        let (other, otherSecret) = try await Self.client(stack)
        let (_, userToken) = try await stack.account()
        let foreign = try TestStack.testCodec(secret: Array(repeating: 9, count: 40)).sign(
            try stack.service.tokens.authorize(accessToken: userToken, for: .account))
        try await withServer(stack: stack) { client in
            let token = try await Self.token(client, id, secret)
            let otherToken = try await Self.token(client, other, otherSecret)
            let introspect = { (token: String) in
                try await client.execute(
                    uri: "/oauth2/introspect", method: .post, headers: Self.basic(id, secret),
                    body: ByteBuffer(string: "token=\(token)&token_type_hint=access_token"))
            }
            let live = try await introspect(token)
            #expect(live.status == .ok)
            #expect(live.json["active"] as? Bool == true)
            #expect(live.json["client_id"] as? String == id && live.json["sub"] as? String == id)
            #expect(live.json["scope"] as? String == "mail:read mail:send")
            #expect(live.json["username"] == nil)
            let user = try await introspect(userToken)
            #expect(user.json["active"] as? Bool == true && user.json["username"] != nil)

            // RFC 7009: a client revokes its own token; another client's is left alone, same answer.
            for (revoked, expected) in [(otherToken, true), (token, false)] {
                let answer = try await client.execute(
                    uri: "/oauth2/revoke", method: .post, headers: Self.basic(id, secret),
                    body: ByteBuffer(string: "token=\(revoked)"))
                #expect(answer.status == .ok)
                #expect(try await introspect(revoked).json["active"] as? Bool == expected)
            }
            for inactive in [foreign, "not.a.token", String(repeating: "a", count: 3000)] {
                let answer = try await introspect(inactive)
                #expect(answer.status == .ok)
                #expect(answer.json.keys.sorted() == ["active"] && answer.json["active"] as? Bool == false)
            }
            let anonymous = try await client.execute(
                uri: "/oauth2/introspect", method: .post, headers: Self.form,
                body: ByteBuffer(string: "token=\(token)"))
            #expect(anonymous.status == .unauthorized)
            let missing = try await client.execute(
                uri: "/oauth2/introspect", method: .post, headers: Self.basic(id, secret),
                body: ByteBuffer(string: "token="))
            #expect(missing.json["error"] as? String == "invalid_request")
        }
        await stack.shutdown()
    }

    @Test("disable, rotate-secret and delete: the client is refused and its tokens stop working at once")
    func lifecycle() async throws {
        let stack = try await Self.stack()
        let (id, secret) = try await Self.client(stack)
        try await withServer(stack: stack) { client in
            let first = try await Self.token(client, id, secret)
            _ = try await stack.admin.updateClient(id: id, .init(disabled: true), by: TestStack.testOperator)
            #expect(await Self.refusal(stack, first) == "token_revoked")
            #expect(try await Self.tokenStatus(client, id, secret) == 401)
            _ = try await stack.admin.updateClient(id: id, .init(disabled: false), by: TestStack.testOperator)

            let second = try await Self.token(client, id, secret)
            let newSecret = try await stack.admin.rotateSecret(clientID: id, by: TestStack.testOperator)
            #expect(newSecret != secret)
            #expect(await Self.refusal(stack, second) == "token_revoked")
            #expect(try await Self.tokenStatus(client, id, secret) == 401)
            let third = try await Self.token(client, id, newSecret)
            #expect(await Self.refusal(stack, third) == "ok")

            // A new name changes nothing a token says: the token stands.
            _ = try await stack.admin.updateClient(id: id, .init(name: "Renamed"), by: TestStack.testOperator)
            #expect(await Self.refusal(stack, third) == "ok")

            try await stack.admin.deleteClient(id: id, by: TestStack.testOperator)
            #expect(await Self.refusal(stack, third) == "token_revoked")
            #expect(try await Self.tokenStatus(client, id, newSecret) == 401)
        }
        await stack.shutdown()
    }

    @Test(
        "wrong client secrets spend a failure budget per client and address: that address is refused, the client from its own address is not"
    )
    func failureBudget() async throws {
        let stack = try await TestStack(
            backing: .memory,
            configuration: .init(accountLimit: .init(burst: 3, perSecond: 0.001), scopes: Self.scopes))
        let (id, secret) = try await Self.client(stack)
        let proxies = ForwardedClient(trustedProxies: [IPNetwork("127.0.0.0/8")!])
        try await withServer(stack: stack, forwarded: proxies) { client in
            func status(_ secret: String, from address: String) async throws -> Int {
                var headers = Self.basic(id, secret)
                headers[HTTPFields.Element.Name("X-Forwarded-For")!] = address
                let response = try await client.execute(
                    uri: "/oauth2/token", method: .post, headers: headers,
                    body: ByteBuffer(string: "grant_type=client_credentials"))
                return Int(response.status.code)
            }
            for _ in 0..<3 {
                let wrong = try await status("wrong", from: "203.0.113.7")
                #expect(wrong == 401)
            }
            let guesser = try await status(secret, from: "203.0.113.7")
            #expect(guesser == 429, "the guessing address is refused")
            let own = try await status(secret, from: "198.51.100.20")
            #expect(own == 200, "the client from its own address")
        }
        await stack.shutdown()
    }

    @Test("RFC 8414 metadata names the endpoints under the issuer, with cache headers")
    func metadata() async throws {
        let stack = try await Self.stack()
        try await withServer(stack: stack) { client in
            let response = try await client.get("/.well-known/oauth-authorization-server", token: nil)
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "public, max-age=300")
            let json = response.json
            #expect(json["issuer"] as? String == "http://127.0.0.1:5000")
            #expect(json["token_endpoint"] as? String == "http://127.0.0.1:5000/oauth2/token")
            #expect(json["introspection_endpoint"] as? String == "http://127.0.0.1:5000/oauth2/introspect")
            #expect(json["revocation_endpoint"] as? String == "http://127.0.0.1:5000/oauth2/revoke")
            #expect(json["jwks_uri"] as? String == "http://127.0.0.1:5000/.well-known/jwks.json")
            #expect(json["authorization_endpoint"] as? String == "http://127.0.0.1:5000/oauth2/authorize")
            #expect(
                json["grant_types_supported"] as? [String]
                    == [
                        "authorization_code", "client_credentials", "refresh_token",
                        "urn:ietf:params:oauth:grant-type:device_code",
                    ])
            #expect(json["response_types_supported"] as? [String] == ["code"])
            #expect(json["code_challenge_methods_supported"] as? [String] == ["S256"])
            #expect(json["scopes_supported"] as? [String] == Self.scopes.sorted())
            #expect(
                json["token_endpoint_auth_methods_supported"] as? [String]
                    == ["client_secret_basic", "client_secret_post", "none"])
            #expect(
                json["introspection_endpoint_auth_methods_supported"] as? [String]
                    == ["client_secret_basic", "client_secret_post"])
            let tag = try #require(response.headers[.eTag])
            let again = try await client.execute(
                uri: "/.well-known/oauth-authorization-server", method: .get, headers: [.ifNoneMatch: tag])
            #expect(again.status == .notModified)
        }
        await stack.shutdown()
    }

    @Test("OpenID Connect discovery, field by field: the issuer of the ID tokens, every endpoint, what is supported")
    func discovery() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: Self.openIDScopes))
        try await withServer(stack: stack) { client in
            let response = try await client.get("/.well-known/openid-configuration", token: nil)
            #expect(response.status == .ok && response.headers[.cacheControl] == "public, max-age=300")
            let json = response.json
            let base = "http://127.0.0.1:5000"
            let expected: [String: String] = [
                "issuer": base, "authorization_endpoint": base + "/oauth2/authorize",
                "token_endpoint": base + "/oauth2/token", "userinfo_endpoint": base + "/oauth2/userinfo",
                "jwks_uri": base + "/.well-known/jwks.json", "introspection_endpoint": base + "/oauth2/introspect",
                "revocation_endpoint": base + "/oauth2/revoke", "end_session_endpoint": base + "/oauth2/logout",
            ]
            for (key, value) in expected { #expect(json[key] as? String == value, "\(key)") }
            let lists: [String: [String]] = [
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["email", "openid", "profile"],
                "grant_types_supported": [
                    "authorization_code", "client_credentials", "refresh_token",
                    "urn:ietf:params:oauth:grant-type:device_code",
                ],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
                "prompt_values_supported": ["none", "login", "consent", "select_account"],
                "response_modes_supported": ["query", "form_post"],
            ]
            for (key, value) in lists { #expect(json[key] as? [String] == value, "\(key)") }
            #expect((json["claims_supported"] as? [String])?.contains("auth_time") == true)
            for flag in [
                "request_parameter_supported", "request_uri_parameter_supported", "claims_parameter_supported",
            ] {
                #expect(json[flag] as? Bool == false, "\(flag)")
            }
            #expect(json["authorization_response_iss_parameter_supported"] as? Bool == true)
        }
        await stack.shutdown()
    }

}
