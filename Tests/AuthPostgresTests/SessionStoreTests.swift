import AuthCore
import AuthTestSupport
import Testing

@testable import AuthPostgres

@Suite("sessions in PostgreSQL")
struct SessionStoreTests {
    /// A store on the shared test database and a new session for a new user; returns its id.
    static func session(_ stack: TestStack, hash: String) async throws -> String {
        let (user, _) = try await stack.account()
        let id = TestDatabase.uniqueName("sid")
        let started = try await stack.sessions.create(
            NewSession(
                id: id, userID: user.id, tokenHash: hash, lifetime: 3600, clientAddress: "127.0.0.1",
                userAgent: "tests"), passwordHash: user.passwordHash)
        #expect(started?.roles == user.roles)
        return id
    }

    @Test("of many rotations racing on one token, exactly one succeeds")
    func rotationRace() async throws {
        let stack = try await TestStack()
        let old = TestDatabase.uniqueName("h")
        let id = try await Self.session(stack, hash: old)
        let sessions = stack.sessions
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<12 {
                group.addTask {
                    try await sessions.rotate(
                        sessionID: id, from: old, to: "\(old)-\(index)", gracePair: [UInt8(index)])
                }
            }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(wins == 1)
        let owner = try #require(try await sessions.owner(ofRefreshTokenHash: old))
        #expect(!owner.state.isCurrent && owner.state.isPrevious)
        #expect(owner.session.refreshCount == 1)
        await stack.shutdown()
    }

    @Test("a stale token: the grace pair inside the window, then theft (session revoked), then ended")
    func staleTokens() async throws {
        let stack = try await TestStack()
        let first = TestDatabase.uniqueName("h")
        let id = try await Self.session(stack, hash: first)
        #expect(
            try await stack.sessions.rotate(
                sessionID: id, from: first, to: first + "2", gracePair: [1, 2, 3]))
        #expect(
            try await stack.sessions.rotate(
                sessionID: id, from: first + "2", to: first + "3", gracePair: [4, 5]))

        let policy = SessionPolicy(refreshGrace: 10)
        let retry = try await stack.sessions.stale(sessionID: id, presented: first + "2") { policy.decide($0) }
        #expect(retry.value == .gracePair([4, 5]))
        #expect(retry.revocations.isEmpty)

        let theft = try await stack.sessions.stale(sessionID: id, presented: first) { policy.decide($0) }
        #expect(theft.value == .revoked(.reused), "an older token than the previous one is never forgiven")
        #expect(theft.revocations.map(\.kind) == [.session])
        let newest = try #require(try await stack.sessions.owner(ofRefreshTokenHash: first + "3"))
        #expect(newest.state.revoked && policy.decide(newest.state) == .refuse, "the newest token dies too")
        #expect(
            try await stack.sessions.stale(sessionID: id, presented: first + "2") { policy.decide($0) }.value == .ended)
        await stack.shutdown()
    }

    @Test("pruning drops revocations past their horizon and sessions a day after they ended")
    func prune() async throws {
        let stack = try await TestStack()
        let live = try await Self.session(stack, hash: TestDatabase.uniqueName("h"))
        let old = try await Self.session(stack, hash: TestDatabase.uniqueName("h"))
        let connection = try PostgresConnection(connectionString: try await TestDatabase.migratedURL())
        try connection.query("UPDATE sessions SET revoked_at = now() - interval '2 days' WHERE id = $1", [old])
        let subject = TestDatabase.uniqueName("jti")
        try connection.query(
            "INSERT INTO revocations (kind, subject, expires_at) VALUES ('token', $1, now() - interval '2 hours')",
            [subject])
        try PostgresRevocations.prune(on: connection)
        let sessions = try connection.query("SELECT id FROM sessions WHERE id IN ($1, $2)", [live, old]).rows
        #expect(try sessions.map { try $0.string("id") } == [live])
        #expect(try connection.query("SELECT 1 FROM revocations WHERE subject = $1", [subject]).rows.isEmpty)
        #expect(try connection.query("SELECT 1 FROM session_tokens WHERE session_id = $1", [old]).rows.isEmpty)
        await stack.shutdown()
    }

    @Test("failed-login counters are pruned once their window and lock are over, not before")
    func pruneLoginFailures() async throws {
        let stack = try await TestStack()
        let expired = TestDatabase.uniqueName("invented")
        let current = TestDatabase.uniqueName("invented")
        try await stack.lockouts.recordFailure(
            username: expired, source: "192.0.2.1", under: .init(attempts: 5, windowSeconds: 1, lockSeconds: 1))
        try await stack.lockouts.recordFailure(
            username: current, source: "192.0.2.1", under: .init(attempts: 5, windowSeconds: 900, lockSeconds: 900))
        try await Task.sleep(for: .milliseconds(1500))
        let connection = try PostgresConnection(connectionString: try await TestDatabase.migratedURL())
        try PostgresRevocations.prune(on: connection)
        let left = try connection.query(
            "SELECT username FROM login_failures WHERE username IN ($1, $2)", [expired, current]
        ).rows.map { try $0.string("username") }
        #expect(left == [current])
        await stack.shutdown()
    }
}
