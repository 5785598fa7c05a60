public import AuthCore
import AuthCrypto

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
                guard let user = try Self.account(login: login, locked: true, on: connection),
                    try Self.issued(.reset, to: user.id, within: window, on: connection) < limit
                else { return nil }
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

    public func issueVerification(
        username: String, email: String, tokenHash: String, codeHash: String, lifetime: Int64, limit: Int,
        window: Int64, mail: @escaping @Sendable (User, _ issued: Bool) throws -> [OutboxMessage]
    ) async throws -> User? {
        try await pool.run { connection in
            try connection.transaction {
                let found = try connection.query(
                    """
                    SELECT \(PostgresUserStore.columns) FROM users u
                    WHERE lower(u.username) = lower($1) AND u.email = $2 FOR UPDATE OF u
                    """, [username, email]
                ).rows.first
                guard let found else { return nil }
                let user = try PostgresUserStore.user(from: found)
                var issued = false
                if !user.emailVerified, try Self.issued(.verify, to: user.id, within: window, on: connection) < limit {
                    try Self.replace(
                        .verify, of: user.id, with: tokenHash, codeHash: codeHash, email: email, lifetime: lifetime,
                        on: connection)
                    issued = true
                }
                try PostgresOutboxStore.insert(try mail(user, issued), on: connection)
                return user
            }
        }
    }

    public func redeemVerification(tokenHash: String) async throws -> User? {
        try await pool.run { connection in
            try connection.transaction {
                let token = try connection.query(
                    """
                    SELECT t.user_id, t.used_at IS NOT NULL AS used FROM account_tokens t
                    JOIN users u ON u.id = t.user_id
                    WHERE t.token_hash = $1 AND t.purpose = 'verify' AND t.expires_at > now() AND t.email = u.email
                        AND NOT u.disabled
                    FOR UPDATE OF t, u
                    """, [tokenHash]
                ).rows.first
                guard let token else { return nil }
                let id = try token.string("user_id")
                if try token.bool("used") {
                    let user = try PostgresUserStore.find(id: try token.int64("user_id"), on: connection)
                    return user?.emailVerified == true ? user : nil
                }
                return try Self.verify(userID: id, tokenHash: tokenHash, on: connection)
            }
        }
    }

    public func redeemVerificationCode(userID: Int64, codeHash: String, maxAttempts: Int) async throws
        -> VerificationCodeOutcome
    {
        try await pool.run { connection in
            try connection.transaction {
                let id = String(userID)
                let token = try connection.query(
                    """
                    SELECT t.token_hash, t.code_hash FROM account_tokens t JOIN users u ON u.id = t.user_id
                    WHERE t.user_id = $1 AND t.purpose = 'verify' AND t.used_at IS NULL AND t.expires_at > now()
                        AND t.attempts < $2 AND t.email = u.email AND NOT u.disabled
                    ORDER BY t.created_at DESC LIMIT 1 FOR UPDATE OF t, u
                    """, [id, String(maxAttempts)]
                ).rows.first
                guard let token else { return .noCode }
                let tokenHash = try token.string("token_hash")
                guard ConstantTime.equals(Array(try token.string("code_hash").utf8), Array(codeHash.utf8)) else {
                    try connection.query(
                        "UPDATE account_tokens SET attempts = attempts + 1 WHERE token_hash = $1", [tokenHash])
                    return .wrong
                }
                return .verified(try Self.verify(userID: id, tokenHash: tokenHash, on: connection))
            }
        }
    }

    public func issueSignIn(
        login: String, tokenHash: String, codeHash: String, lifetime: Int64, limit: Int, window: Int64,
        mail: @escaping @Sendable (User) throws -> [OutboxMessage]
    ) async throws -> User? {
        try await pool.run { connection in
            try connection.transaction {
                guard let user = try Self.account(login: login, locked: true, on: connection),
                    try Self.issued(.signIn, to: user.id, within: window, on: connection) < limit
                else { return nil }
                try Self.replace(
                    .signIn, of: user.id, with: tokenHash, codeHash: codeHash, email: user.email, lifetime: lifetime,
                    on: connection)
                try PostgresOutboxStore.insert(try mail(user), on: connection)
                return user
            }
        }
    }

    public func username(login: String) async throws -> String? {
        try await pool.run { connection in try Self.account(login: login, locked: false, on: connection)?.username }
    }

    public func username(signInToken tokenHash: String) async throws -> String? {
        try await pool.run { connection in
            try connection.query(
                """
                SELECT u.username FROM account_tokens t JOIN users u ON u.id = t.user_id
                WHERE t.token_hash = $1 AND t.purpose = 'sign-in' AND t.used_at IS NULL AND t.expires_at > now()
                """, [tokenHash]
            ).rows.first?.string("username")
        }
    }

    public func redeemSignIn(userID: Int64, proofHash: String, maxAttempts: Int) async throws -> Bool {
        try await pool.run { connection in
            try connection.transaction {
                let token = try connection.query(
                    """
                    SELECT t.token_hash, t.code_hash FROM account_tokens t JOIN users u ON u.id = t.user_id
                    WHERE t.user_id = $1 AND t.purpose = 'sign-in' AND t.used_at IS NULL AND t.expires_at > now()
                        AND t.attempts < $2 AND t.email = u.email
                    ORDER BY t.created_at DESC LIMIT 1 FOR UPDATE OF t
                    """, [String(userID), String(maxAttempts)]
                ).rows.first
                guard let token else { return false }
                let tokenHash = try token.string("token_hash")
                let matches = [tokenHash, try token.string("code_hash")].map {
                    ConstantTime.equals(Array($0.utf8), Array(proofHash.utf8))
                }
                guard matches.contains(true) else {
                    try connection.query(
                        "UPDATE account_tokens SET attempts = attempts + 1 WHERE token_hash = $1", [tokenHash])
                    return false
                }
                try connection.query("UPDATE account_tokens SET used_at = now() WHERE token_hash = $1", [tokenHash])
                try connection.query(
                    "UPDATE users SET email_verified = true, updated_at = now() WHERE id = $1 AND NOT email_verified",
                    [String(userID)])
                return true
            }
        }
    }

    // MARK: Helpers

    /// What a row of `account_tokens` is for.
    enum Purpose: String {
        case reset
        case verify
        case signIn = "sign-in"
    }

    /// The enabled account `login` names: a username in any case first, else the address exactly.
    /// `locked`: its row is locked until the transaction ends, so issuing counts one at a time.
    private static func account(login: String, locked: Bool, on connection: PostgresConnection) throws -> User? {
        let row = try connection.query(
            """
            SELECT \(PostgresUserStore.columns) FROM users u
            WHERE NOT u.disabled AND (lower(u.username) = lower($1) OR u.email = $1)
            ORDER BY lower(u.username) = lower($1) DESC LIMIT 1\(locked ? " FOR UPDATE OF u" : "")
            """, [login]
        ).rows.first
        return try row.map(PostgresUserStore.user(from:))
    }

    /// Tokens of `purpose` issued to the account within `window` seconds, used or not.
    private static func issued(
        _ purpose: Purpose, to userID: Int64, within window: Int64, on connection: PostgresConnection
    ) throws -> Int64 {
        try connection.query(
            """
            SELECT count(*) AS n FROM account_tokens
            WHERE user_id = $1 AND purpose = $2 AND created_at > now() - $3::bigint * interval '1 second'
            """, [String(userID), purpose.rawValue, String(window)]
        ).single().int64("n")
    }

    /// Expires the account's unused tokens of `purpose` (expired rather than deleted, so they still
    /// count against the limit) and adds the new one.
    private static func replace(
        _ purpose: Purpose, of userID: Int64, with tokenHash: String, codeHash: String, email: String,
        lifetime: Int64, on connection: PostgresConnection
    ) throws {
        let id = String(userID)
        try connection.query(
            """
            UPDATE account_tokens SET expires_at = least(expires_at, now())
            WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL
            """, [id, purpose.rawValue])
        try connection.query(
            """
            INSERT INTO account_tokens (token_hash, purpose, user_id, email, code_hash, expires_at)
            VALUES ($1, $2, $3, $4, $5, now() + $6::bigint * interval '1 second')
            """, [tokenHash, purpose.rawValue, id, email, codeHash, String(lifetime)])
    }

    /// Uses the verification token and marks the account's address verified; its other
    /// verification tokens go.
    private static func verify(userID: String, tokenHash: String, on connection: PostgresConnection) throws -> User {
        try connection.query("UPDATE account_tokens SET used_at = now() WHERE token_hash = $1", [tokenHash])
        try connection.query(
            "DELETE FROM account_tokens WHERE user_id = $1 AND purpose = 'verify' AND token_hash <> $2",
            [userID, tokenHash])
        let row = try connection.query(
            """
            UPDATE users u SET email_verified = true, updated_at = now() WHERE u.id = $1
            RETURNING \(PostgresUserStore.columns)
            """, [userID]
        ).single()
        return try PostgresUserStore.user(from: row)
    }
}
