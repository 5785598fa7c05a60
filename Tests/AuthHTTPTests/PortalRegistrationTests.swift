import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The portal's "Create an account", walked as a browser without JavaScript.
@Suite("portal: self-registration")
struct PortalRegistrationTests {
    typealias Browser = PortalFlowTests.Browser

    @Test("off by default: no link, no page")
    func off() async throws {
        try await withServer(stack: try await TestStack(backing: .memory)) { client in
            let browser = Browser()
            let signIn = try await browser.get(client, "/ui/login")
            #expect(signIn.status == .ok && !signIn.bodyText.contains("/ui/register"))
            #expect(try await browser.get(client, "/ui/register").status == .notFound)
        }
    }

    @Test("sign-in page → create an account → signed in and the authorization goes on; refusals keep the form")
    func register() async throws {
        let stack = try await TestStack(
            backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes),
            portal: PortalPolicy(selfRegistration: true))
        let (taken, _) = try await stack.account()
        let rp = try await OAuthTests.relyingParty(stack)
        try await withServer(stack: stack) { client in
            let browser = Browser()
            let start = try await browser.get(client, PortalFlowTests.authorizeURI(rp.client.id))
            let login = try await browser.get(client, try #require(start.headers[.location]))
            #expect(login.bodyText.contains(#"<a href="/ui/register?authz="#))
            let authz = try #require(PortalFlowTests.hidden("authz", in: login))
            let page = try await browser.get(client, "/ui/register?authz=\(URLEncoding.component(authz))")
            #expect(page.status == .ok && page.bodyText.contains("Create an account"))
            let csrf = try #require(PortalFlowTests.hidden("csrf", in: page))
            let name = TestDatabase.uniqueName()
            func post(_ username: String, _ password: String, confirm: String? = nil, csrf: String? = nil)
                async throws -> TestResponse
            {
                var fields = [
                    ("authz", authz), ("username", username), ("email", "\(username)@example.com"),
                    ("password", password), ("confirm", confirm ?? password),
                ]
                if let csrf { fields.append(("csrf", csrf)) }
                return try await browser.post(client, "/ui/register", fields)
            }
            #expect(try await post(name, "long enough pw").status == .forbidden, "no CSRF token")
            let differ = try await post(name, "long enough pw", confirm: "long enough pq", csrf: csrf)
            #expect(differ.status == .unprocessableContent && differ.bodyText.contains("The two passwords differ."))
            #expect(differ.bodyText.contains(#"value="\#(name)""#), "the form keeps what was typed")
            let weak = try await post(name, "short", csrf: csrf)
            #expect(weak.status == .unprocessableContent && PortalFlowTests.hidden("authz", in: weak) != nil)
            let clash = try await post(taken.username, "long enough pw", csrf: csrf)
            #expect(clash.status == .conflict && clash.bodyText.contains("That username is taken"))
            #expect(browser.cookies["authd_sso"] == nil)

            let created = try await post(name, "long enough pw", csrf: csrf)
            #expect(created.status == .seeOther && browser.cookies["authd_sso"] != nil, "\(created.bodyText)")
            let resumed = try await browser.get(client, try #require(created.headers[.location]))
            #expect(resumed.headers[.location]?.hasPrefix("/ui/consent?authz=") == true)
            #expect(try await stack.users.find(username: name)?.roles == ["user"])
        }
    }
}
