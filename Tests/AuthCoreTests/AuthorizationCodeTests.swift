import AuthCore
import AuthCrypto
import AuthPostgres
import AuthTestSupport
import Foundation
import Testing

/// The authorization code grant's use cases against PostgreSQL: a code is spent once across any
/// number of presentations, a replay ends what the first use opened, and PKCE, the redirect URI and
/// the client are checked.
@Suite("authorization codes against PostgreSQL")
struct AuthorizationCodeTests {
    static let scopes: Set<String> = ["openid", "profile", "email"]
    static let redirect = "https://rp.example.com/callback"
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    struct Fixture {
        let stack: TestStack
        let client: OAuthClient
        let user: User

        var oauth: OAuthService { stack.service.oauth }

        /// A checked request of `client`, with a challenge unless `pkce` is false.
        func request(pkce: Bool = true, nonce: String? = "n-1") throws -> AuthorizationRequest {
            try AuthorizationRules.check(
                AuthorizationParameters(
                    responseType: "code", clientID: client.id, redirectURI: AuthorizationCodeTests.redirect,
                    scope: "openid profile", state: "s", nonce: nonce,
                    codeChallenge: pkce ? AuthorizationCodeTests.challenge : nil,
                    codeChallengeMethod: pkce ? "S256" : nil),
                client: client, configuredScopes: AuthorizationCodeTests.scopes
            ).get()
        }

        func code(pkce: Bool = true, authTime: Int64 = UnixTime.now()) async throws -> String {
            try await oauth.issueCode(for: try request(pkce: pkce), user: user, authTime: authTime, methods: ["pwd"])
        }

        func exchange(
            _ code: String, verifier: String? = AuthorizationCodeTests.verifier, by client: OAuthClient? = nil,
            redirect: String = AuthorizationCodeTests.redirect
        ) async throws -> CodeExchange {
            try await oauth.exchange(
                code: code, redirectURI: redirect, codeVerifier: verifier, for: client ?? self.client)
        }
    }

    static func fixture(_ type: ClientType = .confidential) async throws -> Fixture {
        let stack = try await TestStack(configuration: .init(scopes: scopes))
        let client = try await Self.client(stack, type)
        return Fixture(stack: stack, client: client, user: try await stack.account().user)
    }

    static func client(_ stack: TestStack, _ type: ClientType = .confidential) async throws -> OAuthClient {
        try await stack.admin.createClient(
            NewClient(
                id: TestDatabase.uniqueName("rp"), type: type, grantTypes: [.authorizationCode, .refreshToken],
                scopes: ["openid", "profile", "email"], redirectURIs: [redirect]),
            by: TestStack.testOperator
        ).client
    }

    @Test("a code is exchanged once for a session of the client: its tokens carry the client and the scopes")
    func exchange() async throws {
        let fixture = try await Self.fixture()
        let exchanged = try await fixture.exchange(try await fixture.code())
        #expect(exchanged.user.id == fixture.user.id && exchanged.grant.nonce == "n-1")
        #expect(exchanged.grant.scopes == ["openid", "profile"] && exchanged.grant.methods == ["pwd"])
        let claims = try fixture.stack.service.tokens.authorize(
            accessToken: exchanged.tokens.accessToken, for: .userInfo)
        #expect(claims.subject == String(fixture.user.id) && claims.clientID == fixture.client.id)
        #expect(claims.scope == "openid profile" && claims.sessionID == exchanged.tokens.sessionID)
        let refreshed = try await fixture.oauth.refresh(
            for: fixture.client, refreshToken: exchanged.tokens.refreshToken, scope: nil)
        #expect(refreshed.sessionID == exchanged.tokens.sessionID, "the client refreshes its session")
        await fixture.stack.shutdown()
    }

