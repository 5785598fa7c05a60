import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The portal's account pages, walked as a browser without JavaScript: the mailed links open a page
/// with a form; only the form's post uses the token.
@Suite("portal: forgotten password and address verification pages")
struct PortalAccountTests {
    typealias Browser = PortalFlowTests.Browser

    static func stack() async throws -> TestStack {
        try await TestStack(
            backing: .memory, configuration: .init(verifyEmail: true), mail: RecordingMail(),
            passwordReset: .init(perAddress: nil), emailVerification: .init(perAddress: nil))
    }

    @Test("sign-in links to the forgot page; forgot → mail → reset page → new password → sign-in")
    func reset() async throws {
        let stack = try await Self.stack()
        let mailbox = Mailbox()
        let (user, _) = try await stack.account()
        try await withServer(stack: stack) { client in
            let browser = Browser()
            let signIn = try await browser.get(client, "/ui/login")
            #expect(signIn.bodyText.contains(#"href="/ui/password/forgot""#))
            let forgot = try await browser.get(client, "/ui/password/forgot")
            let csrf = try #require(PortalFlowTests.hidden("csrf", in: forgot))
            let refused = try await browser.post(client, "/ui/password/forgot", [("login", user.username)])
            #expect(refused.status == .forbidden, "no CSRF token, no request")
            let asked = try await browser.post(
                client, "/ui/password/forgot", [("csrf", csrf), ("login", user.username)])
            let nobody = try await browser.post(
                client, "/ui/password/forgot", [("csrf", csrf), ("login", "nobody-\(user.username)")])
            #expect(asked.status == .ok && asked.bodyText == nobody.bodyText, "the same page for every login")
            try await deliverMail(stack, to: mailbox)
            let token = try #require(mailbox.all.compactMap { $0["reset"] }.first)

            let page = try await browser.get(client, "/ui/password/reset?token=\(token)")
            #expect(page.status == .ok && PortalFlowTests.hidden("token", in: page) == token)
            let pageCSRF = try #require(PortalFlowTests.hidden("csrf", in: page))
            func post(_ password: String, _ confirm: String) async throws -> TestResponse {
                try await browser.post(
                    client, "/ui/password/reset",
                    [("csrf", pageCSRF), ("token", token), ("new_password", password), ("confirm", confirm)])
            }
            let differ = try await post("a brand new pw", "a brand new pq")
            #expect(differ.status == .unprocessableContent && differ.bodyText.contains("The two passwords differ."))
            let weak = try await post("short", "short")
            #expect(weak.status == .unprocessableContent && PortalFlowTests.hidden("token", in: weak) == token)
            let done = try await post("a brand new pw", "a brand new pw")
            #expect(done.status == .ok && done.bodyText.contains("Password changed"))
            let again = try await post("another new pw", "another new pw")
            #expect(again.status == .badRequest && again.bodyText.contains("This link is used, expired or unknown."))
            #expect(try await client.login(user.username, password: "a brand new pw").status == .ok)
        }
    }

    @Test("the verification link opens a page; its button verifies; a bad token gets a clear page")
    func verify() async throws {
        let stack = try await Self.stack()
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let name = "portal\(Int.random(in: 1000...9999))"
            #expect(try await client.register(name).status == .created)
            try await deliverMail(stack, to: mailbox)
            let token = try #require(mailbox.all.compactMap { $0["verify"] }.first)
            let browser = Browser()
            let page = try await browser.get(client, "/ui/email/verify?token=\(token)")
            #expect(page.status == .ok && page.bodyText.contains("Verify my address"))
            let access = try #require(try await client.login(name).json["access_token"] as? String)
            #expect(
                try await client.get("/me", token: access).json["email_verified"] as? Bool == false,
                "opening the page verifies nothing")
            let csrf = try #require(PortalFlowTests.hidden("csrf", in: page))
            let verified = try await browser.post(client, "/ui/email/verify", [("csrf", csrf), ("token", token)])
            #expect(verified.status == .ok && verified.bodyText.contains("Address verified"))
            #expect(try await client.get("/me", token: access).json["email_verified"] as? Bool == true)
            let bad = try await browser.post(
                client, "/ui/email/verify", [("csrf", csrf), ("token", String(repeating: "B", count: 43))])
            #expect(bad.status == .badRequest && bad.bodyText.contains("Sign in and ask for a new one."))
        }
    }

    @Test("without mail the pages are not there and sign-in has no forgot link")
    func off() async throws {
        try await withServer { client in
            let forgot = try await client.get("/ui/password/forgot", token: nil)
            let verify = try await client.get("/ui/email/verify?token=x", token: nil)
            let signIn = try await client.get("/ui/login", token: nil)
            #expect(forgot.status == .notFound && verify.status == .notFound)
            #expect(!signIn.bodyText.contains("/ui/password/forgot"))
        }
    }
}
