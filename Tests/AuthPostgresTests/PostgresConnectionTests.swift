import AuthPostgres
import AuthTestSupport
import Testing

@Suite("libpq connection and pool")
struct PostgresConnectionTests {
    @Test("parameters are bound, never interpolated")
    func parameters() async throws {
        let connection = try PostgresConnection(connectionString: try await TestDatabase.migratedURL())
        let hostile = "x'); DROP TABLE users; --"
        let row = try connection.query("SELECT $1::text AS v, $2::text IS NULL AS n, 42::bigint AS i", [hostile, nil])
            .single()
        #expect(try row.string("v") == hostile)
        #expect(try row.bool("n"))
        #expect(try row.int64("i") == 42)
        #expect(try connection.query("SELECT count(*) AS c FROM users").single().int64("c") >= 0)
    }

    @Test("server errors carry SQLSTATE and constraint; the connection survives them")
    func serverErrors() async throws {
        let connection = try PostgresConnection(connectionString: try await TestDatabase.migratedURL())
        #expect {
            try connection.query("SELEC 1")
        } throws: { error in
            (error as? PostgresError)?.sqlState == "42601"
        }
        try connection.executeScript("CREATE TEMP TABLE t (k text PRIMARY KEY)")
        try connection.query("INSERT INTO t VALUES ($1)", ["a"])
        #expect {
            try connection.query("INSERT INTO t VALUES ($1)", ["a"])
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.isUniqueViolation && error.constraint == "t_pkey" && !error.isUnavailable
        }
        #expect(!connection.isBroken)
        #expect(try connection.query("SELECT 1 AS one").single().int64("one") == 1)
    }

    @Test("a NUL character in a parameter is refused, not truncated")
    func nulParameter() async throws {
        let connection = try PostgresConnection(connectionString: try await TestDatabase.migratedURL())
        #expect(throws: PostgresError.self) { try connection.query("SELECT $1::text", ["alice\u{0}x"]) }
    }

    @Test("an unreachable server is connection_failed, and unavailable")
    func unreachable() {
        #expect {
            try PostgresConnection(connectionString: "host=127.0.0.1 port=1 dbname=x connect_timeout=2")
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .connectionFailed && error.isUnavailable
        }
    }

    @Test("a connection the server closed while idle is replaced before use: the caller never sees it")
    func closedWhileIdleReplaced() async throws {
        let pool = PostgresPool(
            configuration: .init(connectionString: try await TestDatabase.migratedURL(), maxConnections: 1),
            logger: TestDatabase.logger)
        let pid = try await pool.withConnection { try $0.query("SELECT pg_backend_pid() AS pid").single().int64("pid") }
        let killer = try PostgresConnection(connectionString: try await TestDatabase.migratedURL())
        try killer.query("SELECT pg_terminate_backend($1, 5000)", [String(pid)])
        let next = try await pool.withConnection {
            try $0.query("SELECT pg_backend_pid() AS pid").single().int64("pid")
        }
        #expect(next != pid)
        await pool.close()
    }

    @Test("a connection that breaks in use fails its caller as unavailable, and is discarded")
    func brokenInUseDiscarded() async throws {
        let pool = PostgresPool(
            configuration: .init(connectionString: try await TestDatabase.migratedURL(), maxConnections: 1),
            logger: TestDatabase.logger)
        let pid = try await pool.withConnection { try $0.query("SELECT pg_backend_pid() AS pid").single().int64("pid") }
        await #expect {
            try await pool.withConnection { try $0.query("SELECT pg_terminate_backend(pg_backend_pid())") }
        } throws: { error in
            (error as? PostgresError)?.isUnavailable == true
        }
        let next = try await pool.withConnection {
            try $0.query("SELECT pg_backend_pid() AS pid").single().int64("pid")
        }
        #expect(next != pid)
        await pool.close()
    }

    @Test("a statement the server is slow to answer is waited for: only unacknowledged bytes mean a dead link")
    func slowAnswerWaitedFor() async throws {
        let connection = try PostgresConnection(
            connectionString: try await TestDatabase.migratedURL(), unacknowledgedTimeout: .milliseconds(200))
        let row = try connection.query("SELECT pg_sleep(0.8), 7::bigint AS seven").single()
        #expect(try row.int64("seven") == 7)
        #expect(!connection.isBroken)
    }

    @Test("a connection that breaks in use takes the idle ones with it; the next callers get fresh ones")
    func brokenDropsIdle() async throws {
        let url = try await TestDatabase.migratedURL()
        let pool = PostgresPool(
            configuration: .init(connectionString: url, maxConnections: 3), logger: TestDatabase.logger)
        // Three connections at once, so that three exist; then all three idle.
        let pids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await pool.withConnection {
                        try $0.query("SELECT pg_sleep(0.3)")
                        return try $0.query("SELECT pg_backend_pid() AS pid").single().int64("pid")
                    }
                }
            }
            return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
        }
        #expect(pids.count == 3)
        await #expect(throws: PostgresError.self) {
            try await pool.withConnection { try $0.query("SELECT pg_terminate_backend(pg_backend_pid())") }
        }
        let observer = try PostgresConnection(connectionString: url)
        let list = "{" + pids.map(String.init).joined(separator: ",") + "}"
        var left: Int64 = -1
        for _ in 0..<50 {
            left = try observer.query(
                "SELECT count(*) AS c FROM pg_stat_activity WHERE pid = ANY($1::int[])", [list]
            ).single().int64("c")
            if left == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(left == 0, "the two idle connections were closed with the broken one")
        let next = try await pool.withConnection {
            try $0.query("SELECT pg_backend_pid() AS pid").single().int64("pid")
        }
        #expect(!pids.contains(next))
        await pool.close()
    }

    @Test("the pool never opens more than its bound")
    func bounded() async throws {
        // What is checked is the bound; the wait is generous, as eight callers queue behind two
        // connections while a hundred other suites load the machine (5 s once ran out in CI).
        let pool = PostgresPool(
            configuration: .init(
                connectionString: try await TestDatabase.migratedURL(), maxConnections: 2,
                acquireTimeout: .seconds(60)),
            logger: TestDatabase.logger)
        let pids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await pool.withConnection {
                        try $0.query("SELECT pg_sleep(0.02)")
                        return try $0.query("SELECT pg_backend_pid() AS pid").single().int64("pid")
                    }
                }
            }
            return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
        }
        #expect(pids.count <= 2)
        await pool.close()
        await #expect(throws: PostgresError.self) { try await pool.withConnection { try $0.query("SELECT 1") } }
    }

    @Test("a caller that finds every connection busy past the acquire timeout gets pool_timeout")
    func acquireTimeout() async throws {
        let pool = PostgresPool(
            configuration: .init(
                connectionString: try await TestDatabase.migratedURL(), maxConnections: 1,
                acquireTimeout: .milliseconds(300)),
            logger: TestDatabase.logger)
        await #expect {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask { _ = try await pool.withConnection { try $0.query("SELECT pg_sleep(2)") } }
                }
                try await group.waitForAll()
            }
        } throws: { error in
            (error as? PostgresError)?.code == .poolTimeout
        }
        await pool.close()
    }
}
