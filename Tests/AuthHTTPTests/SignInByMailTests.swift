import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("sign-in by mail")
struct SignInByMailTests {
    /// The `email` stack as shipped, with a lockout after `attempts` failures.
    static func stacks(lockout attempts: Int = 5) -> AuthService.StackSource {
        TestStack.stacks([
            "http": "auth required password\nauth required active\nauth required totp if=enrolled",
            "email": """
            auth requisite lockout attempts=\(attempts) window=15m lock=15m
            auth required mailcode
            auth required active
            auth required totp if=enrolled
            """,
        ])
    }

    static func stack(
        on: Bool = true, lockout attempts: Int = 5, clock: (@Sendable () -> Int64)? = nil
    ) async throws -> TestStack {
        try await TestStack(
            backing: .memory, clock: clock ?? UnixTime.now, stacks: stacks(lockout: attempts), mail: RecordingMail(),
            signInByMail: on ? .init(perAddress: nil) : nil)
    }

    static func ask(_ client: some TestClientProtocol, _ login: String) async throws -> TestResponse {
        try await client.post("/login/email", json: #"{"login":"\#(login)"}"#)
    }

    static func complete(_ client: some TestClientProtocol, _ json: String) async throws -> TestResponse {
        try await client.post("/login/email/complete", json: json)
    }

    /// The newest sign-in mail for `name`.
    static func mail(_ stack: TestStack, _ mailbox: Mailbox, for name: String) async throws -> [String: String] {
        try await deliverMail(stack, to: mailbox)
        return try #require(mailbox.all.last { $0["signin"] != nil && $0["to"] == name })
    }

    @Test("off by default: both routes answer 404 not_found")
    func off() async throws {
        try await withServer(stack: try await Self.stack(on: false)) { client in
            let asked = try await Self.ask(client, "someone")
            #expect(asked.status == .notFound && asked.errorCode == "not_found")
            let completed = try await Self.complete(client, #"{"token":"x"}"#)
            #expect(completed.status == .notFound && completed.errorCode == "not_found")
        }
    }

    @Test("the same 202 for an account and for nobody; the link signs in once, and its code goes with it")
    func link() async throws {
        let stack = try await Self.stack()
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let name = TestDatabase.uniqueName()
            #expect(try await client.register(name).status == .created)
            let known = try await Self.ask(client, name)
            let unknown = try await Self.ask(client, "nobody-\(name)")
            #expect(known.status == .accepted && unknown.status == .accepted)
            #expect(known.bodyText == unknown.bodyText)
            let mail = try await Self.mail(stack, mailbox, for: name)
            #expect(mailbox.all.filter { $0["signin"] != nil }.count == 1, "nobody gets nothing")
            let token = try #require(mail["signin"])

            let signedIn = try await Self.complete(client, #"{"token":"\#(token)"}"#)
            #expect(signedIn.status == .ok, "\(signedIn.bodyText)")
            let access = try #require(signedIn.json["access_token"] as? String)
            let me = try await client.get("/me", token: access)
            #expect(me.json["username"] as? String == name)
            #expect(me.json["email_verified"] as? Bool == true, "the link reached the address")

            let again = try await Self.complete(client, #"{"token":"\#(token)"}"#)
            #expect(again.status == .unauthorized && again.errorCode == "invalid_credentials", "a link works once")
            let code = try #require(mail["code"])
            let byCode = try await Self.complete(client, #"{"login":"\#(name)","code":"\#(code)"}"#)
            #expect(byCode.errorCode == "invalid_credentials", "the code was the same sign-in's")
            for bad in [String(repeating: "A", count: 43), "short"] {
                #expect(try await Self.complete(client, #"{"token":"\#(bad)"}"#).errorCode == "invalid_credentials")
            }
        }
    }

    @Test("the code with the login (a username or the address); misses use it up; bad requests are 400")
    func code() async throws {
        let stack = try await Self.stack(lockout: 20)
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let name = TestDatabase.uniqueName()
            #expect(try await client.register(name).status == .created)
            #expect(try await Self.ask(client, "\(name)@example.com").status == .accepted)
            let code = try #require(try await Self.mail(stack, mailbox, for: name)["code"])
            let spaced = String(code.prefix(3)) + "-" + String(code.suffix(3))
            let signedIn = try await Self.complete(
                client, #"{"login":"\#(name)@example.com","code":"\#(spaced)"}"#)
            #expect(signedIn.status == .ok && signedIn.json["access_token"] is String, "\(signedIn.bodyText)")

            #expect(try await Self.ask(client, name).status == .accepted)
            let next = try #require(try await Self.mail(stack, mailbox, for: name)["code"])
            let wrong = next == "000000" ? "000001" : "000000"
            for _ in 0..<SignInByMailService.attempts {
                let refused = try await Self.complete(client, #"{"login":"\#(name)","code":"\#(wrong)"}"#)
                #expect(refused.status == .unauthorized && refused.errorCode == "invalid_credentials")
            }
            let void = try await Self.complete(client, #"{"login":"\#(name)","code":"\#(next)"}"#)
            #expect(void.errorCode == "invalid_credentials", "void after the misses")

            for body in [
                #"{"token":"x","code":"123456"}"#, #"{"code":"123456"}"#, #"{"login":"\#(name)"}"#, "{}",
            ] {
                #expect(try await Self.complete(client, body).errorCode == "invalid_input", "\(body)")
            }
            #expect(try await Self.complete(client, #"{"token":1}"#).errorCode == "wrong_type")
            #expect(try await Self.complete(client, #"{"token":"x","extra":1}"#).errorCode == "unknown_field")
            #expect(try await Self.ask(client, "not a login!").errorCode == "invalid_input")
        }
    }

    @Test("the email stack's lockout counts wrong codes: the right one is refused while locked")
    func lockout() async throws {
        let stack = try await Self.stack(lockout: 2)
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let name = TestDatabase.uniqueName()
            #expect(try await client.register(name).status == .created)
            #expect(try await Self.ask(client, name).status == .accepted)
            let mail = try await Self.mail(stack, mailbox, for: name)
            let code = try #require(mail["code"])
            let wrong = code == "000000" ? "000001" : "000000"
            for _ in 0..<2 {
                #expect(
                    try await Self.complete(client, #"{"login":"\#(name)","code":"\#(wrong)"}"#).status == .unauthorized
                )
            }
            let locked = try await Self.complete(client, #"{"token":"\#(try #require(mail["signin"]))"}"#)
            #expect(locked.errorCode == "invalid_credentials", "locked out")
            #expect(try await client.login(name).status == .ok, "the http stack has no lockout here")
        }
    }

    @Test("a disabled account is sent nothing and cannot use a link it had")
    func disabled() async throws {
        let stack = try await Self.stack()
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let name = TestDatabase.uniqueName()
            #expect(try await client.register(name).status == .created)
            #expect(try await Self.ask(client, name).status == .accepted)
            let token = try #require(try await Self.mail(stack, mailbox, for: name)["signin"])
            let user = try #require(try await stack.users.find(username: name))
            _ = try await stack.admin.update(userID: user.id, UserChange(disabled: true), by: TestStack.testOperator)
            #expect(try await Self.complete(client, #"{"token":"\#(token)"}"#).errorCode == "invalid_credentials")
            #expect(try await Self.ask(client, name).status == .accepted)
            try await deliverMail(stack, to: mailbox)
            #expect(mailbox.all.filter { $0["signin"] != nil }.count == 1, "no second mail")
        }
    }

    @Test("an account with MFA gets the second step after the link, completed at /login/mfa")
    func secondFactor() async throws {
        let stack = try await Self.stack(clock: { mfaNow })
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let (name, _, secret, _) = try await MFATests.enrolled(client)
            #expect(try await Self.ask(client, name).status == .accepted)
            let token = try #require(try await Self.mail(stack, mailbox, for: name)["signin"])
            let first = try await Self.complete(client, #"{"token":"\#(token)"}"#)
            #expect(first.json["mfa_required"] as? Bool == true && first.json["access_token"] == nil)
            let challenge = try #require(first.json["mfa_token"] as? String)
            let done = try await MFATests.secondStep(client, challenge, try MFATests.code(secret, steps: 1))
            #expect(done.status == .ok && done.json["access_token"] is String, "\(done.bodyText)")
        }
    }

    @Test("the mailcode module: an email stack without it, or with sign-in by mail off, signs nobody in")
    func module() async throws {
        let stack = try await Self.stack(on: false)
        let name = TestDatabase.uniqueName()
        _ = try await stack.service.register(username: name, email: "\(name)@example.com", password: "long enough pw")
        await #expect(throws: AuthError.self) {
            try await stack.service.authenticate(service: "email", username: name, password: "123456")
        }
        await stack.shutdown()
    }
}

/// The portal's sign-in by mail, walked as a browser without JavaScript, inside a client's
/// authorization request.
@Suite("portal: sign-in by mail")
struct PortalSignInByMailTests {
    typealias Browser = PortalFlowTests.Browser

    @Test("sign-in page → ask → check your mail → code → the authorization goes on; the link in another browser too")
    func flow() async throws {
        let stack = try await TestStack(
            backing: .memory, stacks: SignInByMailTests.stacks(), configuration: .init(scopes: OAuthTests.openIDScopes),
            mail: RecordingMail(), signInByMail: .init(perAddress: nil))
        let (user, _) = try await stack.account()
        let rp = try await OAuthTests.relyingParty(stack)
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let browser = Browser()
            let start = try await browser.get(client, PortalFlowTests.authorizeURI(rp.client.id))
            let login = try await browser.get(client, try #require(start.headers[.location]))
            let authz = try #require(PortalFlowTests.hidden("authz", in: login))
            let askURI = "/ui/login/email?authz=\(URLEncoding.component(authz))"
            #expect(login.bodyText.contains(#"href="\#(askURI.replacingOccurrences(of: "&", with: "&amp;"))""#))
            let ask = try await browser.get(client, askURI)
            #expect(ask.status == .ok && PortalFlowTests.hidden("authz", in: ask) != nil, "the sign-in goes on")
            let csrf = try #require(PortalFlowTests.hidden("csrf", in: ask))
            let noCSRF = try await browser.post(
                client, "/ui/login/email", [("authz", authz), ("login", user.username)])
            #expect(noCSRF.status == .forbidden)
            let check = try await browser.post(
                client, "/ui/login/email", [("csrf", csrf), ("authz", authz), ("login", user.username)])
            let nobody = try await browser.post(
                client, "/ui/login/email", [("csrf", csrf), ("authz", authz), ("login", "nobody-\(user.username)")])
            #expect(check.status == .ok && check.bodyText.contains("Check your mail"))
            #expect(
                nobody.status == .ok && nobody.bodyText.contains("Check your mail"), "the same page for every login")
            try await deliverMail(stack, to: mailbox)
            let mail = try #require(mailbox.all.last { $0["signin"] != nil })
            #expect(mail["then"]?.hasPrefix("authz=") == true, "the link goes back into this sign-in")

            let wrong = try await browser.post(
                client, "/ui/login/email/code",
                [("csrf", csrf), ("authz", authz), ("login", user.username), ("code", "12345x")])
            #expect(wrong.status == .unauthorized && wrong.bodyText.contains("That code is not valid."))
            let signedIn = try await browser.post(
                client, "/ui/login/email/code",
                [("csrf", csrf), ("authz", authz), ("login", user.username), ("code", try #require(mail["code"]))])
            #expect(signedIn.status == .seeOther && browser.cookies["authd_sso"] != nil, "\(signedIn.bodyText)")
            let resumed = try await browser.get(client, try #require(signedIn.headers[.location]))
            #expect(resumed.headers[.location]?.hasPrefix("/ui/consent?authz=") == true)

            // The link, opened in another browser: a page with a button; only its post signs in.
            #expect(try await SignInByMailTests.ask(client, user.username).status == .accepted)
            try await deliverMail(stack, to: mailbox)
            let second = try #require(mailbox.all.last { $0["signin"] != nil })
            let token = try #require(second["signin"])
            let other = Browser()
            let page = try await other.get(client, "/ui/login/email?token=\(token)")
            #expect(page.status == .ok && PortalFlowTests.hidden("token", in: page) == token)
            #expect(other.cookies["authd_sso"] == nil, "opening the link signs nobody in")
            let otherCSRF = try #require(PortalFlowTests.hidden("csrf", in: page))
            let linked = try await other.post(client, "/ui/login/email/link", [("csrf", otherCSRF), ("token", token)])
            #expect(linked.status == .seeOther && other.cookies["authd_sso"] != nil)
            #expect(linked.headers[.location] == "/ui/consents", "no sign-in to continue: the account's page")
            let reused = try await other.post(
                client, "/ui/login/email/link",
                [("csrf", try await PortalFlowTests.freshCSRF(other, client)), ("token", token)])
            #expect(reused.status == .badRequest && reused.bodyText.contains("This link is used, expired or unknown."))
        }
    }

    @Test("off: the sign-in page offers no link, and the pages are not there")
    func off() async throws {
        let stack = try await TestStack(backing: .memory, mail: RecordingMail())
        try await withServer(stack: stack) { client in
            let browser = Browser()
            let signIn = try await browser.get(client, "/ui/login")
            #expect(signIn.status == .ok && !signIn.bodyText.contains("/ui/login/email"))
            #expect(try await browser.get(client, "/ui/login/email").status == .notFound)
        }
    }
}
