import AuthCore
import AuthCrypto
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// The OpenID Foundation's Back-Channel Logout OP and Front-Channel Logout OP plans, rewritten: two
/// applications signed in through one SSO session; signing out of authd ends both applications'
/// sessions and tokens, posts each back-channel client a logout token of its own, and loads each
/// front-channel client's page in the signed-out page.
@Suite("OIDF Back-Channel and Front-Channel Logout OP")
struct LogoutChannelTests {
    typealias Browser = PortalFlowTests.Browser

    /// The logout tokens "posted", by URI, in order.
    final class Posted: LogoutTokenTransport {
        let tokens = Mutex<[(uri: String, token: String)]>([])
        func post(logoutToken: String, to uri: String) async -> OutboxOutcome {
            tokens.withLock { $0.append((uri, logoutToken)) }
            return .delivered
        }
        var all: [(uri: String, token: String)] { tokens.withLock { $0 } }
    }

    /// A first-party application (no consent asked) with the given logout channels.
    static func application(_ stack: TestStack, _ logout: LogoutChannels) async throws -> RegisteredClient {
        try await stack.admin.createClient(
            NewClient(
                id: TestDatabase.uniqueName("rp"), grantTypes: [.authorizationCode, .refreshToken],
                scopes: Array(OAuthTests.openIDScopes), redirectURIs: [OAuthTests.redirect], skipConsent: true,
                logout: logout),
            by: TestStack.testOperator)
    }

    /// A code for `rp` in `browser`'s SSO session, exchanged: the token response's fields.
    static func signIn(
        _ browser: Browser, _ client: any TestClientProtocol, _ rp: RegisteredClient, as user: User
    ) async throws -> [String: Any] {
        let exchanged = try await exchange(client, rp, try await code(browser, client, rp, as: user))
        #expect(exchanged.status == .ok, "\(exchanged.bodyText)")
        return exchanged.json
    }

