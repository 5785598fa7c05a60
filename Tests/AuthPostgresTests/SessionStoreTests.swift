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

    @Test("pruning drops revocations and ended sessions older than the retention policy keeps them, not younger")
    func prune() async throws {
        let stack = try await TestStack()
        let live = try await Self.session(stack, hash: TestDatabase.uniqueName("h"))
        let old = try await Self.session(stack, hash: TestDatabase.uniqueName("h"))
        let recent = try await Self.session(stack, hash: TestDatabase.uniqueName("h"))
        let connection = try PostgresConnection(connectionString: try await TestDatabase.migratedURL())
        try connection.query("UPDATE sessions SET revoked_at = now() - interval '2 days' WHERE id = $1", [old])
        try connection.query("UPDATE sessions SET revoked_at = now() - interval '12 hours' WHERE id = $1", [recent])
        let expired = TestDatabase.uniqueName("jti")
        let lately = TestDatabase.uniqueName("jti")
        try connection.query(
            """
            INSERT INTO revocations (kind, subject, expires_at)
            VALUES ('token', $1, now() - interval '2 hours'), ('token', $2, now() - interval '30 minutes')
            """, [expired, lately])
        let ids = [live, old, recent]
        func sessionsLeft() throws -> Set<String> {
            Set(
                try connection.query(
                    "SELECT id FROM sessions WHERE id = ANY(string_to_array($1, ','))",
                    [
                        ids.joined(separator: ",")
                    ]
                ).rows.map { try $0.string("id") })
        }
        func revocationsLeft() throws -> Set<String> {
            Set(
                try connection.query(
                    "SELECT subject FROM revocations WHERE subject IN ($1, $2)", [expired, lately]
                ).rows.map { try $0.string("subject") })
        }

        try PostgresRevocations.prune(TestStack.retention, on: connection)
        #expect(try sessionsLeft() == [live, recent], "the default keeps a session a day after it ended")
        #expect(try revocationsLeft() == [lately], "and a revocation an hour past its expiry")
        #expect(try connection.query("SELECT 1 FROM session_tokens WHERE session_id = $1", [old]).rows.isEmpty)

        let shorter = RetentionPolicy(
            accessTokenLifetime: 900, leeway: 30, expiredRevocationKept: 600, endedSessionKept: 3600)
        try PostgresRevocations.prune(shorter, on: connection)
        #expect(try sessionsLeft() == [live], "the policy's ages are what the prune uses")
        #expect(try revocationsLeft().isEmpty)
        await stack.shutdown()
    }

    @Test(
        "pruning drops reset tokens and invitations a day past their expiry and given-up mail a week after, not younger"
    )
    func pruneMail() async throws {
        let url = try TestDatabase.freshMigratedURL()
        let stack = try await TestStack(databaseURL: url)
        let (user, _) = try await stack.account()
        let connection = try PostgresConnection(connectionString: url)
        try connection.query(
            """
            INSERT INTO account_tokens (token_hash, purpose, user_id, expires_at) VALUES
                ('old', 'reset', $1, now() - interval '2 days'), ('recent', 'reset', $1, now() - interval '1 hour')
            """, [String(user.id)])
        try connection.query(
            """
            INSERT INTO invitations (token_hash, email, roles, invited_by, expires_at) VALUES
                ('old', 'a@example.com', 'user', 't', now() - interval '2 days'),
                ('recent', 'b@example.com', 'user', 't', now() - interval '1 hour')
            """)
        try connection.query(
            """
            INSERT INTO outbox (kind, payload, failed_at) VALUES
                ('mail', '{"n":1}', now() - interval '8 days'), ('mail', '{"n":2}', now() - interval '6 days'),
                ('mail', '{"n":3}', NULL)
            """)
        try PostgresRevocations.prune(TestStack.retention, on: connection)
        #expect(
            try connection.query("SELECT token_hash FROM account_tokens").rows.map { try $0.string("token_hash") }
                == ["recent"])
        #expect(
            try connection.query("SELECT token_hash FROM invitations").rows.map { try $0.string("token_hash") }
                == ["recent"])
        #expect(
            try connection.query("SELECT payload::text AS p FROM outbox ORDER BY id").rows.map { try $0.string("p") }
                == [#"{"n":2}"#, #"{"n":3}"#], "queued mail is never pruned")
        await stack.shutdown()
    }

    @Test("a user cut-off lands on the next whole second of the database's clock and never moves back")
    func userCutOff() async throws {
        let stack = try await TestStack()
        let (user, _) = try await stack.account()
        let connection = try PostgresConnection(connectionString: try await TestDatabase.migratedURL())
        let before = try connection.query("SELECT floor(extract(epoch FROM clock_timestamp()))::bigint AS s")
            .single().int64("s")
        let cutOff = try #require(
            try connection.transaction {
                try PostgresRevocations.cutOff(user.id, retention: TestStack.retention, on: connection)
            })
        let after = try connection.query("SELECT floor(extract(epoch FROM clock_timestamp()))::bigint AS s")
            .single().int64("s")
        #expect((before + 1...after + 1).contains(cutOff.cutOff))
        #expect(cutOff.expiresAt == cutOff.cutOff + TestStack.retention.revocationLifetime)
        let stored = try connection.query(
            "SELECT extract(epoch FROM not_before)::bigint AS nb FROM users WHERE id = $1", [String(user.id)]
        ).single().int64("nb")
        #expect(stored == cutOff.cutOff)
        try connection.query(
            "UPDATE users SET not_before = to_timestamp($2) WHERE id = $1", [String(user.id), String(after + 3600)])
        let later = try #require(
            try connection.transaction {
                try PostgresRevocations.cutOff(user.id, retention: TestStack.retention, on: connection)
            })
        #expect(later.cutOff == after + 3601, "a cut-off already further on moves one past it, never back")
        #expect(
            try connection.transaction {
                try PostgresRevocations.cutOff(-1, retention: TestStack.retention, on: connection)
            } == nil)
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
        let connection = try PostgresConnection(connectionString: try await TestDatabase.migratedURL())
        // 1.5 s on the database's clock: both counters' times moved back by as much.
        try connection.query(
            """
            UPDATE login_failures SET window_start = window_start - interval '1.5 seconds',
                locked_until = locked_until - interval '1.5 seconds', expires_at = expires_at - interval '1.5 seconds'
            WHERE username IN ($1, $2)
            """, [expired, current])
        try PostgresRevocations.prune(TestStack.retention, on: connection)
        let left = try connection.query(
            "SELECT username FROM login_failures WHERE username IN ($1, $2)", [expired, current]
        ).rows.map { try $0.string("username") }
        #expect(left == [current])
        await stack.shutdown()
    }
}
