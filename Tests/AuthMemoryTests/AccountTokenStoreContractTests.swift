import AuthCore
import AuthTestSupport
import Testing

@Suite("store contract: password reset tokens")
struct AccountTokenStoreContractTests {
    static func notice(_ user: User) -> [OutboxMessage] {
        [OutboxMessage(kind: .mail, payload: #"{"to":"\#(user.id)"}"#)]
    }

    /// A stack on a fresh database of `backing`, its token store and one account.
    static func setUp(_ backing: TestStack.Backing) async throws -> (TestStack, any AccountTokenStore, User) {
        let url = backing == .postgres ? try TestDatabase.freshMigratedURL() : nil
        let stack = try await TestStack(backing: backing, databaseURL: url)
        return (stack, stack.stores.accountTokens, try await Contract.user(stack))
    }

    @Test(
        "a token is issued for an enabled account named by username (any case) or exact address, within its limit",
        arguments: TestStack.Backing.allCases)
    func issue(_ backing: TestStack.Backing) async throws {
        let (stack, tokens, user) = try await Self.setUp(backing)
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
        let (stack, tokens, user) = try await Self.setUp(backing)
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

    static func verificationMail(_ user: User, issued: Bool) -> [OutboxMessage] {
        issued ? notice(user) : []
    }

    @Test(
        "verification: issued while the account has the address and is unverified, within its limit; replaces unused ones",
        arguments: TestStack.Backing.allCases)
    func issueVerification(_ backing: TestStack.Backing) async throws {
        let (stack, tokens, user) = try await Self.setUp(backing)
        func issue(_ hash: String, email: String? = nil, limit: Int = 3) async throws -> User? {
            try await tokens.issueVerification(
                username: user.username.uppercased(), email: email ?? user.email, tokenHash: hash,
                codeHash: "code-\(hash)", lifetime: 600, limit: limit, window: 3600, mail: Self.verificationMail)
        }
        #expect(try await issue("v1")?.id == user.id)
        #expect(try await issue("v2", email: "other-\(user.email)") == nil, "the account has another address now")
        #expect(try await issue("v3")?.id == user.id)
        #expect(try await tokens.redeemVerification(tokenHash: "v1") == nil, "replaced by v3")
        #expect(try await issue("v4", limit: 2)?.id == user.id, "the account, but no token past the limit")
        #expect(try await tokens.redeemVerification(tokenHash: "v4") == nil)
        #expect(try await stack.stores.outbox.depth().queued == 2, "a message per token issued")
        #expect(try await tokens.redeemVerification(tokenHash: "v3")?.emailVerified == true)
        #expect(try await issue("v5", limit: 10)?.emailVerified == true)
        #expect(try await tokens.redeemVerification(tokenHash: "v5") == nil, "none for a verified address")
        await stack.shutdown()
    }

    @Test(
        "verification link: verifies the address it was sent to; again after use; never after the address changed",
        arguments: TestStack.Backing.allCases)
    func redeemVerification(_ backing: TestStack.Backing) async throws {
        let (stack, tokens, user) = try await Self.setUp(backing)
        func issue(_ hash: String, lifetime: Int64 = 600) async throws {
            let current = try await stack.users.find(id: user.id)
            _ = try await tokens.issueVerification(
                username: user.username, email: current?.email ?? "", tokenHash: hash, codeHash: "c",
                lifetime: lifetime, limit: 9,
                window: 3600, mail: Self.verificationMail)
        }
        try await issue("expired", lifetime: -1)
        #expect(try await tokens.redeemVerification(tokenHash: "expired") == nil)
        try await issue("link")
        #expect(try await tokens.redeemVerification(tokenHash: "link")?.emailVerified == true)
        #expect(try await tokens.redeemVerification(tokenHash: "link")?.id == user.id, "a link opened twice")
        let moved = try await stack.directory.update(
            userID: user.id, UserChange(email: "moved-\(user.email)"), by: Contract.actor)
        #expect(moved.value.emailVerified == false, "a new address is unverified")
        #expect(try await tokens.redeemVerification(tokenHash: "link") == nil, "sent to the old address")
        try await issue("new")
        _ = try await stack.directory.update(userID: user.id, UserChange(email: user.email), by: Contract.actor)
        #expect(try await tokens.redeemVerification(tokenHash: "new") == nil, "the address changed again")
        let vouched = try await stack.directory.update(
            userID: user.id, UserChange(emailVerified: true), by: Contract.actor)
        let stored = try await stack.users.find(id: user.id)
        #expect(vouched.value.emailVerified && stored?.emailVerified == true)
        await stack.shutdown()
    }

    @Test(
        "verification code: the newest live one; misses counted and the code void after the last; a match verifies",
        arguments: TestStack.Backing.allCases)
    func redeemCode(_ backing: TestStack.Backing) async throws {
        let (stack, tokens, user) = try await Self.setUp(backing)
        #expect(try await tokens.redeemVerificationCode(userID: user.id, codeHash: "x", maxAttempts: 3) == .noCode)
        _ = try await tokens.issueVerification(
            username: user.username, email: user.email, tokenHash: "t1", codeHash: "right", lifetime: 600, limit: 9,
            window: 3600, mail: Self.verificationMail)
        for _ in 0..<3 {
            #expect(
                try await tokens.redeemVerificationCode(userID: user.id, codeHash: "wrong", maxAttempts: 3) == .wrong)
        }
        #expect(
            try await tokens.redeemVerificationCode(userID: user.id, codeHash: "right", maxAttempts: 3) == .noCode,
            "void after three misses")
        _ = try await tokens.issueVerification(
            username: user.username, email: user.email, tokenHash: "t2", codeHash: "right", lifetime: 600, limit: 9,
            window: 3600, mail: Self.verificationMail)
        #expect(try await tokens.redeemVerificationCode(userID: user.id, codeHash: "wrong", maxAttempts: 3) == .wrong)
        guard
            case .verified(let verified) = try await tokens.redeemVerificationCode(
                userID: user.id, codeHash: "right", maxAttempts: 3)
        else {
            Issue.record("the right code did not verify")
            return
        }
        #expect(verified.emailVerified && verified.id == user.id)
        #expect(try await tokens.redeemVerificationCode(userID: user.id, codeHash: "right", maxAttempts: 3) == .noCode)
        await stack.shutdown()
    }

    @Test(
        "sign-in tokens: issued within the limit to an enabled account by name or address, older ones expired",
        arguments: TestStack.Backing.allCases)
    func issueSignIn(_ backing: TestStack.Backing) async throws {
        let (stack, tokens, user) = try await Self.setUp(backing)
        func issue(_ login: String, _ hash: String, limit: Int = 3) async throws -> User? {
            try await tokens.issueSignIn(
                login: login, tokenHash: hash, codeHash: "code-" + hash, lifetime: 600, limit: limit, window: 3600,
                mail: Self.notice)
        }
        #expect(try await issue(user.username.uppercased(), "s1")?.id == user.id)
        #expect(try await tokens.username(signInToken: "s1") == user.username)
        #expect(try await issue(user.email, "s2")?.id == user.id)
        #expect(try await tokens.username(signInToken: "s1") == nil, "the newer token expired the older")
        #expect(try await tokens.username(signInToken: "s2") == user.username)
        #expect(try await issue("nobody-\(user.username)", "s3") == nil)
        #expect(try await issue(user.username, "s4", limit: 2) == nil, "two already within the window")
        #expect(try await stack.stores.outbox.depth().queued == 2, "one message per token issued, none otherwise")
        #expect(try await tokens.username(login: user.email) == user.username)
        #expect(try await tokens.username(login: user.username.uppercased()) == user.username)
        #expect(try await tokens.username(login: "nobody-\(user.username)") == nil)
        _ = try await stack.directory.update(userID: user.id, UserChange(disabled: true), by: Contract.actor)
        #expect(try await issue(user.username, "s5") == nil, "a disabled account gets none")
        #expect(try await tokens.username(login: user.username) == nil)
        await stack.shutdown()
    }

    @Test(
        "sign-in redeeming: the link or the code of the newest token, once; misses void it; a use verifies the address",
        arguments: TestStack.Backing.allCases)
    func redeemSignIn(_ backing: TestStack.Backing) async throws {
        let (stack, tokens, user) = try await Self.setUp(backing)
        func issue(_ hash: String) async throws {
            _ = try await tokens.issueSignIn(
                login: user.username, tokenHash: hash, codeHash: "code-" + hash, lifetime: 600, limit: 9, window: 3600,
                mail: Self.notice)
        }
        #expect(try await !tokens.redeemSignIn(userID: user.id, proofHash: "x", maxAttempts: 3), "none issued")
        try await issue("a")
        #expect(try await tokens.redeemSignIn(userID: user.id, proofHash: "a", maxAttempts: 3), "by the link")
        #expect(try await !tokens.redeemSignIn(userID: user.id, proofHash: "code-a", maxAttempts: 3), "used")
        #expect(try await tokens.username(signInToken: "a") == nil, "a used link names nobody")
        #expect(try await stack.users.find(id: user.id)?.emailVerified == true, "the mail reached the address")

        try await issue("b")
        try await issue("c")
        #expect(try await !tokens.redeemSignIn(userID: user.id, proofHash: "code-b", maxAttempts: 3), "expired by c")
        #expect(try await !tokens.redeemSignIn(userID: user.id, proofHash: "wrong", maxAttempts: 3))
        #expect(try await tokens.redeemSignIn(userID: user.id, proofHash: "code-c", maxAttempts: 3), "by the code")

        try await issue("d")
        for _ in 0..<3 {
            #expect(try await !tokens.redeemSignIn(userID: user.id, proofHash: "wrong", maxAttempts: 3))
        }
        #expect(try await !tokens.redeemSignIn(userID: user.id, proofHash: "d", maxAttempts: 3), "void after 3 misses")

        try await issue("e")
        _ = try await stack.directory.update(
            userID: user.id, UserChange(email: "moved-\(user.email)"), by: Contract.actor)
        #expect(
            try await !tokens.redeemSignIn(userID: user.id, proofHash: "e", maxAttempts: 3),
            "sent to an address the account no longer has")
        await stack.shutdown()
    }
}
