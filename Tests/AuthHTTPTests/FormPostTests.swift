import AuthCore
import AuthCrypto
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The OpenID Foundation's Form Post OP plan, rewritten: its modules are the Basic plan's with
/// `response_mode=form_post`; these are the ones the mode changes (the answer, its errors).
@Suite("OIDF Form Post OP: response_mode=form_post")
struct FormPostTests {
    typealias Browser = PortalFlowTests.Browser

    /// The hidden fields of the form_post page, by name.
    static func posted(_ page: TestResponse) -> [String: String] {
        let pattern = try! NSRegularExpression(pattern: #"<input type="hidden" name="([^"]*)" value="([^"]*)">"#)
        let text = page.bodyText
        var fields: [String: String] = [:]
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(match.range(at: 1), in: text)!])
            fields[name] = String(text[Range(match.range(at: 2), in: text)!]).replacingOccurrences(
                of: "&amp;", with: "&")
        }
        return fields
    }

    @Test("oidcc-server (form_post): the code comes as a page that posts code, state and iss to the redirect URI")
    func server() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (user, _) = try await stack.account()
        let rp = try await OAuthTests.relyingParty(stack)
        let browser = Browser()
        try await withServer(stack: stack) { client in
            let start = try await browser.get(
                client, PortalFlowTests.authorizeURI(rp.client.id, "&response_mode=form_post"))
            let login = try await browser.get(client, try #require(start.headers[.location]))
            let (_, signedIn) = try await PortalFlowTests.signIn(browser, client, on: login, as: user)
            let allowed = try await PortalFlowTests.consent(browser, client, after: signedIn, "allow")
            let page = try await browser.get(client, try #require(allowed.headers[.location]))
            #expect(page.status == .ok && page.headers[.location] == nil, "a page, not a redirect")
            #expect(page.bodyText.contains(#"<form method="post" action="https://rp.example.com/cb">"#))
            let fields = Self.posted(page)
            #expect(fields["state"] == "st-1" && fields["iss"] == "http://127.0.0.1:5000")
            #expect(fields.keys.sorted() == ["code", "iss", "state"], "nothing else is posted: \(fields.keys)")
            #expect(page.bodyText.contains(#"<button type="submit">Continue</button>"#), "works without scripts")
            let policy = try #require(page.headers[.contentSecurityPolicy])
            let hash = Base64.standard.encode(try Digest.hash(.sha256, Array("document.forms[0].submit()".utf8)))
            #expect(page.bodyText.contains("<script>document.forms[0].submit()</script>"))
            #expect(policy.contains("script-src 'sha256-\(hash)';"), "\(policy)")
            #expect(policy.contains("form-action 'self' https://rp.example.com;"))
            #expect(page.headers[.cacheControl] == "no-store")
            let token = try await OAuthTests.exchange(client, rp, code: try #require(fields["code"]))
            #expect(try stack.service.tokens.authorize(accessToken: token, for: .userInfo).subject == String(user.id))

            // oidcc-prompt-none-not-logged-in, form_post: the error is posted too, with state.
            let fresh = Browser()
            let refused = try await fresh.get(
                client, PortalFlowTests.authorizeURI(rp.client.id, "&response_mode=form_post&prompt=none"))
            #expect(refused.status == .ok && Self.posted(refused)["error"] == "login_required")
            #expect(Self.posted(refused)["state"] == "st-1")
            // An error in another parameter is posted as well, when the mode itself was good.
            let badScope = try await fresh.get(
                client, PortalFlowTests.authorizeURI(rp.client.id, "&response_mode=form_post&max_age=-1"))
            #expect(Self.posted(badScope)["error"] == "invalid_request")
        }
        await stack.shutdown()
    }

    @Test("an unknown response_mode is invalid_request in the query; no page is ever a script of its own")
    func unknownMode() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let rp = try await OAuthTests.relyingParty(stack)
        try await withServer(stack: stack) { client in
            for mode in ["fragment", "form_post.jwt", "FORM_POST"] {
                let answer = try await Browser().get(
                    client, PortalFlowTests.authorizeURI(rp.client.id, "&response_mode=\(mode)"))
                #expect(answer.status == .found, "\(mode)")
                let query = PortalFlowTests.query(answer.headers[.location])
                #expect(query["error"] == "invalid_request" && query["state"] == "st-1", "\(mode)")
            }
            let login = try await Browser().get(client, "/ui/login")
            #expect(login.headers[.contentSecurityPolicy]?.contains("script-src") == false)
        }
        await stack.shutdown()
    }
}