    /// A code for `rp` in `browser`'s SSO session, signing in first when there is none.
    static func code(
        _ browser: Browser, _ client: any TestClientProtocol, _ rp: RegisteredClient, as user: User
    ) async throws -> String {
        var answer = try await browser.get(client, PortalFlowTests.authorizeURI(rp.client.id))
        if answer.headers[.location]?.hasPrefix("/ui/login") == true {
            let login = try await browser.get(client, try #require(answer.headers[.location]))
            let (_, signedIn) = try await PortalFlowTests.signIn(browser, client, on: login, as: user)
            answer = try await browser.get(client, try #require(signedIn.headers[.location]))
        }
        return try #require(PortalFlowTests.query(answer.headers[.location])["code"], "\(answer.status)")
    }

    static func exchange(_ client: any TestClientProtocol, _ rp: RegisteredClient, _ code: String) async throws
        -> TestResponse
    {
        try await client.execute(
            uri: "/oauth2/token", method: .post, headers: OAuthTests.basic(rp.client.id, try #require(rp.secret)),
            body: ByteBuffer(
                string: "grant_type=authorization_code&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb"
                    + "&code_verifier=\(OAuthTests.verifier)&code=\(code)"))
    }

    /// A compact JWS's header and payload, as JSON objects.
    static func parts(_ token: String) throws -> (header: [String: Any], claims: [String: Any]) {
        let parts = token.split(separator: ".").map(String.init)
        let decode = { (part: String) throws -> [String: Any] in
            let bytes = try #require(Base64.url.decode(part))
            return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        }
        return (try decode(parts[0]), try decode(parts[1]))
    }

    @Test(
        "oidcc-backchannel-rp-initiated-logout and oidcc-frontchannel-rp-initiated-logout: sid in ID tokens; sign-out ends every application's tokens, posts each back-channel client its own logout token, frames each front-channel page"
    )
    func signOut() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (user, _) = try await stack.account()
        let back = try await Self.application(stack, .init(backChannel: "https://back.example.com/logout"))
        let front = try await Self.application(stack, .init(frontChannel: "https://front.example.com/fc?app=1"))
        let both = try await Self.application(
            stack, .init(backChannel: "https://both.example.com/bc", frontChannel: "https://both.example.com/fc"))
        let browser = Browser()
        let posted = Posted()
        let delivery = OutboxDelivery(
            store: stack.stores.outbox,
            handlers: [
                .backChannelLogout: BackChannelLogoutDelivery(
                    oauth: stack.service.oauth, transport: posted, logger: Logger(label: "test"))
            ],
            logger: Logger(label: "test"))
        try await withServer(stack: stack) { client in
            let signedIn = [
                try await Self.signIn(browser, client, back, as: user),
                try await Self.signIn(browser, client, front, as: user),
                try await Self.signIn(browser, client, both, as: user),
            ]
            let sids = try signedIn.map {
                try Self.parts(try #require($0["id_token"] as? String)).claims["sid"] as? String
            }
            let sid = try #require(sids[0])
            #expect(Set(sids) == [sid], "one SSO session, one sid, in every application's ID token")
            #expect(try await delivery.deliverDue().isEmpty, "nothing to tell while signed in")

            let out = try await browser.post(
                client, "/ui/logout", [("csrf", try await PortalFlowTests.freshCSRF(browser, client))])
            #expect(out.status == .ok && out.bodyText.contains("Signed out"))
            let issuer = "http%3A%2F%2F127.0.0.1%3A5000"
            #expect(
                out.bodyText.contains(
                    #"<iframe src="https://front.example.com/fc?app=1&amp;iss=\#(issuer)&amp;sid=\#(sid)""#),
                "\(out.bodyText)")
            #expect(out.bodyText.contains(#"<iframe src="https://both.example.com/fc?iss=\#(issuer)&amp;sid=\#(sid)""#))
            #expect(!out.bodyText.contains("back.example.com"), "a back-channel-only client has no frame")
            let policy = try #require(out.headers[.contentSecurityPolicy])
            let frameSources = policy.split(separator: ";").first { $0.hasPrefix(" frame-src ") }?
                .split(separator: " ").dropFirst()
            #expect(
                frameSources.map(Set.init) == ["https://both.example.com/fc", "https://front.example.com/fc"],
                "exactly those pages, without their queries: \(policy)")
            #expect(policy.contains("frame-ancestors 'none'"))

            for (rp, tokens) in zip([back, front, both], signedIn) {
                let refresh = try await client.execute(
                    uri: "/oauth2/token", method: .post,
                    headers: OAuthTests.basic(rp.client.id, try #require(rp.secret)),
                    body: ByteBuffer(
                        string: "grant_type=refresh_token&refresh_token=\(try #require(tokens["refresh_token"]))"))
                #expect(refresh.status == .badRequest && refresh.json["error"] as? String == "invalid_grant")
                let userinfo = try await client.execute(
                    uri: "/oauth2/userinfo", method: .get,
                    headers: [.authorization: "Bearer \(try #require(tokens["access_token"]))"])
                #expect(userinfo.status == .unauthorized, "every application's access token ends with the SSO session")
            }

            #expect(try await delivery.deliverDue().values.allSatisfy { $0 == .delivered })
            let logouts = posted.all.sorted { $0.uri < $1.uri }
            #expect(logouts.map(\.uri) == ["https://back.example.com/logout", "https://both.example.com/bc"])
            let pair = try #require(stack.codec.keyring.idTokenPair(for: .rs256))
            for ((_, token), rp) in zip(logouts, [back, both]) {
                let (header, claims) = try Self.parts(token)
                #expect(header["typ"] as? String == "logout+jwt" && header["alg"] as? String == "RS256")
                #expect(header["kid"] as? String == pair.id)
                let pieces = token.split(separator: ".")
                #expect(
                    pair.key.verify(
                        try #require(Base64.url.decode(pieces[2])), of: Array("\(pieces[0]).\(pieces[1])".utf8)))
                #expect(claims["iss"] as? String == "http://127.0.0.1:5000" && claims["aud"] as? String == rp.client.id)
                #expect(claims["sub"] as? String == String(user.id) && claims["sid"] as? String == sid)
                let events = try #require(claims["events"] as? [String: Any])
                #expect(events.keys.sorted() == ["http://schemas.openid.net/event/backchannel-logout"])
                #expect(claims["nonce"] == nil && (claims["jti"] as? String)?.count == 22)
                let iat = try #require(claims["iat"] as? Int)
                #expect(claims["exp"] as? Int == iat + 120 && abs(iat - Int(UnixTime.now())) < 10)
            }
            #expect(try await delivery.deliverDue().isEmpty, "each told once")
        }
        await stack.shutdown()
    }

    @Test("a sign-out with a post_logout_redirect_uri frames the front-channel pages first, then goes on")
    func frontChannelThenRedirect() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (user, _) = try await stack.account()
        let rp = try await Self.application(stack, .init(frontChannel: "https://rp.example.com/fc"))
        let browser = Browser()
        try await withServer(stack: stack) { client in
            let tokens = try await Self.signIn(browser, client, rp, as: user)
            let confirm = try await browser.get(
                client,
                "/oauth2/logout?id_token_hint=\(try #require(tokens["id_token"]))"
                    + "&post_logout_redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&state=bye")
            let out = try await browser.post(
                client, "/ui/logout",
                [
                    ("csrf", try #require(PortalFlowTests.hidden("csrf", in: confirm))), ("client_id", rp.client.id),
                    ("post_logout_redirect_uri", "https://rp.example.com/cb"), ("state", "bye"),
                ])
            #expect(out.status == .ok, "a page, so that the frames load")
            #expect(out.bodyText.contains(#"<iframe src="https://rp.example.com/fc?iss="#))
            #expect(
                out.bodyText.contains(
                    #"<meta http-equiv="refresh" content="2;url=https://rp.example.com/cb?state=bye">"#))
            #expect(
                out.bodyText.contains(#"<a class="button" href="https://rp.example.com/cb?state=bye">Continue</a>"#))
        }
        await stack.shutdown()
    }

    @Test("a code issued before the sign-out opens nothing after it: the SSO session it was issued in has ended")
    func codeAfterSignOut() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (user, _) = try await stack.account()
        let rp = try await Self.application(stack, .init())
        let browser = Browser()
        try await withServer(stack: stack) { client in
            let code = try await Self.code(browser, client, rp, as: user)
            _ = try await browser.post(
                client, "/ui/logout", [("csrf", try await PortalFlowTests.freshCSRF(browser, client))])
            let before = try await stack.sessions.sessions(of: user.id)
            let late = try await Self.exchange(client, rp, code)
            #expect(late.status == .badRequest && late.json["error"] as? String == "invalid_grant", "\(late.bodyText)")
            #expect(try await stack.sessions.sessions(of: user.id) == before, "no session was opened")
        }
        await stack.shutdown()
    }

    @Test("logout URIs are checked as redirect URIs are: absolute https (http on loopback), no fragment, no policy")
    func registration() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        for bad in [
            "javascript:alert(1)", "http://rp.example.com/bc", "https://rp.example.com/bc#x", "/relative",
            "https://rp.example.com/a;b", "https://rp.example.com/a,b", "https://rp.example.com/'x'",
            "com.example.app:/logout", "https://*.example.com/bc",
        ] {
            for channels in [LogoutChannels(backChannel: bad), LogoutChannels(frontChannel: bad)] {
                await #expect(throws: AuthError.self, "\(bad)") {
                    _ = try await Self.application(stack, channels)
                }
            }
        }
        let local = try await Self.application(
            stack, .init(backChannel: "http://127.0.0.1:8080/bc?x=1", frontChannel: "http://localhost/fc"))
        #expect(local.client.logout.backChannel == "http://127.0.0.1:8080/bc?x=1")
        let (_, token) = try await stack.account(roles: [Role.admin])
        try await withServer(stack: stack) { client in
            let cleared = try await client.send(
                .patch, "/admin/clients/\(local.client.id)", token: token, json: #"{"backchannel_logout_uri":null}"#)
            #expect(cleared.status == .ok && cleared.json["backchannel_logout_uri"] is NSNull, "\(cleared.bodyText)")
            #expect(cleared.json["frontchannel_logout_uri"] as? String == "http://localhost/fc")
            let refused = try await client.send(
                .patch, "/admin/clients/\(local.client.id)", token: token,
                json: #"{"frontchannel_logout_uri":"javascript:alert(1)"}"#)
            #expect(refused.status == .unprocessableContent && refused.errorCode == "invalid_client_metadata")
            let discovery = try await client.execute(uri: "/.well-known/openid-configuration", method: .get)
            for field in [
                "backchannel_logout_supported", "backchannel_logout_session_supported", "frontchannel_logout_supported",
                "frontchannel_logout_session_supported",
            ] {
                #expect(discovery.json[field] as? Bool == true, "\(field)")
            }
        }
        await stack.shutdown()
    }
}
