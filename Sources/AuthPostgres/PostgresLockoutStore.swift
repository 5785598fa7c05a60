public import AuthCore

/// `LockoutStore` on `login_failures`. A change is one transaction: an upsert that creates the
/// pair's row if needed and locks it, returning it as it stands, then one UPDATE with what the
/// policy made of it. Concurrent failures on any number of instances queue on the row's lock, so
/// each of them counts.
public struct PostgresLockoutStore: LockoutStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    static let columns = """
        f.failures, \(SQLTime.milliseconds("f.window_start")) AS window_start,
        \(SQLTime.milliseconds("f.locked_until")) AS locked_until, \(SQLTime.milliseconds("f.expires_at")) AS expires_at,
        \(SQLTime.milliseconds("now()")) AS now
        """

    static func counter(from row: PostgresRow) throws -> LockoutPolicy.Counter {
        LockoutPolicy.Counter(
            failures: Int(try row.int64("failures")), windowStart: try row.int64("window_start"),
            lockedUntil: try row.optionalInt64("locked_until"),
            expiresAt: try row.int64("expires_at"))
    }

    public func counter(username: String, source: String) async throws -> (
        counter: LockoutPolicy.Counter?, now: Int64
    ) {
        try await pool.run { connection in
            let row = try connection.query(
                """
                SELECT \(Self.columns)
                FROM (VALUES (1)) AS one (x) LEFT JOIN login_failures f ON f.username = $1 AND f.source = $2
                """, [username, source]
            ).single()
            let now = try row.int64("now")
            guard try row.optionalString("failures") != nil else { return (nil, now) }
            return (try Self.counter(from: row), now)
        }
    }

    public func update(
        username: String, source: String,
        _ change: @escaping @Sendable (LockoutPolicy.Counter?, Int64) -> LockoutPolicy.Counter
    ) async throws -> LockoutPolicy.Counter {
        try await pool.run { connection in
            try connection.transaction {
                // A new row holds no failures yet (the policy reads it as none); either way the row
                // is locked until COMMIT.
                let row = try connection.query(
                    """
                    INSERT INTO login_failures AS f (username, source, failures, window_start, expires_at)
                    VALUES ($1, $2, 0, now(), now())
                    ON CONFLICT (username, source) DO UPDATE SET failures = f.failures
                    RETURNING \(Self.columns)
                    """, [username, source]
                ).single()
                let before = try Self.counter(from: row)
                let after = change(before, try row.int64("now"))
                try connection.query(
                    """
                    UPDATE login_failures SET failures = $3, window_start = \(SQLTime.timestamp("$4")),
                        locked_until = \(SQLTime.timestamp("$5")), expires_at = \(SQLTime.timestamp("$6"))
                    WHERE username = $1 AND source = $2
                    """,
                    [
                        username, source, String(after.failures), String(after.windowStart),
                        after.lockedUntil.map { String($0) }, String(after.expiresAt),
                    ])
                return after
            }
        }
    }

    public func reset(username: String, source: String) async throws {
        _ = try await pool.run { connection in
            try connection.query("DELETE FROM login_failures WHERE username = $1 AND source = $2", [username, source])
        }
    }

    public func unlock(username: String, by actor: Actor) async throws {
        try await pool.run { connection in
            try connection.transaction {
                try connection.query("DELETE FROM login_failures WHERE username = lower($1)", [username])
                try PostgresDirectoryStore.audit(
                    actor, "user.unlock", target: "username:\(username.lowercased())", [:], on: connection)
            }
        }
    }
}
