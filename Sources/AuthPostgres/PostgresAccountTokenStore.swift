public import AuthCore

/// `AccountTokenStore` on `account_tokens`. Issuing locks the account's row, so concurrent
/// requests for one account on any number of instances count against its limit one after another;
/// redeeming is one UPDATE that uses the token only while it is valid, then the password change
/// in the same transaction.
public struct PostgresAccountTokenStore: AccountTokenStore {
    let pool: PostgresPool
    let retention: RetentionPolicy

    public init(pool: PostgresPool, retention: RetentionPolicy) {
        self.pool = pool
        self.retention = retention
    }

    public func issueReset(
        login: String, tokenHash: String, lifetime: Int64, limit: Int, window: Int64,
        mail: @escaping @Sendable (User) throws -> [OutboxMessage]
    ) async throws -> User? {
        try await pool.run { connection in
            try connection.transaction {
                // A username in any case first, else the address exactly; enabled accounts only.
                let found = try connection.query(
                    """
                    SELECT \(PostgresUserStore.columns) FROM users u
                    WHERE NOT u.disabled AND (lower(u.username) = lower($1) OR u.email = $1)
                    ORDER BY lower(u.username) = lower($1) DESC LIMIT 1 FOR UPDATE OF u
                    """, [login]
                ).rows.first
                guard let found else { return nil }
                let user = try PostgresUserStore.user(from: found)
                let recent = try connection.query(
                    """
                    SELECT count(*) AS n FROM account_tokens
                    WHERE user_id = $1 AND purpose = 'reset' AND created_at > now() - $2::bigint * interval '1 second'
                    """, [String(user.id), String(window)]
                ).single().int64("n")
                guard recent < limit else { return nil }
                try connection.query(
                    """
                    INSERT INTO account_tokens (token_hash, purpose, user_id, expires_at)
                    VALUES ($1, 'reset', $2, now() + $3::bigint * interval '1 second')
                    """, [tokenHash, String(user.id), String(lifetime)])
                try PostgresOutboxStore.insert(try mail(user), on: connection)
                return user
            }
        }
    }

    public func redeemReset(
        tokenHash: String, newHash: String, mail: @escaping @Sendable (User) throws -> [OutboxMessage]
    ) async throws -> Changed<User?> {
        let retention = self.retention
        return try await pool.run { connection in
            try connection.transaction {
                let used = try connection.query(
                    """
                    UPDATE account_tokens t SET used_at = now()
                    FROM users u
                    WHERE t.token_hash = $1 AND t.purpose = 'reset' AND t.used_at IS NULL AND t.expires_at > now()
                        AND u.id = t.user_id AND NOT u.disabled
                    RETURNING t.user_id
                    """, [tokenHash]
                ).rows.first
                guard let used else { return Changed(nil) }
                let userID = try used.int64("user_id")
                let row = try connection.query(
                    """
                    UPDATE users u SET password_hash = $2, updated_at = now() WHERE u.id = $1
                    RETURNING \(PostgresUserStore.columns)
                    """, [String(userID), newHash]
                ).single()
                let user = try PostgresUserStore.user(from: row)
                try connection.query(
                    "DELETE FROM account_tokens WHERE user_id = $1 AND purpose = 'reset' AND token_hash <> $2",
                    [String(userID), tokenHash])
                var revocations = try PostgresRevocations.endSessions(
                    of: userID, except: nil, retention: retention, on: connection)
                if let cutOff = try PostgresRevocations.cutOff(userID, retention: retention, on: connection) {
                    revocations.append(cutOff)
                }
                try PostgresOutboxStore.insert(try mail(user), on: connection)
                return Changed(user, revocations: revocations)
            }
        }
    }
}
