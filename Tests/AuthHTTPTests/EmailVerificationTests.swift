import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("e-mail verification")
struct EmailVerificationTests {
    static func stack(
        require: Bool = false, stacks: AuthService.StackSource = .passwordOnly,
        verification: EmailVerificationService.Configuration = .init(perAddress: nil)
    ) async throws -> TestStack {
        try await TestStack(
            backing: .memory, stacks: stacks,
            configuration: .init(verifyEmail: true, requireVerifiedEmail: require), mail: RecordingMail(),
            emailVerification: verification)
    }

    static func verify(_ client: some TestClientProtocol, token: String) async throws -> TestResponse {
        try await client.post("/email/verify", json: #"{"token":"\#(token)"}"#)
    }

    @Test("registration sends a link and a code; the link verifies, also when opened twice; /me says so")
    func link() async throws {
        let stack = try await Self.stack()
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let name = "verify\(Int.random(in: 1000...9999))"
            let registered = try await client.register(name)
            #expect((registered.json["user"] as? [String: Any])?["email_verified"] as? Bool == false)
            try await deliverMail(stack, to: mailbox)
            let mail = try #require(mailbox.all.first { $0["verify"] != nil })
            #expect(mail["to"] == name && mail["address"] == "\(name)@example.com")
            #expect(mail["code"]?.count == 6 && mail["code"]?.allSatisfy(\.isNumber) == true)
            let token = try #require(mail["verify"])

            for wrong in [String(repeating: "A", count: 43), "short", token + "x"] {
                let refused = try await Self.verify(client, token: wrong)
                #expect(refused.status == .unauthorized && refused.errorCode == "invalid_verification_token")
            }
            #expect(try await Self.verify(client, token: token).status == .ok)
            #expect(try await Self.verify(client, token: token).status == .ok, "a link opened twice")
            let access = try #require(try await client.login(name).json["access_token"] as? String)
            #expect(try await client.get("/me", token: access).json["email_verified"] as? Bool == true)
            let resend = try await client.send(.post, "/email/verify/resend", token: access)
            #expect(resend.status == .conflict && resend.errorCode == "conflict", "nothing left to verify")
            let both = try await client.post("/email/verify", json: #"{"token":"\#(token)","code":"123456"}"#)
            #expect(both.errorCode == "invalid_input")
            #expect(try await client.post("/email/verify", json: #"{"token":1}"#).errorCode == "wrong_type")
        }
    }

    @Test("the code needs the account's bearer token; misses use it up; resend sends a new one that works")
    func code() async throws {
        let stack = try await Self.stack(verification: .init(codeAttempts: 3, perAddress: nil))
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let name = "code\(Int.random(in: 1000...9999))"
            #expect(try await client.register(name).status == .created)
            try await deliverMail(stack, to: mailbox)
            let code = try #require(mailbox.all.first?["code"])
            let access = try #require(try await client.login(name).json["access_token"] as? String)
            let anonymous = try await client.post("/email/verify", json: #"{"code":"\#(code)"}"#)
            #expect(anonymous.status == .unauthorized, "a code alone proves nothing")
            let wrongCode = code == "000000" ? "000001" : "000000"
            for attempt in [wrongCode, wrongCode, "12345", wrongCode, code] {
                let refused = try await client.send(
                    .post, "/email/verify", token: access, json: #"{"code":"\#(attempt)"}"#)
                #expect(refused.status == .forbidden && refused.errorCode == "invalid_code", "\(attempt)")
            }
            #expect(try await client.send(.post, "/email/verify/resend", token: access).status == .accepted)
            try await deliverMail(stack, to: mailbox)
            let fresh = try #require(mailbox.all.last?["code"])
            let spaced = String(fresh.prefix(3)) + " " + String(fresh.suffix(3))
            let verified = try await client.send(
                .post, "/email/verify", token: access, json: #"{"code":"\#(spaced)"}"#)
            #expect(verified.status == .ok && verified.json["email_verified"] as? Bool == true)
        }
    }

    @Test("with require_verified_email: 403 email_unverified only after the right password; then sign-in works")
    func required() async throws {
        let stack = try await Self.stack(require: true)
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let name = "req\(Int.random(in: 1000...9999))"
            #expect(try await client.register(name).status == .created)
            #expect(try await client.login(name, password: "wrong password!").errorCode == "invalid_credentials")
            let refused = try await client.login(name)
            #expect(refused.status == .forbidden && refused.errorCode == "email_unverified")
            try await deliverMail(stack, to: mailbox)
            #expect(try await Self.verify(client, token: try #require(mailbox.all.first?["verify"])).status == .ok)
            #expect(try await client.login(name).status == .ok)
        }
    }

    @Test("a stack's verified module refuses unverified accounts on that service only")
    func module() async throws {
        let stacks = AuthService.StackSource.files([
            "http": (file: "stacks/http", text: "auth required password\n"),
            "imap": (file: "stacks/imap", text: "auth required password\naccount required verified\n"),
        ])
        let stack = try await Self.stack(stacks: stacks)
        let (user, token) = try await stack.account()
        #expect(
            try await stack.service.authenticate(service: "http", username: user.username, password: TestStack.password)
                .id == user.id)
        await #expect {
            _ = try await stack.service.authenticate(
                service: "imap", username: user.username, password: TestStack.password)
        } throws: { ($0 as? AuthError)?.code == .accountDenied }
        await #expect {
            _ = try await stack.service.verify(accessToken: token, service: "imap", for: .account)
        } throws: { ($0 as? AuthError)?.code == .accountDenied }
        _ = try await stack.admin.update(userID: user.id, UserChange(emailVerified: true), by: TestStack.testOperator)
        #expect(
            try await stack.service.verify(accessToken: token, service: "imap", for: .account).subject == "\(user.id)")
        #expect(
            try await stack.service.authenticate(service: "imap", username: user.username, password: TestStack.password)
                .id == user.id)
        await stack.shutdown()
    }

    @Test("an administrator's address change: unverified again, a link to the new address, a notice to the old")
    func changed() async throws {
        let stack = try await Self.stack()
        let mailbox = Mailbox()
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        try await withServer(stack: stack) { client in
            let name = "move\(Int.random(in: 1000...9999))"
            let id = try #require((try await client.register(name).json["user"] as? [String: Any])?["id"] as? Int)
            let vouched = try await client.send(
                .patch, "/admin/users/\(id)", token: adminToken, json: #"{"email_verified":true}"#)
            #expect(vouched.json["email_verified"] as? Bool == true)
            try await deliverMail(stack, to: mailbox)
            #expect(
                !mailbox.all.contains { $0["verify"] != nil && $0["to"] == name },
                "vouched for before the request was resolved: no link")
            let moved = try await client.send(
                .patch, "/admin/users/\(id)", token: adminToken, json: #"{"email":"new-\#(name)@example.com"}"#)
            #expect(moved.status == .ok && moved.json["email_verified"] as? Bool == false)
            try await deliverMail(stack, to: mailbox)
            #expect(mailbox.all.contains { $0["verify"] != nil && $0["address"] == "new-\(name)@example.com" })
            #expect(mailbox.all.contains { $0["moved"] == name && $0["address"] == "\(name)@example.com" })
            let audit = try await client.get("/admin/audit?limit=5", token: adminToken).bodyText
            #expect(audit.contains("email_verified") && !audit.contains("new-\(name)@"), "audited, address left out")
        }
    }

    @Test("without mail the routes answer 503 mail_unavailable and nothing is queued at registration")
    func off() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(verifyEmail: true))
        try await withServer(stack: stack) { client in
            #expect(try await client.register("nomail\(Int.random(in: 1000...9999))").status == .created)
            #expect(try await stack.stores.outbox.depth().queued == 0)
            let verify = try await client.post("/email/verify", json: #"{"token":"x"}"#)
            #expect(verify.status == .serviceUnavailable && verify.errorCode == "mail_unavailable")
        }
    }

    @Test(
        "POST /me/email: the owner's password moves the account to a new, unverified address; a link goes there, a notice to the old"
    )
    func ownerChange() async throws {
        let stack = try await Self.stack()
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let name = "move\(Int.random(in: 1000...9999))"
            let other = "other\(Int.random(in: 1000...9999))"
            #expect(try await client.register(name).status == .created)
            #expect(try await client.register(other).status == .created)
            try await deliverMail(stack, to: mailbox)
            #expect(try await Self.verify(client, token: try #require(mailbox.all.first?["verify"])).status == .ok)
            let access = try #require(try await client.login(name).json["access_token"] as? String)
            func change(_ json: String, token: String? = access) async throws -> TestResponse {
                try await client.send(.post, "/me/email", token: token, json: json)
            }
            let wrong = try await change(#"{"email":"new-\#(name)@example.com","password":"not my password"}"#)
            #expect(wrong.status == .forbidden && wrong.errorCode == "wrong_password")
            let taken = try await change(#"{"email":"\#(other)@example.com","password":"long enough pw"}"#)
            #expect(taken.status == .conflict && taken.errorCode == "email_taken", "another account's address")
            #expect(try await change(#"{"email":"not an address","password":"long enough pw"}"#).status == .badRequest)
            #expect(
                try await change(#"{"email":"x@example.com","password":"long enough pw"}"#, token: nil).status
                    == .unauthorized)
            #expect(try await change(#"{"email":"x@example.com"}"#).errorCode == "missing_field")

            let moved = try await change(#"{"email":"New-\#(name)@Example.com","password":"long enough pw"}"#)
            #expect(moved.status == .ok && moved.json["email"] as? String == "new-\(name)@example.com", "normalised")
            #expect(moved.json["email_verified"] as? Bool == false, "a new address is unverified")
            let before = mailbox.all.count
            try await deliverMail(stack, to: mailbox)
            let sent = mailbox.all.dropFirst(before)
            #expect(sent.contains { $0["verify"] != nil && $0["address"] == "new-\(name)@example.com" })
            #expect(
                sent.contains { $0["moved"] == name && $0["address"] == "\(name)@example.com" }, "the old address told")
            let audit = try await stack.stores.directory.auditEntries(before: nil, limit: 5)
            #expect(audit.contains { $0.actor == name && $0.target.contains(String(moved.json["id"] as? Int ?? -1)) })
        }
    }
}
