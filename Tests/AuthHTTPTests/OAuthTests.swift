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
            #expect(claims.subject == id && claims.clientID == id && claims.isClientToken)
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
                    == ["authorization_code", "client_credentials", "refresh_token"])
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
                "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
                "prompt_values_supported": ["none", "login", "consent", "select_account"],
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

    @Test("the admin API registers a client (secret shown once), lists, edits and rotates, and audits each change")
    func adminAPI() async throws {
        let stack = try await Self.stack()
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let id = TestDatabase.uniqueName("app")
        try await withServer(stack: stack) { client in
            let created = try await client.send(
                .post, "/admin/clients", token: adminToken,
                json: #"{"id":"\#(id)","name":"Reports","scopes":["reports"],"token_lifetime":120}"#)
            #expect(created.status == .created, "\(created.bodyText)")
            let secret = try #require(created.json["client_secret"] as? String)
            #expect(secret.utf8.count == 43)
            #expect(created.json["grant_types"] as? [String] == ["client_credentials"])
            #expect(created.json["id_token_signed_response_alg"] as? String == "RS256", "the default")
            let shown = try await client.send(.get, "/admin/clients/\(id)", token: adminToken)
            #expect(shown.json["client_secret"] == nil && shown.json["token_lifetime"] as? Int == 120)
            let listed = try await client.send(.get, "/admin/clients", token: adminToken)
            #expect((listed.json["clients"] as? [[String: Any]])?.contains { $0["client_id"] as? String == id } == true)

            let token = try await Self.token(client, id, secret)
            #expect(
                try stack.service.tokens.authorize(accessToken: token, for: .gateway).expiresAt
                    - stack.service.tokens.authorize(accessToken: token, for: .gateway).issuedAt == 120)
            let edited = try await client.send(
                .patch, "/admin/clients/\(id)", token: adminToken, json: #"{"token_lifetime":null}"#)
            #expect(edited.status == .ok)
            #expect(edited.json["token_lifetime"] is NSNull)

            for (body, code) in [
                (#"{"id":"\#(id)"}"#, "client_exists"), (#"{"id":"9lives"}"#, "invalid_input"),
                (#"{"id":"x\#(id)","scopes":["admin"]}"#, "invalid_client_metadata"),
                (#"{"id":"x\#(id)","type":"public","grant_types":["client_credentials"]}"#, "invalid_client_metadata"),
                (#"{"id":"x\#(id)","redirect_uris":["http://evil.example/cb"]}"#, "invalid_client_metadata"),
                (#"{"id":"x\#(id)","redirect_uris":["https://app.example/cb#frag"]}"#, "invalid_client_metadata"),
                (#"{"id":"x\#(id)","roles":["no-such-role"]}"#, "unknown_role"),
                (#"{"id":"x\#(id)","token_lifetime":"60"}"#, "wrong_type"),
                (#"{"id":"x\#(id)","secret":"mine"}"#, "unknown_field"),
                (#"{"id":"x\#(id)","id_token_signed_response_alg":"HS256"}"#, "invalid_input"),
                (#"{"id":"x\#(id)","id_token_signed_response_alg":"none"}"#, "invalid_input"),
                (#"{"id":"x\#(id)","id_token_signed_response_alg":"EdDSA"}"#, "invalid_client_metadata"),
            ] {
                let refused = try await client.send(.post, "/admin/clients", token: adminToken, json: body)
                #expect(refused.errorCode == code, "\(body): \(refused.bodyText)")
            }

            let rotated = try await client.send(.post, "/admin/clients/\(id)/secret", token: adminToken)
            let newSecret = try #require(rotated.json["client_secret"] as? String)
            #expect(newSecret != secret)
            #expect(try await Self.tokenStatus(client, id, newSecret) == 200)

            let audit = try await client.send(.get, "/admin/audit?limit=200", token: adminToken)
            let actions = (audit.json["entries"] as? [[String: Any]] ?? [])
                .filter { $0["target"] as? String == "client:\(id)" }.compactMap { $0["action"] as? String }
            #expect(actions == ["client.rotate_secret", "client.update", "client.create"])
            #expect(!audit.bodyText.contains(secret) && !audit.bodyText.contains(newSecret))
        }
        await stack.shutdown()
    }

    @Test("refresh_token: only the client a session was opened through refreshes it, rotating as /token/refresh does")
    func refreshGrant() async throws {
        let stack = try await Self.stack()
        let (id, secret) = try await Self.client(stack, grants: [.clientCredentials, .refreshToken])
        let (other, otherSecret) = try await Self.client(stack, grants: [.refreshToken])
        let (noRefresh, noRefreshSecret) = try await Self.client(stack)
        let (account, _) = try await stack.account()
        let user = try #require(try await stack.users.find(id: account.id))
        let client = try await stack.admin.client(id: id, by: TestStack.testOperator)
        // What the next issue's authorization code will open: a session of this client.
        let session = try await stack.service.sessions.start(
            for: user, source: nil, userAgent: nil, client: client, scopes: ["mail:read", "mail:send"])
        let login = try await stack.service.login(username: user.username, password: TestStack.password).tokens
        #expect(try stack.service.tokens.authorize(accessToken: session.accessToken, for: .userInfo).clientID == id)
        try await withServer(stack: stack) { http in
            let refresh = { (client: String, secret: String, form: String) in
                try await http.execute(
                    uri: "/oauth2/token", method: .post, headers: Self.basic(client, secret),
                    body: ByteBuffer(string: "grant_type=refresh_token&" + form))
            }
            for (who, whoSecret, token, error) in [
                (other, otherSecret, session.refreshToken, "invalid_grant"),
                (id, secret, login.refreshToken, "invalid_grant"),
                (id, secret, String(repeating: "a", count: 43), "invalid_grant"),
                (noRefresh, noRefreshSecret, session.refreshToken, "unauthorized_client"),
                (id, secret, session.refreshToken + "&scope=reports", "invalid_scope"),
            ] {
                let refused = try await refresh(who, whoSecret, "refresh_token=\(token)")
                #expect(refused.json["error"] as? String == error, "\(who): \(refused.bodyText)")
            }
            let missing = try await refresh(id, secret, "scope=mail%3Aread")
            #expect(missing.json["error"] as? String == "invalid_request")
            // None of those touched the session: its own client rotates it now, narrowing the scope.
            let rotated = try await refresh(id, secret, "refresh_token=\(session.refreshToken)&scope=mail%3Aread")
            #expect(rotated.status == .ok, "\(rotated.bodyText)")
            let access = try #require(rotated.json["access_token"] as? String)
            let next = try #require(rotated.json["refresh_token"] as? String)
            #expect(next != session.refreshToken)
            let claims = try stack.service.tokens.authorize(accessToken: access, for: .userInfo)
            #expect(claims.subject == String(user.id) && claims.clientID == id && claims.scope == "mail:read")
            #expect(claims.sessionID == session.sessionID && !claims.isClientToken)
            // The JSON route refreshes logins only.
            let json = try await http.post("/token/refresh", json: #"{"refresh_token":"\#(next)"}"#)
            #expect(json.status == .unauthorized && json.errorCode == "invalid_refresh_token")
            // The next refresh without scope gets the session's; a disable of the client cuts off
            // the user's tokens issued through it.
            let again = try await refresh(id, secret, "refresh_token=\(next)")
            let full = try #require(again.json["access_token"] as? String)
            #expect(
                try stack.service.tokens.authorize(accessToken: full, for: .userInfo).scope == "mail:read mail:send")
            _ = try await stack.admin.updateClient(id: id, .init(disabled: true), by: TestStack.testOperator)
            #expect(await Self.refusal(stack, full, for: .userInfo) == "token_revoked")
            #expect(await Self.refusal(stack, login.accessToken) == "ok", "a login's token is not the client's")
        }
        await stack.shutdown()
    }

    @Test("revoking a refresh token ends its session (and its access tokens) only when it is the client's own")
    func revokeRefreshToken() async throws {
        let stack = try await Self.stack()
        let (id, secret) = try await Self.client(stack, grants: [.refreshToken])
        let (other, otherSecret) = try await Self.client(stack, grants: [.refreshToken])
        let (account, _) = try await stack.account()
        let user = try #require(try await stack.users.find(id: account.id))
        let client = try await stack.admin.client(id: id, by: TestStack.testOperator)
        let session = try await stack.service.sessions.start(for: user, source: nil, userAgent: nil, client: client)
        let login = try await stack.service.login(username: user.username, password: TestStack.password).tokens
        try await withServer(stack: stack) { http in
            let revoke = { (client: String, secret: String, token: String) in
                try await http.execute(
                    uri: "/oauth2/revoke", method: .post, headers: Self.basic(client, secret),
                    body: ByteBuffer(string: "token=\(token)&token_type_hint=refresh_token"))
            }
            #expect(try await revoke(other, otherSecret, session.refreshToken).status == .ok)
            #expect(try await revoke(id, secret, login.refreshToken).status == .ok)
            #expect(
                await Self.refusal(stack, session.accessToken, for: .userInfo) == "ok",
                "another client's revocation did nothing")
            #expect(await Self.refusal(stack, login.accessToken) == "ok", "a login's refresh token is not the client's")
            #expect(try await revoke(id, secret, session.refreshToken).status == .ok)
            #expect(await Self.refusal(stack, session.accessToken, for: .userInfo) == "token_revoked")
            let refreshed = try await http.execute(
                uri: "/oauth2/token", method: .post, headers: Self.basic(id, secret),
                body: ByteBuffer(string: "grant_type=refresh_token&refresh_token=\(session.refreshToken)"))
            #expect(refreshed.json["error"] as? String == "invalid_grant")
        }
        await stack.shutdown()
    }

    // MARK: Helpers

    static func token(_ client: some TestClientProtocol, _ id: String, _ secret: String) async throws -> String {
        let response = try await client.execute(
            uri: "/oauth2/token", method: .post, headers: basic(id, secret),
            body: ByteBuffer(string: "grant_type=client_credentials"))
        return try #require(response.json["access_token"] as? String, "\(response.bodyText)")
    }

    static func tokenStatus(_ client: some TestClientProtocol, _ id: String, _ secret: String) async throws -> Int {
        Int(
            try await client.execute(
                uri: "/oauth2/token", method: .post, headers: basic(id, secret),
                body: ByteBuffer(string: "grant_type=client_credentials")
            ).status.code)
    }

    /// "ok" or why the token is refused, as `use` sees it (a client's token and a login's: any
    /// gateway; a user's token issued to a client: its userinfo).
    static func refusal(_ stack: TestStack, _ token: String, for use: TokenUse = .gateway) async -> String {
        await TestStack.outcome { try stack.service.tokens.authorize(accessToken: token, for: use) }
    }

    @Test(
        "userinfo by GET, POST header and POST body: sub, profile's names, email's address (roles only with the roles scope); 401 and 403 as RFC 6750 says"
    )
    func userInfo() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: Self.openIDScopes))
        let (user, own) = try await stack.account()
        let rp = try await Self.relyingParty(stack)
        try await withServer(stack: stack) { client in
            let full = try await Self.exchange(
                client, rp, code: try await Self.code(stack, rp.client, user, scope: "openid profile email"))
            let bearer: HTTPFields = [.authorization: "Bearer \(full)"]
            let byGet = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: bearer)
            #expect(byGet.status == .ok, "\(byGet.bodyText)")
            #expect(byGet.json["sub"] as? String == String(user.id) && byGet.json["roles"] == nil)
            #expect(byGet.json["preferred_username"] as? String == user.username)
            #expect(byGet.json["email"] as? String == user.email && byGet.json["email_verified"] as? Bool == false)
            #expect(byGet.headers[.cacheControl] == "no-store")
            let byPostHeader = try await client.execute(uri: "/oauth2/userinfo", method: .post, headers: bearer)
            #expect(byPostHeader.status == .ok && byPostHeader.bodyText == byGet.bodyText)
            let byPostBody = try await client.execute(
                uri: "/oauth2/userinfo", method: .post, headers: Self.form,
                body: ByteBuffer(string: "access_token=\(full)"))
            #expect(byPostBody.status == .ok && byPostBody.bodyText == byGet.bodyText)
            var both = bearer
            both[.contentType] = "application/x-www-form-urlencoded"
            let twice = try await client.execute(
                uri: "/oauth2/userinfo", method: .post, headers: both, body: ByteBuffer(string: "access_token=\(full)"))
            #expect(twice.status == .badRequest && twice.json["error"] as? String == "invalid_request")

            let narrow = try await Self.exchange(
                client, rp, code: try await Self.code(stack, rp.client, user, scope: "openid"))
            let minimal = try await client.execute(
                uri: "/oauth2/userinfo", method: .get, headers: [.authorization: "Bearer \(narrow)"])
            #expect(minimal.json["sub"] != nil && minimal.json["email"] == nil && minimal.json["name"] == nil)

            let profileOnly = try await Self.exchange(
                client, rp, code: try await Self.code(stack, rp.client, user, scope: "profile"))
            let noOpenID = try await client.execute(
                uri: "/oauth2/userinfo", method: .get, headers: [.authorization: "Bearer \(profileOnly)"])
            #expect(noOpenID.status == .forbidden && noOpenID.json["error"] as? String == "insufficient_scope")
            #expect(noOpenID.headers[.wwwAuthenticate]?.contains(#"error="insufficient_scope""#) == true)
            for headers: HTTPFields in [[:], [.authorization: "Bearer not.a.token"]] {
                let refused = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: headers)
                #expect(refused.status == .unauthorized && refused.json["error"] as? String == "invalid_token")
                #expect(refused.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            try await stack.service.sessions.logoutAll(accessToken: own)
            let revoked = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: bearer)
            #expect(revoked.status == .unauthorized, "a revoked token, refused from memory")
        }
        await stack.shutdown()
    }

    @Test(
        "authorization_code at the token endpoint: a confidential client with its secret, a public one by client_id and PKCE; a replay is invalid_grant and ends the session"
    )
    func authorizationCode() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: Self.openIDScopes))
        let verifier = Self.verifier
        let user = try await stack.account().user
        func register(_ type: ClientType) async throws -> RegisteredClient { try await Self.relyingParty(stack, type) }
        @Sendable func code(for client: OAuthClient) async throws -> String {
            try await Self.code(stack, client, user, scope: "openid profile")
        }
        let confidential = try await register(.confidential)
        let public_ = try await register(.public)
        try await withServer(stack: stack) { client in
            let code1 = try await code(for: confidential.client)
            let form = "grant_type=authorization_code&code=\(code1)&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb"
            let exchanged = try await client.execute(
                uri: "/oauth2/token", method: .post,
                headers: Self.basic(confidential.client.id, try #require(confidential.secret)),
                body: ByteBuffer(string: form + "&code_verifier=\(verifier)"))
            #expect(exchanged.status == .ok, "\(exchanged.bodyText)")
            #expect(exchanged.headers[.cacheControl] == "no-store")
            #expect(exchanged.json["scope"] as? String == "openid profile" && exchanged.json["refresh_token"] != nil)
            let token = try #require(exchanged.json["access_token"] as? String)
            #expect(try stack.service.tokens.authorize(accessToken: token, for: .userInfo).subject == String(user.id))

            let replay = try await client.execute(
                uri: "/oauth2/token", method: .post,
                headers: Self.basic(confidential.client.id, try #require(confidential.secret)),
                body: ByteBuffer(string: form + "&code_verifier=\(verifier)"))
            #expect(replay.status == .badRequest && replay.json["error"] as? String == "invalid_grant")
            let protected = try await client.execute(
                uri: "/protected", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(protected.status == .unauthorized, "the replay ended the first exchange's session")

            let code2 = try await code(for: public_.client)
            let publicForm =
                "grant_type=authorization_code&client_id=\(public_.client.id)&code=\(code2)"
                + "&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb"
            let noSecret = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: Self.form,
                body: ByteBuffer(string: publicForm + "&code_verifier=\(verifier)"))
            #expect(noSecret.status == .ok, "a public client by client_id and PKCE: \(noSecret.bodyText)")

            let confidentialAsPublic = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: Self.form,
                body: ByteBuffer(
                    string: "grant_type=authorization_code&client_id=\(confidential.client.id)&code=\(code1)"))
            #expect(confidentialAsPublic.status == .unauthorized)
            #expect(confidentialAsPublic.json["error"] as? String == "invalid_client")
        }
        await stack.shutdown()
    }
}
