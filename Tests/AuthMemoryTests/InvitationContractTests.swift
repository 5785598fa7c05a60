import AuthCore
import AuthTestSupport
import Testing

@Suite("store contract: invitations")
struct InvitationContractTests {
    @Test(
        "an invitation is stored with its mail and audited; accepted once, before it expires, into a verified account",
        arguments: TestStack.Backing.allCases)
    func inviteAndAccept(_ backing: TestStack.Backing) async throws {
        let url = backing == .postgres ? try TestDatabase.freshMigratedURL() : nil
        let stack = try await TestStack(backing: backing, databaseURL: url)
        let directory = stack.stores.directory
        let message = OutboxMessage(kind: .mail, payload: #"{"invite":1}"#)
        let invitation = Invitation(email: "guest@example.com", roles: [Role.admin, Role.user])
        try await directory.invite(invitation, tokenHash: "t1", lifetime: 600, messages: [message], by: Contract.actor)
        try await directory.invite(invitation, tokenHash: "old", lifetime: -1, messages: [], by: Contract.actor)
        #expect(try await stack.stores.outbox.depth().queued == 1)
        #expect(try await directory.invitation(tokenHash: "t1") == invitation)
        #expect(try await directory.invitation(tokenHash: "old") == nil, "expired")
        let audit = try await directory.auditEntries(before: nil, limit: 5)
        #expect(audit.first?.action == "user.invite" && audit.first?.details["roles"] == "admin,user")
        #expect(!audit.contains { $0.details.values.contains("guest@example.com") }, "no address in the audit")

        #expect(
            try await directory.acceptInvitation(tokenHash: "old", username: "late", passwordHash: Contract.hash) == nil
        )
        #expect(
            try await directory.acceptInvitation(tokenHash: "nope", username: "who", passwordHash: Contract.hash) == nil
        )
        let user = try #require(
            try await directory.acceptInvitation(tokenHash: "t1", username: "guest", passwordHash: Contract.hash))
        #expect(user.email == "guest@example.com" && user.roles == [Role.admin, Role.user] && user.emailVerified)
        #expect(try await stack.users.find(id: user.id)?.emailVerified == true)
        #expect(
            try await directory.auditEntries(before: nil, limit: 1).first?.actor == "invitation:\(Contract.actor.name)")
        #expect(
            try await directory.acceptInvitation(tokenHash: "t1", username: "again", passwordHash: Contract.hash) == nil
        )
        #expect(try await directory.invitation(tokenHash: "t1") == nil, "used")

        await #expect {
            try await directory.invite(invitation, tokenHash: "t2", lifetime: 600, messages: [], by: Contract.actor)
        } throws: { ($0 as? AuthError)?.code == .emailTaken }
        await #expect {
            try await directory.invite(
                Invitation(email: "other@example.com", roles: ["no-such-role"]), tokenHash: "t3", lifetime: 600,
                messages: [], by: Contract.actor)
        } throws: { ($0 as? AuthError)?.code == .unknownRole }
        try await directory.invite(
            Invitation(email: "taken-name@example.com", roles: [Role.user]), tokenHash: "t4", lifetime: 600,
            messages: [], by: Contract.actor)
        await #expect {
            _ = try await directory.acceptInvitation(tokenHash: "t4", username: "GUEST", passwordHash: Contract.hash)
        } throws: { ($0 as? AuthError)?.code == .usernameTaken }
        #expect(
            try await directory.acceptInvitation(tokenHash: "t4", username: "guest2", passwordHash: Contract.hash)
                != nil,
            "a taken name used nothing up")
        await stack.shutdown()
    }
}
