import AuthCore
import AuthCrypto
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Security hardening, round 2, findings 2 and 3: what the portal's pages record for an
/// authorization request belongs to the SSO session that did it, and every third-party client
/// asks for consent. Two browsers (cookie jars) against the real router and PostgreSQL.
@Suite("portal: continuations bound to the SSO session, consent for every third-party client")
struct PortalBindingTests {
    typealias Browser = PortalFlowTests.Browser

    /// Signs `browser` in on the portal's own sign-in page (no authorization request).
    static func signIn(_ browser: Browser, _ client: any TestClientProtocol, as user: User) async throws {
        let page = try await browser.get(client, "/ui/login")
        let csrf = try #require(PortalFlowTests.hidden("csrf", in: page))
        let answer = try await browser.post(
            client, "/ui/login", [("csrf", csrf), ("username", user.username), ("password", TestStack.password)])
        #expect(answer.status == .seeOther && browser.cookies["authd_sso"] != nil)
    }

    /// The attacker's part: signs in and allows the client in their own browser, and keeps the
    /// continuation the consent page answered with instead of following it.
    static func attackerContinuation(
        _ client: any TestClientProtocol, _ rp: RegisteredClient, attacker: User
    ) async throws -> (consented: String, consentForm: String) {
        let browser = Browser()
        let started = try await browser.get(client, PortalFlowTests.authorizeURI(rp.client.id))
        let login = try await browser.get(client, try #require(started.headers[.location]))
        let (_, signedIn) = try await PortalFlowTests.signIn(browser, client, on: login, as: attacker)
        let resumed = try await browser.get(client, try #require(signedIn.headers[.location]))
        let consent = try await browser.get(client, try #require(resumed.headers[.location]))
        let consentForm = try #require(PortalFlowTests.hidden("authz", in: consent))
        let csrf = try #require(PortalFlowTests.hidden("csrf", in: consent))
        let allowed = try await browser.post(
            client, "/ui/consent", [("csrf", csrf), ("authz", consentForm), ("decision", "allow")])
        return (try #require(allowed.headers[.location]), consentForm)
    }

    @Test(
        "an attacker's consented continuation gives no code in a signed-in victim's browser, nor after a signed-out victim signs in; the consent form of it is refused there too"
    )
    func continuationsStayWithTheirSession() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let attacker = try await stack.account().user
        let (victim, victimToken) = try await stack.account()
        let rp = try await OAuthTests.relyingParty(stack)
        try await withServer(stack: stack) { client in
            let (consented, consentForm) = try await Self.attackerContinuation(client, rp, attacker: attacker)
            #expect(consented.hasPrefix("/oauth2/authorize?authz="))

            let signedInVictim = Browser()
            try await Self.signIn(signedInVictim, client, as: victim)
            let opened = try await signedInVictim.get(client, consented)
            #expect(opened.status == .badRequest, "\(opened.status) \(opened.headers[.location] ?? "")")
            #expect(PortalFlowTests.query(opened.headers[.location])["code"] == nil)

            let csrf = try await PortalFlowTests.freshCSRF(signedInVictim, client)
            let forgedConsent = try await signedInVictim.post(
                client, "/ui/consent", [("csrf", csrf), ("authz", consentForm), ("decision", "allow")])
            #expect(forgedConsent.status == .badRequest, "the attacker's consent form in the victim's session")
            let recorded = try await client.get("/consents", token: victimToken)
            #expect((recorded.json["consents"] as? [Any])?.isEmpty == true, "nothing recorded: \(recorded.bodyText)")

            let signedOutVictim = Browser()
            let first = try await signedOutVictim.get(client, consented)
            #expect(first.status == .badRequest, "\(first.status) \(first.headers[.location] ?? "")")
        }
        await stack.shutdown()
    }

    @Test(
        "a client registered without scopes asks for consent; one an administrator marked skip_consent does not (and says so)"
    )
    func everyThirdPartyClientAsks() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let user = try await stack.account().user
        let adminToken = try await stack.account(roles: [Role.admin]).token
        try await withServer(stack: stack) { client in
            func register(_ extra: String) async throws -> String {
                let id = TestDatabase.uniqueName("rp")
                let created = try await client.send(
                    .post, "/admin/clients", token: adminToken,
                    json:
                        #"{"id":"\#(id)","grant_types":["authorization_code"],"redirect_uris":["\#(OAuthTests.redirect)"]\#(extra)}"#
                )
                #expect(created.status == .created, "\(created.bodyText)")
                return id
            }
            let noScopes = try await register("")
            let firstParty = try await register(#","skip_consent":true"#)
            let shown = try await client.get("/admin/clients/\(firstParty)", token: adminToken)
            #expect(shown.json["skip_consent"] as? Bool == true)
            let browser = Browser()
            try await Self.signIn(browser, client, as: user)
            let authorize =
                "&response_type=code&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&state=s"
                + "&code_challenge=\(OAuthTests.challenge)&code_challenge_method=S256"
            let asked = try await browser.get(client, "/oauth2/authorize?client_id=\(noScopes)" + authorize)
            #expect(asked.status == .seeOther && asked.headers[.location]?.hasPrefix("/ui/consent?") == true)
            let skipped = try await browser.get(client, "/oauth2/authorize?client_id=\(firstParty)" + authorize)
            #expect(skipped.status == .found && PortalFlowTests.query(skipped.headers[.location])["code"] != nil)
        }
        await stack.shutdown()
    }

    @Test(
        "a new sign-in in the same browser ends the SSO session it replaces: a copy of the old cookie signs nobody in"
    )
    func newSignInEndsTheOld() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let first = try await stack.account().user
        let second = try await stack.account().user
        try await withServer(stack: stack) { client in
            let browser = Browser()
            try await Self.signIn(browser, client, as: first)
            let old = try #require(browser.cookies["authd_sso"])
            try await Self.signIn(browser, client, as: second)
            #expect(browser.cookies["authd_sso"] != old)
            let copy = Browser()
            copy.cookies["authd_sso"] = old
            let page = try await copy.get(client, "/ui/consents")
            #expect(page.status == .seeOther && page.headers[.location] == "/ui/login", "\(page.status)")
        }
        await stack.shutdown()
    }

    @Test("oidc.sso_idle_timeout_seconds: an SSO session unused that long has ended; prompt=none hears login_required")
    func idleTimeout() async throws {
        let time = TestClock()
        let stack = try await TestStack(
            backing: .memory,
            configuration: .init(scopes: OAuthTests.openIDScopes), portal: PortalPolicy(ssoIdleTimeout: 1), time: time)
        let user = try await stack.account().user
        let rp = try await OAuthTests.relyingParty(stack)
        try await withServer(stack: stack) { client in
            let browser = Browser()
            try await Self.signIn(browser, client, as: user)
            #expect(try await browser.get(client, "/ui/consents").status == .ok, "in use")
            time.advance(by: .seconds(2.2))
            let none = try await browser.get(client, PortalFlowTests.authorizeURI(rp.client.id, "&prompt=none"))
            #expect(PortalFlowTests.query(none.headers[.location])["error"] == "login_required")
            #expect(try await browser.get(client, "/ui/consents").status == .seeOther, "ended, not only skipped")
        }
        await stack.shutdown()
    }

    @Test(
        "CSRF: a form token from another browser, with that browser's CSRF cookie planted in the victim's, does not sign the victim out"
    )
    func csrfTokenBoundToTheBrowser() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let victim = try await stack.account().user
        try await withServer(stack: stack) { client in
            let browser = Browser()
            try await Self.signIn(browser, client, as: victim)
            let attacker = Browser()
            let page = try await attacker.get(client, "/ui/login")
            let field = try #require(PortalFlowTests.hidden("csrf", in: page))
            let planted: String = try #require(attacker.cookies["authd_csrf"])
            browser.cookies["authd_csrf"] = planted
            let forged = try await browser.post(client, "/ui/logout", [("csrf", field)])
            #expect(forged.status == .forbidden, "\(forged.status)")
            #expect(try await browser.get(client, "/ui/consents").status == .ok, "still signed in")
        }
        await stack.shutdown()
    }

    @Test(
        "CSRF: behind an https URL the cookie is __Host-authd_csrf (Secure, Path=/, no Domain); a form token stops working when the SSO session it was made in changes"
    )
    func csrfCookieIsHostOnly() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let user = try await stack.account().user
        try await withServer(stack: stack, issuer: "https://auth.example.com") { client in
            let browser = Browser()
            let page = try await browser.get(client, "/ui/login")
            let set = try #require(page.headers[values: .setCookie].first { $0.hasPrefix("__Host-authd_csrf=") })
            // Attributes in any order (Hummingbird's Cookie keeps them in a dictionary).
            let attributes = Set(set.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(attributes.isSuperset(of: ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"]), "\(set)")
            #expect(!attributes.contains { $0.hasPrefix("Domain") }, "\(set)")
            #expect(browser.cookies["authd_csrf"] == nil)
            let signedOut = try #require(PortalFlowTests.hidden("csrf", in: page))
            let signedIn = try await browser.post(
                client, "/ui/login",
                [("csrf", signedOut), ("username", user.username), ("password", TestStack.password)])
            #expect(signedIn.status == .seeOther, "\(signedIn.bodyText)")
            let stale = try await browser.post(client, "/ui/logout", [("csrf", signedOut)])
            #expect(stale.status == .forbidden, "a token of the signed-out page, after the sign-in")
        }
        await stack.shutdown()
    }
}
