import AuthCore
import AuthCrypto
import AuthTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The nginx portal flow over HTTP (the browser test walks it through a real nginx) and the JSON
/// consents API.
@Suite("portal: the nginx flow (rd=) and /consents")
struct PortalReturnTests {
    typealias Browser = PortalFlowTests.Browser
    static let policy = PortalPolicy(cookieDomain: "example.com", returnHosts: ["app.example.com"])
    static let original = "https://app.example.com/app/page?x=1&y=%2F"

    static func authz(_ client: any TestClientProtocol, _ browser: Browser, original: String? = original)
        async throws -> TestResponse
    {
        var headers: HTTPFields = [:]
        if let original { headers[HTTPField.Name("X-Original-URL")!] = original }
        if let token = browser.cookies["access_token"] { headers[.cookie] = "access_token=\(token)" }
        return try await client.execute(uri: "/authz", method: .get, headers: headers)
    }

    @Test(
        "/authz 401 points at the portal with rd; sign-in sends the browser back with an access_token cookie for the domain; SSO re-entry; sign-out ends it"
    )
    func nginxFlow() async throws {
        let stack = try await TestStack(backing: .memory, portal: Self.policy)
        let (user, _) = try await stack.account()
        let browser = Browser()
        try await withServer(stack: stack) { client in
            let refused = try await Self.authz(client, browser)
            #expect(refused.status == .unauthorized)
            let location = try #require(refused.headers[.location])
            #expect(location == "http://127.0.0.1:5000/ui/login?rd=" + URLEncoding.component(Self.original))
            #expect(try await Self.authz(client, browser, original: nil).headers[.location] == nil, "an API client")

            let login = try await browser.get(client, String(location.dropFirst("http://127.0.0.1:5000".count)))
            #expect(login.status == .ok && login.bodyText.contains("continue to <strong>app.example.com</strong>"))
            #expect(PortalFlowTests.hidden("rd", in: login) == Self.original)
            #expect(
                login.headers[.contentSecurityPolicy]?.contains("form-action 'self' https://app.example.com") == true)
            let csrf = try #require(PortalFlowTests.hidden("csrf", in: login))
            let signedIn = try await browser.post(
                client, "/ui/login",
                [("csrf", csrf), ("rd", Self.original), ("username", user.username), ("password", TestStack.password)])
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == Self.original)
            let cookies = signedIn.headers[values: .setCookie]
            #expect(
                cookies.contains { $0.hasPrefix("authd_sso=") && !$0.contains("Domain") }, "the SSO cookie: host-only")
            let tokenCookie = try #require(cookies.first { $0.hasPrefix("access_token=") })
            #expect(tokenCookie.contains("; Domain=example.com") && tokenCookie.contains("HttpOnly"))
            #expect(tokenCookie.contains("SameSite=Lax") && tokenCookie.contains("Max-Age=900"))

            let admitted = try await Self.authz(client, browser)
            #expect(admitted.status == .noContent && admitted.headers[HTTPField.Name("X-Auth-User")!] == user.username)

            // Back on the portal while signed in: straight back with a new cookie, no form.
            let first = try #require(browser.cookies["access_token"])
            browser.cookies["access_token"] = nil
            let again = try await browser.get(client, "/ui/login?rd=" + URLEncoding.component(Self.original))
            #expect(again.status == .seeOther && again.headers[.location] == Self.original)
            #expect(browser.cookies["access_token"] != nil && browser.cookies["access_token"] != first)

            let signOut = try await browser.post(
                client, "/ui/logout", [("csrf", try await PortalFlowTests.freshCSRF(browser, client))])
            #expect(signOut.status == .ok)
            #expect(
                signOut.headers[values: .setCookie].contains {
                    $0.hasPrefix("access_token=;") && $0.contains("Max-Age=0") && $0.contains("Domain=example.com")
                })
            browser.cookies["access_token"] = first
            #expect(try await Self.authz(client, browser).status == .unauthorized, "the session's tokens are revoked")
        }
        await stack.shutdown()
    }

    @Test("rd= to a host not listed is an error page, never a redirect, on every form that carries it")
    func foreignReturn() async throws {
        let stack = try await TestStack(backing: .memory, portal: Self.policy)
        let (user, _) = try await stack.account()
        let browser = Browser()
        try await withServer(stack: stack) { client in
            for rd in [
                "https://evil.example/", "https://app.example.com@evil.example/", "//evil.example/",
                "https://app.example.com.evil.example/", "javascript:alert(1)",
            ] {
                let page = try await browser.get(client, "/ui/login?rd=" + URLEncoding.component(rd))
                #expect(page.status == .badRequest && page.headers[.location] == nil, "\(rd)")
            }
            let login = try await browser.get(client, "/ui/login")
            let csrf = try #require(PortalFlowTests.hidden("csrf", in: login))
            let posted = try await browser.post(
                client, "/ui/login",
                [
                    ("csrf", csrf), ("rd", "https://evil.example/"), ("username", user.username),
                    ("password", TestStack.password),
                ])
            #expect(posted.status == .badRequest && posted.headers[.location] == nil)
            #expect(browser.cookies["authd_sso"] == nil, "refused before the password is even checked")
        }
        await stack.shutdown()
        // No hosts configured: the flow is off, whatever rd says.
        let bare = try await TestStack(backing: .memory)
        try await withServer(stack: bare) { client in
            let page = try await client.execute(
                uri: "/ui/login?rd=" + URLEncoding.component(Self.original), method: .get)
            #expect(page.status == .badRequest)
        }
    }

    @Test(
        "GET /consents lists the user's, DELETE /consents/{client} withdraws one (404 after), a client's token may not"
    )
    func consentsAPI() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (user, token) = try await stack.account()
        let rp = try await OAuthTests.relyingParty(stack)
        let portal = stack.portal
        let parameters = AuthorizationParameters(
            responseType: "code", clientID: rp.client.id, redirectURI: OAuthTests.redirect, scope: "openid email",
            codeChallenge: OAuthTests.challenge, codeChallengeMethod: "S256")
        var flow = PortalFlow(pending: PendingAuthorization(parameters: parameters, requestedAt: portal.now))
        let (_, signedIn) = try await portal.signIn(
            &flow, username: user.username, password: TestStack.password, source: nil, userAgent: nil, replacing: nil)
        let consented = try await portal.consent(&flow, allowed: true, cookie: signedIn)
        #expect(consented == .authorize(try #require(flow.pending)))
        let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
        try await withServer(stack: stack) { client in
            let listed = try await client.execute(uri: "/consents", method: .get, headers: bearer)
            #expect(listed.status == .ok)
            let consents = try #require(listed.json["consents"] as? [[String: Any]])
            #expect(consents.count == 1 && consents.first?["client_id"] as? String == rp.client.id)
            #expect(consents.first?["scopes"] as? [String] == ["email", "openid"])
            #expect(consents.first?["client_name"] as? String == rp.client.name)

            let clientToken = try await OAuthTests.exchange(
                client, rp, code: try await OAuthTests.code(stack, rp.client, user, scope: "openid"))
            let byClient = try await client.execute(
                uri: "/consents/\(rp.client.id)", method: .delete, headers: [.authorization: "Bearer \(clientToken)"])
            #expect(byClient.status == .unauthorized, "a client's token for the user is not an account token")
            #expect(try await client.execute(uri: "/consents", method: .get).status == .unauthorized)

            let withdrawn = try await client.execute(uri: "/consents/\(rp.client.id)", method: .delete, headers: bearer)
            #expect(withdrawn.status == .noContent)
            let again = try await client.execute(uri: "/consents/\(rp.client.id)", method: .delete, headers: bearer)
            #expect(again.status == .notFound && again.errorCode == "not_found")
            let malformed = try await client.execute(
                uri: "/consents/Not%20A%20Client", method: .delete, headers: bearer)
            #expect(malformed.status == .notFound)
            let empty = try await client.execute(uri: "/consents", method: .get, headers: bearer)
            #expect((empty.json["consents"] as? [Any])?.isEmpty == true)
        }
    }
}
