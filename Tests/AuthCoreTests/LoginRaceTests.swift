import AuthCore
import AuthCrypto
import AuthTestSupport
import Synchronization
import Testing

/// Logins whose password check (a slow scrypt) straddles a change to the account.
@Suite("a login in flight does not survive a password change, a disable or a role removal")
struct LoginRaceTests {
    /// Dearer than the test default, so a change often lands while a password is being checked.
    static let scrypt = ScryptParameters(logN: 13, r: 8, p: 1)

    /// Logs in with `password` on three tasks at once until shortly after `change`, which runs once
    /// a first login has succeeded; returns every session obtained.
    static func sessions(
        _ stack: TestStack, _ name: String, _ password: String, around change: @Sendable () async throws -> Void
    ) async throws -> [SessionTokens] {
        let loop = Loop()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    while !loop.stop.load(ordering: .relaxed) {
                        if let tokens = try? await stack.service.login(username: name, password: password).tokens {
                            loop.obtained.withLock { $0.append(tokens) }
                        }
                    }
                }
            }
            // At least one login must have finished first (under a loaded test run that can take
            // seconds), so the change always lands between logins.
            let deadline = ContinuousClock.now + .seconds(60)
            while loop.obtained.withLock({ $0.isEmpty }) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(200))
            try await change()
            try await Task.sleep(for: .milliseconds(400))
            loop.stop.store(true, ordering: .relaxed)
            try await group.waitForAll()
        }
        return loop.obtained.withLock { $0 }
    }

    final class Loop: Sendable {
        let stop = Atomic<Bool>(false)
        let obtained = Mutex<[SessionTokens]>([])
    }

    static func works(_ stack: TestStack, _ tokens: SessionTokens) async -> Bool {
        if (try? stack.service.tokens.authorize(accessToken: tokens.accessToken, for: .account)) != nil { return true }
        return (try? await stack.service.sessions.refresh(refreshToken: tokens.refreshToken)) != nil
    }

    @Test("across POST /password: every session from the old password is dead afterwards")
    func passwordChange() async throws {
        let stack = try await TestStack(scrypt: Self.scrypt)
        let (user, token) = try await stack.account()
        let sessions = try await Self.sessions(stack, user.username, TestStack.password) {
            try await stack.service.sessions.changePassword(
                accessToken: token, currentPassword: TestStack.password, newPassword: "a new long password 2")
        }
        #expect(!sessions.isEmpty, "the loop logged in before the change")
        for tokens in sessions { #expect(!(await Self.works(stack, tokens))) }
        await stack.shutdown()
    }

    @Test("across a disable: no session works afterwards")
    func disable() async throws {
        let stack = try await TestStack(scrypt: Self.scrypt)
        let (user, _) = try await stack.account()
        let sessions = try await Self.sessions(stack, user.username, TestStack.password) {
            _ = try await stack.admin.update(userID: user.id, UserChange(disabled: true), by: TestStack.testOperator)
        }
        #expect(!sessions.isEmpty)
        for tokens in sessions { #expect(!(await Self.works(stack, tokens))) }
        await stack.shutdown()
    }

    @Test("across a role removal: no token that still works carries the removed role")
    func roleRemoval() async throws {
        let stack = try await TestStack(scrypt: Self.scrypt)
        let role = TestDatabase.uniqueName("ops")
        _ = try await stack.admin.createRole(name: role, description: "", permissions: [], by: TestStack.testOperator)
        let (user, _) = try await stack.account(roles: [Role.user, role])
        let sessions = try await Self.sessions(stack, user.username, TestStack.password) {
            _ = try await stack.admin.update(
                userID: user.id, UserChange(roles: [Role.user]), by: TestStack.testOperator)
        }
        #expect(!sessions.isEmpty)
        for tokens in sessions {
            if let claims = try? stack.service.tokens.authorize(accessToken: tokens.accessToken, for: .account) {
                #expect(!claims.roles.contains(role))
            }
        }
        await stack.shutdown()
    }
}
