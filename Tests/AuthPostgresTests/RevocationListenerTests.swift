import AuthTestSupport
import Logging
import Synchronization
import Testing

@testable import AuthCore
@testable import AuthPostgres

@Suite("revocation listener")
struct RevocationListenerTests {
    /// Whether `state` refuses `token`'s claims now.
    static func refuses(_ state: RevocationState, _ stack: TestStack, _ token: String) throws -> Bool {
        let claims = try stack.codec.verify(token, now: UnixTime.now())
        do {
            try state.check(claims, userID: Int64(claims.subject)!, now: UnixTime.now())
            return false
        } catch {
            return error.code == .tokenRevoked
        }
    }

    /// A listener feeding `state`, running until stopped, once it has connected and loaded.
    static func connectedListener(_ state: RevocationState) async throws -> PostgresRevocationListener {
        let listener = PostgresRevocationListener(
            configuration: .init(
                connectionString: try await TestDatabase.migratedURL(), retention: TestStack.retention),
            state: state,
            logger: TestDatabase.logger)
        Task { try await listener.run() }
        for _ in 0..<200 where state.problem(now: UnixTime.now()) != nil {
            try await Task.sleep(for: .milliseconds(25))
        }
        return listener
    }

    @Test("a message added to the outbox, by any statement, rings the deliverer's doorbell on commit")
    func outboxDoorbell() async throws {
        let stack = try await TestStack()
        let doorbell = Doorbell()
        let listener = PostgresRevocationListener(
            configuration: .init(
                connectionString: try await TestDatabase.migratedURL(), retention: TestStack.retention),
            state: RevocationState(), outbox: doorbell, logger: TestDatabase.logger)
        Task { try await listener.run() }
        defer { listener.stop() }
        // The ring of the (re)connect, for what was added while the listener was away.
        let clock = ContinuousClock()
        #expect(await clock.measure { await doorbell.wait(upTo: .seconds(120)) } < .seconds(60))
        for insert in ["enqueue", "sql"] {
            let waited = try await clock.measure {
                async let rung: Void = doorbell.wait(upTo: .seconds(120))
                try await Task.sleep(for: .milliseconds(100))
                if insert == "enqueue" {
                    try await stack.stores.outbox.enqueue([OutboxMessage(kind: .mail, payload: "{}")])
                } else {
                    _ = try await stack.pool.run { connection in
                        try connection.query("INSERT INTO outbox (kind, payload) VALUES ('mail', '{}')")
                    }
                }
                await rung
            }
            #expect(waited < .seconds(60), "\(insert): rung at the commit, not after the 120 s wait (\(waited))")
        }
        _ = try await stack.pool.run { connection in try connection.query("DELETE FROM outbox") }
        await stack.shutdown()
    }

    @Test("a forged NOTIFY payload revokes nothing: what is applied is read from the revocations table")
    func forgedNotification() async throws {
        let stack = try await TestStack()
        let (victim, victimToken) = try await stack.account()
        let (_, otherToken) = try await stack.account()
        let state = RevocationState()
        let listener = try await Self.connectedListener(state)
        defer { listener.stop() }
        #expect(state.problem(now: UnixTime.now()) == nil, "the listener connected and loaded")

        // Any role that can connect may send this: a cut-off far in the future for the victim.
        let forged = Revocation(
            kind: .user, subject: String(victim.id), cutOff: 9_999_999_999, expiresAt: 9_999_999_999)
        _ = try await stack.pool.run { connection in
            try connection.query("SELECT pg_notify('authd_revocations', $1)", [forged.payload])
        }
        // A real revocation after it: once it shows, the forged one has been handled too.
        try await stack.service.sessions.logoutAll(accessToken: otherToken)
        for _ in 0..<200 where try !Self.refuses(state, stack, otherToken) {
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(try Self.refuses(state, stack, otherToken), "a revocation in the table arrives")
        #expect(try !Self.refuses(state, stack, victimToken), "the forged cut-off was not applied")
        await stack.shutdown()
    }

    @Test("a burst of 2,500 revocations in one transaction arrives whole, read a batch at a time")
    func burst() async throws {
        let stack = try await TestStack()
        let state = RevocationState()
        let listener = try await Self.connectedListener(state)
        defer { listener.stop() }
        let ids = (0..<2500).map { _ in TestDatabase.uniqueName("j") }
        _ = try await stack.pool.run { connection in
            try connection.transaction {
                try connection.query(
                    """
                    WITH r AS (
                        INSERT INTO revocations (kind, subject, cut_off, expires_at)
                        SELECT 'token', id, 0, now() + interval '1 hour' FROM unnest(string_to_array($1, ',')) AS id
                        RETURNING subject, expires_at)
                    SELECT count(pg_notify('authd_revocations',
                        'token ' || subject || ' 0 ' || extract(epoch FROM expires_at)::bigint)) FROM r
                    """, [ids.joined(separator: ",")])
            }
        }
        // Other suites revoke tokens in the same database meanwhile: count this burst's own ids.
        func missing() -> Int { ids.count { !state.holdsRevokedToken($0) } }
        for _ in 0..<400 where missing() > 0 {
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(missing() == 0, "every one of more than two batches applied")
        await stack.shutdown()
    }
}

@Suite("revocation listener on a database not migrated yet")
struct RevocationListenerFirstStartTests {
    /// What a logger was given, level and message.
    final class Records: Sendable {
        let entries = Mutex<[(level: Logger.Level, message: String)]>([])
    }

    struct RecordingHandler: LogHandler {
        let records: Records
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let error = event.metadata?["error"].map { " (\($0))" } ?? ""
            records.entries.withLock { $0.append((event.level, event.message.description + error)) }
        }
    }

    @Test("before and during the migrations it waits quietly (info, not a warning), then connects once they ran")
    func waitsForSchema() async throws {
        let url = try TestDatabase.createDatabase()
        let records = Records()
        let state = RevocationState()
        let listener = PostgresRevocationListener(
            configuration: .init(connectionString: url, retention: TestStack.retention), state: state,
            logger: Logger(label: "listener-test") { _ in RecordingHandler(records: records) })
        Task { try await listener.run() }
        defer { listener.stop() }
        let migrations = try Migrator.load(directory: TestDatabase.migrationsDirectory)
        func waitingLines() -> Int { records.entries.withLock { $0.filter { $0.message.contains("waiting") }.count } }
        for _ in 0..<1000 where waitingLines() == 0 { try await Task.sleep(for: .milliseconds(20)) }
        // Half the schema, as while the migrations run: tables, or columns, still missing.
        try Migrator(migrations: Array(migrations.prefix(2)), logger: TestDatabase.logger)
            .migrate(on: PostgresConnection(connectionString: url))
        let before = waitingLines()
        for _ in 0..<1000 where waitingLines() == before { try await Task.sleep(for: .milliseconds(20)) }
        try Migrator(migrations: migrations, logger: TestDatabase.logger)
            .migrate(on: PostgresConnection(connectionString: url))
        // The listener may be in its backoff (up to its maximum) when the schema appears; it logs
        // "connected" after marking the state connected, so the log line is what is waited for.
        for _ in 0..<600
        where !records.entries.withLock({ $0.contains { $0.message == "revocation listener connected" } }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let entries = records.entries.withLock { $0 }
        #expect(
            entries.contains { $0.level == .info && $0.message.contains("waiting for the database schema") },
            "\(entries)")
        #expect(!entries.contains { $0.level >= .warning }, "\(entries)")
        #expect(state.problem(now: UnixTime.now()) == nil, "connected and loaded once the schema exists")
        #expect(entries.contains { $0.message == "revocation listener connected" })
    }
}
