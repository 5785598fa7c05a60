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
