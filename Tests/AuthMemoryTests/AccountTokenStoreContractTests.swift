import AuthCore
import AuthTestSupport
import Testing

@Suite("store contract: password reset tokens")
struct AccountTokenStoreContractTests {
    static func notice(_ user: User) -> [OutboxMessage] {
        [OutboxMessage(kind: .mail, payload: #"{"to":"\#(user.id)"}"#)]
    }

    @Test(
        "a token is issued for an enabled account named by username (any case) or exact address, within its limit",
        arguments: TestStack.Backing.allCases)
    func issue(_ backing: TestStack.Backing) async throws {
        let url = backing == .postgres ? try TestDatabase.freshMigratedURL() : nil
        let stack = try await TestStack(backing: backing, databaseURL: url)
        let tokens = stack.stores.accountTokens
        let user = try await Contract.user(stack)
        func issue(_ login: String, _ hash: String, limit: Int = 3) async throws -> User? {
            try await tokens.issueReset(
                login: login, tokenHash: hash, lifetime: 600, limit: limit, window: 3600, mail: Self.notice)
        }
        #expect(try await issue(user.username.uppercased(), "h1")?.id == user.id)
        #expect(try await issue(user.email, "h2")?.id == user.id)
        #expect(try await issue("nobody-\(user.username)", "h3") == nil)
        #expect(try await issue(user.username, "h4", limit: 2) == nil, "two already within the window")
        #expect(try await stack.stores.outbox.depth().queued == 2, "one message per token issued, none otherwise")
        _ = try await stack.directory.update(userID: user.id, UserChange(disabled: true), by: Contract.actor)
        #expect(try await issue(user.username, "h5") == nil, "a disabled account gets none")
        await stack.shutdown()
    }

    @Test(
        "redeeming: once, unexpired, for an enabled account; the password set, sessions ended, other tokens gone",
        arguments: TestStack.Backing.allCases)
    func redeem(_ backing: TestStack.Backing) async throws {
        let url = backing == .postgres ? try TestDatabase.freshMigratedURL() : nil
        let stack = try await TestStack(backing: backing, databaseURL: url)
        let tokens = stack.stores.accountTokens
        let user = try await Contract.user(stack)
        let session = try await Contract.session(stack, of: user, token: "r-\(user.id)")
        for hash in ["a", "b"] {
            _ = try await tokens.issueReset(
                login: user.username, tokenHash: hash, lifetime: 600, limit: 5, window: 3600, mail: Self.notice)
        }
        let redeemed = try await tokens.redeemReset(tokenHash: "a", newHash: Contract.otherHash, mail: Self.notice)
        #expect(redeemed.value?.id == user.id)
        #expect(redeemed.revocations.contains { $0.kind == .session && $0.subject == session })
        #expect(redeemed.revocations.contains { $0.kind == .user && $0.subject == String(user.id) })
        #expect(try await stack.users.find(id: user.id)?.passwordHash == Contract.otherHash)
        #expect(try await stack.sessions.sessions(of: user.id).isEmpty)
        #expect(try await stack.stores.outbox.depth().queued == 3, "two reset messages and the notice")
        let again = try await tokens.redeemReset(tokenHash: "a", newHash: Contract.hash, mail: Self.notice)
        #expect(again.value == nil && again.revocations.isEmpty, "used")
        #expect(
            try await tokens.redeemReset(tokenHash: "b", newHash: Contract.hash, mail: Self.notice).value == nil,
            "the account's other tokens went with the first use")
        #expect(try await stack.users.find(id: user.id)?.passwordHash == Contract.otherHash, "nothing changed")

        _ = try await tokens.issueReset(
            login: user.username, tokenHash: "expired", lifetime: -1, limit: 5, window: 3600, mail: Self.notice)
        #expect(
            try await tokens.redeemReset(tokenHash: "expired", newHash: Contract.hash, mail: Self.notice).value == nil)
        _ = try await tokens.issueReset(
            login: user.username, tokenHash: "c", lifetime: 600, limit: 5, window: 3600, mail: Self.notice)
        _ = try await stack.directory.update(userID: user.id, UserChange(disabled: true), by: Contract.actor)
        #expect(
            try await tokens.redeemReset(tokenHash: "c", newHash: Contract.hash, mail: Self.notice).value == nil,
            "not for a disabled account")
        await stack.shutdown()
    }
}
