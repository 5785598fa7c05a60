import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("invitations")
struct InvitationTests {
    @Test("an admin invites; the link's token makes the account once, with the roles and a verified address")
    func accept() async throws {
        let stack = try await TestStack(backing: .memory, mail: RecordingMail())
        let mailbox = Mailbox()
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let (_, userToken) = try await stack.account()
        try await withServer(stack: stack) { client in
            let body = #"{"email":"Guest@Example.com","roles":["user","admin"]}"#
            #expect(
                try await client.send(.post, "/admin/invitations", token: userToken, json: body).status == .forbidden)
            let invited = try await client.send(.post, "/admin/invitations", token: adminToken, json: body)
            #expect(
                invited.status == .created
                    && (invited.json["expires_at"] as? Int ?? 0) > Int(Date().timeIntervalSince1970))
            try await deliverMail(stack, to: mailbox)
            let mail = try #require(mailbox.all.first { $0["invite"] != nil })
            #expect(mail["address"] == "guest@example.com")
            let token = try #require(mail["invite"])

            let bogus = String(repeating: "B", count: 43)
            let unknown = try await client.post(
                "/invitations/accept", json: #"{"token":"\#(bogus)","username":"guest","password":"short"}"#)
            #expect(unknown.errorCode == "invalid_invitation", "the token first: no hash, no policy, for a bad link")
            let weak = try await client.post(
                "/invitations/accept", json: #"{"token":"\#(token)","username":"guest","password":"short"}"#)
            #expect(weak.errorCode == "weak_password")
            let accepted = try await client.post(
                "/invitations/accept", json: #"{"token":"\#(token)","username":"guest","password":"long enough pw"}"#)
            #expect(accepted.status == .created)
            let user = try #require(accepted.json["user"] as? [String: Any])
            #expect(user["email"] as? String == "guest@example.com" && user["email_verified"] as? Bool == true)
            #expect(user["roles"] as? [String] == ["admin", "user"])
            #expect(try await client.login("guest").status == .ok)
            let again = try await client.post(
                "/invitations/accept", json: #"{"token":"\#(token)","username":"guest2","password":"long enough pw"}"#)
            #expect(again.status == .unauthorized && again.errorCode == "invalid_invitation")
            let taken = try await client.send(.post, "/admin/invitations", token: adminToken, json: body)
            #expect(taken.status == .conflict && taken.errorCode == "email_taken")
            let unknownRole = try await client.send(
                .post, "/admin/invitations", token: adminToken, json: #"{"email":"x@example.com","roles":["ghost"]}"#)
            #expect(unknownRole.status == .unprocessableContent)
        }
    }

    @Test("the portal's invitation page makes the account; a used link gets a clear page")
    func portal() async throws {
        let stack = try await TestStack(backing: .memory, mail: RecordingMail())
        let mailbox = Mailbox()
        _ = try await stack.admin.invite(email: "page@example.com", roles: [Role.user], by: TestStack.testOperator)
        try await deliverMail(stack, to: mailbox)
        let token = try #require(mailbox.all.first?["invite"])
        try await withServer(stack: stack) { client in
            let browser = PortalFlowTests.Browser()
            let page = try await browser.get(client, "/ui/invitation?token=\(token)")
            let csrf = try #require(PortalFlowTests.hidden("csrf", in: page))
            func post(_ name: String, _ password: String, _ confirm: String) async throws -> TestResponse {
                try await browser.post(
                    client, "/ui/invitation",
                    [
                        ("csrf", csrf), ("token", token), ("username", name), ("new_password", password),
                        ("confirm", confirm),
                    ])
            }
            #expect(try await post("pageuser", "long enough pw", "long enough px").status == .unprocessableContent)
            #expect(try await post("bad name!", "long enough pw", "long enough pw").status == .unprocessableContent)
            let made = try await post("pageuser", "long enough pw", "long enough pw")
            #expect(made.status == .created && made.bodyText.contains("Welcome"))
            let used = try await post("pageuser2", "long enough pw", "long enough pw")
            #expect(used.status == .badRequest && used.bodyText.contains("Ask whoever invited you"))
        }
    }

    @Test("without mail, invitations answer 503 mail_unavailable")
    func off() async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        try await withServer(stack: stack) { client in
            let refused = try await client.send(
                .post, "/admin/invitations", token: adminToken, json: #"{"email":"a@example.com"}"#)
            #expect(refused.status == .serviceUnavailable && refused.errorCode == "mail_unavailable")
        }
    }
}