    @Test(
        "an openid code's exchange returns an RS256 ID token: signed by the keyring's ID-token pair, with iss, sub, aud, azp, nonce, auth_time, at_hash, amr, acr and roles"
    )
    func idToken() async throws {
        let fixture = try await Self.fixture()
        let authTime = UnixTime.now() - 3
        let exchanged = try await fixture.exchange(try await fixture.code(authTime: authTime))
        let token = try #require(exchanged.idToken)
        let parts = token.split(separator: ".").map(String.init)
        try #require(parts.count == 3)
        let pair = try #require(fixture.stack.codec.keyring.idTokenPair)
        #expect(pair.key.verify(try #require(Base64.url.decode(parts[2])), of: Array((parts[0] + "." + parts[1]).utf8)))
        let header =
            try JSONSerialization.jsonObject(with: Data(try #require(Base64.url.decode(parts[0])))) as? [String: String]
        #expect(header == ["alg": "RS256", "typ": "JWT", "kid": pair.id])
        let claims = try JSONDecoder().decode(IDTokenClaims.self, from: Data(try #require(Base64.url.decode(parts[1]))))
        #expect(claims.issuer == "http://127.0.0.1:5000" && claims.subject == String(fixture.user.id))
        #expect(claims.audience == fixture.client.id && claims.authorizedParty == fixture.client.id)
        #expect(claims.nonce == "n-1" && claims.authTime == authTime && claims.methods == ["pwd"])
        #expect(claims.authenticationClass == OAuthService.acrPassword && claims.roles == nil, "no roles scope")
        #expect(claims.expiresAt - claims.issuedAt == 900)
        #expect(
            claims.accessTokenHash == (try IDToken.accessTokenHash(exchanged.tokens.accessToken, signedWith: .rs256)))
        #expect(claims.preferredUsername == fixture.user.username && claims.email == nil, "profile, not email")
        // OpenID Connect Core §3.1.3.6's at_hash, computed independently of authd's helper.
        let digest = try Digest.hash(.sha256, Array(exchanged.tokens.accessToken.utf8))
        #expect(claims.accessTokenHash == Base64.url.encode(Array(digest[0..<16])))

        let plain = try await fixture.oauth.issueCode(
            for: try AuthorizationRules.check(
                AuthorizationParameters(
                    responseType: "code", clientID: fixture.client.id, redirectURI: Self.redirect, scope: "profile",
                    codeChallenge: Self.challenge, codeChallengeMethod: "S256"),
                client: fixture.client, configuredScopes: Self.scopes
            ).get(), user: fixture.user, authTime: authTime, methods: ["pwd", "otp"])
        #expect(try await fixture.exchange(plain).idToken == nil, "no openid, no ID token")

        // What a relying party and an id_token_hint must refuse: the same claims unsigned, or
        // under a kid authd does not have.
        let unsigned = Base64.url.encode(Array(#"{"alg":"none","typ":"JWT","kid":"\#(pair.id)"}"#.utf8))
        #expect(IDToken.claims(of: token, signedBy: pair) != nil)
        #expect(IDToken.claims(of: unsigned + "." + parts[1] + ".", signedBy: pair) == nil, "alg none")
        let otherKid = Base64.url.encode(Array(#"{"alg":"RS256","typ":"JWT","kid":"other"}"#.utf8))
        #expect(IDToken.claims(of: otherKid + "." + parts[1] + "." + parts[2], signedBy: pair) == nil)
        await fixture.stack.shutdown()
    }

    @Test(
        "a client registered for EdDSA ID tokens gets them signed by the access-token pair; one the keyring cannot sign is refused at registration"
    )
    func idTokenAlgorithm() async throws {
        let signing = try SigningKey.generate(.edDSA)
        let codec = AccessTokenCodec(
            keyring: try JWTKeyring(
                signingKey: JWTKey(id: "test-key", secret: TestStack.secret), signingPair: signing,
                idTokenKey: try TestStack.idTokenKey.get()),
            validation: .init(issuer: "authd-test", audience: "authd-test-clients"))
        let stack = try await TestStack(configuration: .init(scopes: Self.scopes), codec: codec)
        #expect(stack.service.tokens.idTokenAlgorithms == [.rs256, .edDSA])
        let client = try await stack.admin.createClient(
            NewClient(
                id: TestDatabase.uniqueName("rp"), grantTypes: [.authorizationCode], scopes: ["openid", "profile"],
                redirectURIs: [Self.redirect], idTokenAlgorithm: .edDSA),
            by: TestStack.testOperator
        ).client
        #expect(client.idTokenAlgorithm == .edDSA)
        let fixture = Fixture(stack: stack, client: client, user: try await stack.account().user)
        let exchanged = try await fixture.exchange(try await fixture.code())
        let token = try #require(exchanged.idToken)
        let pair = try #require(codec.keyring.idTokenPair(for: .edDSA))
        #expect(pair.id == codec.keyring.signingPair?.id, "the access-token pair, whose kid the JWKS lists")
        let claims = try #require(IDToken.claims(of: token, signedBy: pair), "EdDSA, under the signing pair's kid")
        #expect(claims.audience == client.id)
        let sha512 = try Digest.hash(.sha512, Array(exchanged.tokens.accessToken.utf8))
        #expect(claims.accessTokenHash == Base64.url.encode(sha512.prefix(32)), "at_hash: SHA-512's left half")
        #expect(IDToken.claims(of: token, signedBy: try #require(codec.keyring.idTokenPair)) == nil)

        #expect(
            await TestStack.outcome {
                _ = try await stack.admin.createClient(
                    NewClient(id: TestDatabase.uniqueName("rp"), idTokenAlgorithm: .es256), by: TestStack.testOperator)
            } == "invalid_client_metadata", "no ES256 key")
        let back = try await stack.admin.updateClient(
            id: client.id, ClientChange(idTokenAlgorithm: .rs256), by: TestStack.testOperator)
        #expect(back.idTokenAlgorithm == .rs256 && back.notBefore == nil, "no cut-off for a new ID-token algorithm")
        await stack.shutdown()
    }

    @Test("a replayed code is refused and ends the session its first use opened, access and refresh tokens both")
    func replay() async throws {
        let fixture = try await Self.fixture()
        let code = try await fixture.code()
        let first = try await fixture.exchange(code)
        #expect(await TestStack.outcome { _ = try await fixture.exchange(code) } == "invalid_grant")
        #expect(
            await TestStack.outcome {
                _ = try fixture.stack.service.tokens.authorize(accessToken: first.tokens.accessToken, for: .userInfo)
            } == "token_revoked")
        #expect(
            await TestStack.outcome {
                _ = try await fixture.oauth.refresh(
                    for: fixture.client, refreshToken: first.tokens.refreshToken, scope: nil)
            } == "invalid_grant")
        await fixture.stack.shutdown()
    }

    @Test(
        "a code replayed 31 s after its use (the Basic OP plan's wait), and one replayed after it expired: refused, and the session ends"
    )
    func lateReplay() async throws {
        let fixture = try await Self.fixture()
        let waited = try await fixture.code()
        let first = try await fixture.exchange(waited)
        // 31 s on the database's clock: the code's use and expiry moved back by as much.
        let waitedOut = try await fixture.stack.pool.withConnection { connection in
            try connection.query(
                """
                UPDATE authorization_codes SET used_at = used_at - interval '31 seconds',
                    expires_at = expires_at - interval '31 seconds'
                WHERE session_id = $1
                """, [first.tokens.sessionID]
            ).affectedRows
        }
        #expect(waitedOut == 1)
        #expect(await TestStack.outcome { _ = try await fixture.exchange(waited) } == "invalid_grant")
        #expect(
            await TestStack.outcome {
                _ = try fixture.stack.service.tokens.authorize(accessToken: first.tokens.accessToken, for: .userInfo)
            } == "token_revoked")

        // Past the code's 60 s: its row is kept (a day), so a replay still ends the session.
        let expired = try await fixture.code()
        let second = try await fixture.exchange(expired)
        let moved = try await fixture.stack.pool.withConnection { connection in
            try connection.query(
                """
                UPDATE authorization_codes SET used_at = used_at - interval '10 minutes',
                    expires_at = expires_at - interval '10 minutes'
                WHERE session_id = $1
                """, [second.tokens.sessionID]
            ).affectedRows
        }
        #expect(moved == 1, "the code's row, found by the session its use opened")
        #expect(await TestStack.outcome { _ = try await fixture.exchange(expired) } == "invalid_grant")
        #expect(
            await TestStack.outcome {
                _ = try await fixture.oauth.refresh(
                    for: fixture.client, refreshToken: second.tokens.refreshToken, scope: nil)
            } == "invalid_grant")
        await fixture.stack.shutdown()
    }

    @Test("ten presentations of one code at once: exactly one session, and the replays end it")
    func concurrentPresentations() async throws {
        let fixture = try await Self.fixture()
        let code = try await fixture.code()
        let results = await withTaskGroup(of: CodeExchange?.self) { group in
            for _ in 0..<10 { group.addTask { try? await fixture.exchange(code) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let winners = results.compactMap { $0 }
        #expect(winners.count <= 1, "at most one presentation redeems a code")
        for winner in winners {
            // Replays that came after the winner attached its session ended it; one that came in
            // between made the winner fail instead. Either way no session outlives a replay.
            #expect(
                await TestStack.outcome {
                    _ = try fixture.stack.service.tokens.authorize(
                        accessToken: winner.tokens.accessToken, for: .userInfo)
                } == "token_revoked")
        }
        await fixture.stack.shutdown()
    }

    @Test("another client's attempt is refused and leaves the code for its own client")
    func anotherClient() async throws {
        let fixture = try await Self.fixture()
        let other = try await Self.client(fixture.stack)
        let code = try await fixture.code()
        #expect(await TestStack.outcome { _ = try await fixture.exchange(code, by: other) } == "invalid_grant")
        _ = try await fixture.exchange(code)
        await fixture.stack.shutdown()
    }

    @Test(
        "PKCE and redirect URI: a wrong, missing or unexpected verifier and another redirect URI are refused, and spend the code"
    )
    func pkceAndRedirect() async throws {
        let fixture = try await Self.fixture()
        let refusals: [(String, @Sendable (Fixture, String) async throws -> Void)] = [
            ("a wrong verifier", { _ = try await $0.exchange($1, verifier: String(repeating: "a", count: 43)) }),
            ("no verifier", { _ = try await $0.exchange($1, verifier: nil) }),
            ("an extra path", { _ = try await $0.exchange($1, redirect: Self.redirect + "/x") }),
            ("an extra query", { _ = try await $0.exchange($1, redirect: Self.redirect + "?x=1") }),
        ]
        for (what, attempt) in refusals {
            let code = try await fixture.code()
            #expect(await TestStack.outcome { try await attempt(fixture, code) } == "invalid_grant", "\(what)")
            #expect(
                await TestStack.outcome { _ = try await fixture.exchange(code) } == "invalid_grant", "\(what): spent")
        }
        let optedOut = try await fixture.stack.admin.updateClient(
            id: fixture.client.id, ClientChange(requiresPKCE: false), by: TestStack.testOperator)
        #expect(optedOut.notBefore == nil, "opting out of PKCE cuts off no token")
        let withoutPKCE = Fixture(stack: fixture.stack, client: optedOut, user: fixture.user)
        let plain = try await withoutPKCE.code(pkce: false)
        #expect(
            await TestStack.outcome { _ = try await withoutPKCE.exchange(plain) } == "invalid_grant",
            "a verifier for a code issued without a challenge")
        _ = try await withoutPKCE.exchange(try await withoutPKCE.code(pkce: false), verifier: nil)
        await fixture.stack.shutdown()
    }

    @Test("unknown, malformed and cut-off codes: invalid_grant; a client without the grant: unauthorized_client")
    func refusals() async throws {
        let fixture = try await Self.fixture()
        for code in ["", "short", String(repeating: "A", count: 43), String(repeating: "A", count: 44)] {
            #expect(await TestStack.outcome { _ = try await fixture.exchange(code) } == "invalid_grant", "\(code)")
        }
        // The user authenticated, then logged out everywhere: the code of that authentication is void.
        let before = try await fixture.code(authTime: UnixTime.now() - 5)
        let login = try await fixture.stack.service.login(username: fixture.user.username, password: TestStack.password)
        try await fixture.stack.service.sessions.logoutAll(accessToken: try login.tokens.accessToken)
        #expect(await TestStack.outcome { _ = try await fixture.exchange(before) } == "invalid_grant")

        let credentialsOnly = {
            var client = fixture.client
            client.grantTypes = [.clientCredentials]
            return client
        }()
        #expect(
            await TestStack.outcome { _ = try await fixture.exchange(try await fixture.code(), by: credentialsOnly) }
                == "unauthorized_client")
        await fixture.stack.shutdown()
    }

    @Test("a public client names itself; a confidential, disabled or unknown one cannot pass as public")
    func publicClients() async throws {
        let fixture = try await Self.fixture(.public)
        #expect(try await fixture.oauth.publicClient(id: fixture.client.id) == fixture.client)
        let confidential = try await Self.client(fixture.stack)
        for id in [confidential.id, "no-such-client", "Not A Client"] {
            #expect(await TestStack.outcome { _ = try await fixture.oauth.publicClient(id: id) } == "invalid_client")
        }
        _ = try await fixture.exchange(try await fixture.code())
        await fixture.stack.shutdown()
    }
}
