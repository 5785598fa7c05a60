import AuthCore
import AuthCrypto
import AuthHTTP
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

extension OAuthTests {
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
            #expect(claims.sessionID == session.sessionID && claims.kind != .client)
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
