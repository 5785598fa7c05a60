public import AuthCore

/// `LockoutStore` on `login_failures`. Each failure is one INSERT … ON CONFLICT DO UPDATE, which
/// PostgreSQL runs under the row's lock: concurrent failures on any number of instances all count.
public struct PostgresLockoutStore: LockoutStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    public func isLocked(username: String, source: String) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                "SELECT 1 FROM login_failures WHERE username = $1 AND source = $2 AND locked_until > now()",
                [username, source]
            ).rows.isEmpty == false
        }
    }

    @discardableResult
    public func recordFailure(username: String, source: String, attempts: Int, windowSeconds: Int, lockSeconds: Int)
        async throws -> Int
    {
        let count = try await pool.run { connection in
            try connection.query(
                """
                INSERT INTO login_failures AS f (username, source, failures, window_start, locked_until, expires_at)
                VALUES ($1, $2, 1, now(), CASE WHEN $3::int <= 1 THEN now() + make_interval(secs => $5::int) END,
                    now() + make_interval(secs => greatest($4::int, $5::int)))
                ON CONFLICT (username, source) DO UPDATE SET
                    expires_at = greatest(f.expires_at, now() + make_interval(secs => greatest($4::int, $5::int))),
                    failures = CASE WHEN f.window_start < now() - make_interval(secs => $4::int)
                                    THEN 1 ELSE f.failures + 1 END,
                    window_start = CASE WHEN f.window_start < now() - make_interval(secs => $4::int)
                                        THEN now() ELSE f.window_start END,
                    locked_until = CASE
                        WHEN (CASE WHEN f.window_start < now() - make_interval(secs => $4::int)
                                   THEN 1 ELSE f.failures + 1 END) >= $3::int
                        THEN now() + make_interval(secs => $5::int)
                        ELSE f.locked_until END
                RETURNING failures
                """,
                [username, source, String(attempts), String(windowSeconds), String(lockSeconds)]
            ).single().int64("failures")
        }
        return Int(count)
    }

    public func reset(username: String, source: String) async throws {
        _ = try await pool.run { connection in
            try connection.query("DELETE FROM login_failures WHERE username = $1 AND source = $2", [username, source])
        }
    }

    public func unlock(username: String) async throws {
        _ = try await pool.run { connection in
            try connection.query("DELETE FROM login_failures WHERE username = lower($1)", [username])
        }
    }
}
