import AuthCore
import AuthCrypto
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The authorization endpoint and the portal's pages over HTTP, as a browser without JavaScript
/// walks them: redirects followed by hand, cookies carried by hand, forms posted as the pages
/// render them. (The browser test with Chromium and an Authlib relying party comes with the
/// discovery document.)
@Suite("portal: /oauth2/authorize and /ui pages")
struct PortalFlowTests {
    /// A browser's cookie jar and the forms of the last page.
    final class Browser: @unchecked Sendable {
        // One test drives it sequentially; @unchecked because the harness's closure is @Sendable.
        var cookies: [String: String] = [:]

        func headers(_ extra: HTTPFields = [:]) -> HTTPFields {
            var headers = extra
            if !cookies.isEmpty {
                headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: "; ")
            }
            return headers
        }

        func keep(_ response: TestResponse) {
            for line in response.headers[values: .setCookie] {
                let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                let name = String(pair[0])
                let value = pair.count == 2 ? String(pair[1]) : ""
                if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
            }
        }

        func get(_ client: any TestClientProtocol, _ uri: String) async throws -> TestResponse {
            let response = try await client.execute(uri: uri, method: .get, headers: headers())
            keep(response)
            return response
        }

        func post(_ client: any TestClientProtocol, _ uri: String, _ fields: [(String, String)]) async throws
            -> TestResponse
        {
            let body = fields.map { URLEncoding.component($0.0) + "=" + URLEncoding.component($0.1) }
                .joined(separator: "&")
            let response = try await client.execute(
                uri: uri, method: .post, headers: headers([.contentType: "application/x-www-form-urlencoded"]),
                body: ByteBuffer(string: body))
            keep(response)
            return response
        }
    }

    /// Posts the sign-in form of `login` (a sign-in page) for `user`: the CSRF token and the answer.
    static func signIn(_ browser: Browser, _ client: any TestClientProtocol, on login: TestResponse, as user: User)
        async throws -> (csrf: String, answer: TestResponse)
    {
        let csrf = try #require(hidden("csrf", in: login))
        let authz = try #require(hidden("authz", in: login))
        let answer = try await browser.post(
            client, "/ui/login",
            [("csrf", csrf), ("authz", authz), ("username", user.username), ("password", TestStack.password)])
        return (csrf, answer)
    }

    /// From a sign-in's answer through the consent page, answering `decision` with the page's
    /// own form: the consent post's answer.
    static func consent(
        _ browser: Browser, _ client: any TestClientProtocol, after signedIn: TestResponse, _ decision: String
    ) async throws -> TestResponse {
        let resumed = try await browser.get(client, try #require(signedIn.headers[.location]))
        let consent = try await browser.get(client, try #require(resumed.headers[.location]))
        let authz = try #require(hidden("authz", in: consent))
        let csrf = try #require(hidden("csrf", in: consent))
        return try await browser.post(
            client, "/ui/consent", [("csrf", csrf), ("authz", authz), ("decision", decision)])
    }

    /// The CSRF token of a form rendered now in `browser` (the consents page's, signed in or not:
    /// a token is bound to the SSO session it was rendered in).
    static func freshCSRF(_ browser: Browser, _ client: any TestClientProtocol) async throws -> String {
        let page = try await browser.get(client, "/ui/login")
        return try #require(hidden("csrf", in: page))
    }

    /// The value of a hidden field on a page.
    static func hidden(_ name: String, in page: TestResponse) -> String? {
        let marker = #"name="\#(name)" value=""#
        guard let start = page.bodyText.range(of: marker)?.upperBound,
            let end = page.bodyText[start...].firstIndex(of: "\"")
        else { return nil }
        return String(page.bodyText[start..<end]).replacingOccurrences(of: "&amp;", with: "&")
    }

    static func query(_ location: String?) -> [String: String] {
        let items = URLComponents(string: location ?? "")?.queryItems ?? []
        return Dictionary(items.map { ($0.name, $0.value ?? "") }) { first, _ in first }
    }

    static func authorizeURI(_ clientID: String, _ extra: String = "") -> String {
        "/oauth2/authorize?response_type=code&client_id=\(clientID)&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb"
            + "&scope=openid%20profile&state=st-1&nonce=n-1&code_challenge=\(OAuthTests.challenge)"
            + "&code_challenge_method=S256" + extra
    }

    @Test(
        "sign in, consent, code, exchange; then SSO straight to a code; prompt=none; sign-out; every page's headers")
    func fullFlow() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (user, _) = try await stack.account()
        let rp = try await OAuthTests.relyingParty(stack)
        let browser = Browser()
        try await withServer(stack: stack) { client in
            let start = try await browser.get(client, Self.authorizeURI(rp.client.id))
            #expect(start.status == .seeOther)
            let loginURI = try #require(start.headers[.location])
            #expect(loginURI.hasPrefix("/ui/login?authz="))

            let login = try await browser.get(client, loginURI)
            #expect(login.status == .ok && login.bodyText.contains("Sign in to continue to <strong>"))
            #expect(login.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(login.headers[.contentSecurityPolicy]?.contains("script-src") == false, "default-src 'none'")
            #expect(
                login.headers[.contentSecurityPolicy]?.contains("form-action 'self' https://rp.example.com") == true)
            #expect(login.headers[.cacheControl] == "no-store")
            #expect(!login.bodyText.contains("<script"))
            let csrf = try #require(Self.hidden("csrf", in: login))
            let authz = try #require(Self.hidden("authz", in: login))
            #expect(browser.cookies["authd_csrf"].map { $0.count == 43 && $0 != csrf } == true, "signed, not a copy")

            let noCSRF = try await browser.post(
                client, "/ui/login", [("authz", authz), ("username", user.username), ("password", TestStack.password)])
            #expect(noCSRF.status == .forbidden, "a form without its CSRF token")
            let wrong = try await browser.post(
                client, "/ui/login",
                [("csrf", csrf), ("authz", authz), ("username", user.username), ("password", "wrong password")])
            #expect(wrong.status == .unauthorized && wrong.bodyText.contains("Invalid username or password."))
            let unknown = try await browser.post(
                client, "/ui/login",
                [("csrf", csrf), ("authz", authz), ("username", "nobody-x"), ("password", "wrong password")])
            #expect(unknown.status == .unauthorized && unknown.bodyText.contains("Invalid username or password."))
            #expect(browser.cookies["authd_sso"] == nil)

            let signedIn = try await browser.post(
                client, "/ui/login",
                [("csrf", csrf), ("authz", authz), ("username", user.username), ("password", TestStack.password)])
            #expect(signedIn.status == .seeOther)
            #expect(
                signedIn.headers[values: .setCookie].contains { $0.contains("authd_sso=") && $0.contains("HttpOnly") })
            let resumed = try await browser.get(client, try #require(signedIn.headers[.location]))
            let consentURI = try #require(resumed.headers[.location])
            #expect(consentURI.hasPrefix("/ui/consent?authz="))
            let consent = try await browser.get(client, consentURI)
            #expect(consent.status == .ok && consent.bodyText.contains(rp.client.name))
            #expect(consent.bodyText.contains("See your username"))
            let allowed = try await browser.post(
                client, "/ui/consent",
                [
                    ("csrf", try #require(Self.hidden("csrf", in: consent))),
                    ("authz", try #require(Self.hidden("authz", in: consent))), ("decision", "allow"),
                ])
            let final = try await browser.get(client, try #require(allowed.headers[.location]))
            #expect(final.status == .found)
            let back = try #require(final.headers[.location])
            #expect(back.hasPrefix("https://rp.example.com/cb?"))
            let answer = Self.query(back)
            #expect(answer["state"] == "st-1" && answer["iss"] == "http://127.0.0.1:5000")
            let token = try await OAuthTests.exchange(client, rp, code: try #require(answer["code"]))
            #expect(try stack.service.tokens.authorize(accessToken: token, for: .userInfo).subject == String(user.id))

            // SSO: signed in and consented, the next request is a code at once, prompt=none too.
            let again = try await browser.get(client, Self.authorizeURI(rp.client.id, "&prompt=none"))
            #expect(again.status == .found && Self.query(again.headers[.location])["code"] != nil)
            let login2 = try await browser.get(client, Self.authorizeURI(rp.client.id, "&prompt=login"))
            #expect(login2.headers[.location]?.hasPrefix("/ui/login?") == true, "prompt=login asks again")

            let signOut = try await browser.post(
                client, "/ui/logout", [("csrf", try await Self.freshCSRF(browser, client))])
            #expect(signOut.status == .ok && signOut.bodyText.contains("Signed out"))
            #expect(browser.cookies["authd_sso"] == nil)
            let none = try await browser.get(client, Self.authorizeURI(rp.client.id, "&prompt=none"))
            #expect(none.status == .found && Self.query(none.headers[.location])["error"] == "login_required")
            #expect(Self.query(none.headers[.location])["state"] == "st-1")
        }
        await stack.shutdown()
    }

    @Test(
        "no redirect to what the client did not register; errors after that go back with state; deny is access_denied")
    func refusals() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let rp = try await OAuthTests.relyingParty(stack)
        let (user, _) = try await stack.account()
        let browser = Browser()
        try await withServer(stack: stack) { client in
            for uri in [
                "https%3A%2F%2Frp.example.com%2Fcb%2Fextra", "https%3A%2F%2Frp.example.com%2Fcb%3Fx%3D1",
                "https%3A%2F%2Fevil.example%2Fcb",
            ] {
                let page = try await browser.get(
                    client, "/oauth2/authorize?response_type=code&client_id=\(rp.client.id)&redirect_uri=\(uri)")
                #expect(page.status == .badRequest && page.headers[.location] == nil, "\(uri)")
                #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            }
            let unknown = try await browser.get(client, Self.authorizeURI("no-such-client"))
            #expect(unknown.status == .badRequest && unknown.headers[.location] == nil)
            let token = try await browser.get(client, Self.authorizeURI(rp.client.id, "&response_type=token"))
            #expect(token.status == .badRequest, "response_type twice is a page")
            let plain = try await browser.get(
                client,
                "/oauth2/authorize?response_type=code&client_id=\(rp.client.id)"
                    + "&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&state=s2&code_challenge=\(OAuthTests.verifier)"
                    + "&code_challenge_method=plain")
            #expect(plain.status == .found && Self.query(plain.headers[.location])["error"] == "invalid_request")
            #expect(Self.query(plain.headers[.location])["state"] == "s2")
            let forged = try await browser.get(client, "/ui/login?authz=forged")
            #expect(forged.status == .badRequest)

            let started = try await browser.get(client, Self.authorizeURI(rp.client.id))
            let login = try await browser.get(client, try #require(started.headers[.location]))
            let (_, signedIn) = try await Self.signIn(browser, client, on: login, as: user)
            let denied = try await Self.consent(browser, client, after: signedIn, "deny")
            #expect(denied.status == .found && Self.query(denied.headers[.location])["error"] == "access_denied")
            #expect(Self.query(denied.headers[.location])["state"] == "st-1")
        }
        await stack.shutdown()
    }

    @Test(
        "RP-initiated logout: a confirmation page, then back to the registered URI with the state; the SSO session is gone; an unregistered URI or a forged hint still signs out, never redirected"
    )
    func logout() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (user, _) = try await stack.account()
        let rp = try await OAuthTests.relyingParty(stack)
        let browser = Browser()
        try await withServer(stack: stack) { client in
            let started = try await browser.get(client, Self.authorizeURI(rp.client.id))
            let login = try await browser.get(client, try #require(started.headers[.location]))
            _ = try await Self.signIn(browser, client, on: login, as: user)
            let code = try await OAuthTests.code(stack, rp.client, user, scope: "openid")
            let exchanged = try await client.execute(
                uri: "/oauth2/token", method: .post,
                headers: OAuthTests.basic(rp.client.id, try #require(rp.secret)),
                body: ByteBuffer(
                    string: "grant_type=authorization_code&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb"
                        + "&code_verifier=\(OAuthTests.verifier)&code=\(code)"))
            let idToken = try #require(exchanged.json["id_token"] as? String)

            // Not sent back, but not left signed in either: the sign-out is offered, without the URI.
            let foreign = try await browser.get(
                client,
                "/oauth2/logout?client_id=\(rp.client.id)&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F&state=x"
            )
            #expect(
                foreign.status == .ok && foreign.headers[.location] == nil && foreign.bodyText.contains("Sign out?"))
            #expect(foreign.bodyText.contains("not one the client registered"), "it says why it will not go back")
            #expect(
                Self.hidden("post_logout_redirect_uri", in: foreign) == nil && Self.hidden("state", in: foreign) == nil)
            #expect(foreign.headers[.contentSecurityPolicy]?.contains("evil.example") == false)
            let forged = try await browser.get(client, "/oauth2/logout?id_token_hint=e30.e30.e30")
            #expect(forged.status == .ok && forged.bodyText.contains("not an ID token authd issued"))

            let confirm = try await browser.get(
                client,
                "/oauth2/logout?id_token_hint=\(idToken)&post_logout_redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&state=bye"
            )
            #expect(confirm.status == .ok && confirm.bodyText.contains("Sign out?"), "\(confirm.bodyText)")
            #expect(Self.hidden("client_id", in: confirm) == rp.client.id, "the client, from the hint's audience")
            #expect(try await browser.get(client, Self.authorizeURI(rp.client.id, "&prompt=none")).status == .found)
            let out = try await browser.post(
                client, "/ui/logout",
                [
                    ("csrf", try #require(Self.hidden("csrf", in: confirm))), ("client_id", rp.client.id),
                    ("post_logout_redirect_uri", "https://rp.example.com/cb"), ("state", "bye"),
                ])
            #expect(out.status == .seeOther && out.headers[.location] == "https://rp.example.com/cb?state=bye")
            let none = try await browser.get(client, Self.authorizeURI(rp.client.id, "&prompt=none"))
            #expect(Self.query(none.headers[.location])["error"] == "login_required", "the SSO session ended")
            let again = try await browser.get(
                client,
                "/oauth2/logout?client_id=\(rp.client.id)&post_logout_redirect_uri=https%3A%2F%2Frp.example.com%2Fcb")
            #expect(again.status == .seeOther, "no session: straight back, no page")

            // An unregistered URI, confirmed: signed out, on authd's page, never sent there.
            let second = Browser()
            let restarted = try await second.get(client, Self.authorizeURI(rp.client.id))
            _ = try await Self.signIn(
                second, client, on: try await second.get(client, try #require(restarted.headers[.location])), as: user)
            let offered = try await second.get(
                client,
                "/oauth2/logout?client_id=\(rp.client.id)&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F")
            let confirmed = try await second.post(
                client, "/ui/logout",
                [("csrf", try #require(Self.hidden("csrf", in: offered))), ("client_id", rp.client.id)])
            #expect(confirmed.status == .ok && confirmed.headers[.location] == nil)
            #expect(confirmed.bodyText.contains("Signed out") && second.cookies["authd_sso"] == nil)
            let silent = try await second.get(client, Self.authorizeURI(rp.client.id, "&prompt=none"))
            #expect(Self.query(silent.headers[.location])["error"] == "login_required", "the next visit asks again")
        }
        await stack.shutdown()
    }

    @Test(
        "as the Basic OP plan asks: POST to the endpoint, login_hint, no nonce, unknown and locale parameters ignored, scope order, max_age"
    )
    func conformanceOddsAndEnds() async throws {
        let time = TestClock()
        let stack = try await TestStack(
            backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes), time: time)
        let (user, _) = try await stack.account()
        let rp = try await OAuthTests.relyingParty(stack)
        let browser = Browser()
        try await withServer(stack: stack) { client in
            // POST with a form, a login_hint, no nonce, parameters authd does not use.
            let posted = try await browser.post(
                client, "/oauth2/authorize",
                [
                    ("response_type", "code"), ("client_id", rp.client.id), ("redirect_uri", OAuthTests.redirect),
                    ("scope", "email openid"), ("state", "p1"), ("code_challenge", OAuthTests.challenge),
                    ("code_challenge_method", "S256"), ("login_hint", user.username), ("ui_locales", "de fr"),
                    ("claims_locales", "de"), ("acr_values", "urn:x"), ("display", "page"), ("foo", "bar"),
                ])
            #expect(posted.status == .seeOther, "\(posted.bodyText)")
            let login = try await browser.get(client, try #require(posted.headers[.location]))
            #expect(Self.hidden("authz", in: login) != nil)
            #expect(login.bodyText.contains(#"value="\#(user.username)" autofocus"#), "login_hint fills the username")
            let (_, signedIn) = try await Self.signIn(browser, client, on: login, as: user)
            let allowed = try await Self.consent(browser, client, after: signedIn, "allow")
            let final = try await browser.get(client, try #require(allowed.headers[.location]))
            let code = try #require(Self.query(final.headers[.location])["code"])
            let exchanged = try await client.execute(
                uri: "/oauth2/token", method: .post,
                headers: OAuthTests.basic(rp.client.id, try #require(rp.secret)),
                body: ByteBuffer(
                    string: "grant_type=authorization_code&code=\(code)&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb"
                        + "&code_verifier=\(OAuthTests.verifier)"))
            #expect(exchanged.json["scope"] as? String == "email openid", "scopes in a canonical order")
            let idToken = try #require(exchanged.json["id_token"] as? String)
            let payload = Data(try #require(Base64.url.decode(String(idToken.split(separator: ".")[1]))))
            let claims = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
            #expect(claims["nonce"] == nil && claims["email"] as? String == user.email)

            // Consented to email and openid: a request in the other order needs no page.
            let reordered = try await browser.get(
                client,
                Self.authorizeURI(rp.client.id).replacingOccurrences(of: "openid%20profile", with: "openid%20email"))
            #expect(reordered.status == .found && Self.query(reordered.headers[.location])["code"] != nil)
            let withEmail = Self.authorizeURI(rp.client.id).replacingOccurrences(
                of: "openid%20profile", with: "openid%20email")
            let tenThousand = try await browser.get(client, withEmail + "&max_age=10000")
            #expect(tenThousand.status == .found, "max_age=10000: the sign-in is recent enough")
            time.advance(by: .seconds(2))
            let oneSecond = try await browser.get(client, withEmail + "&max_age=1")
            #expect(oneSecond.headers[.location]?.hasPrefix("/ui/login?") == true, "max_age=1: sign in again")
        }
        await stack.shutdown()
    }
}
