public import AuthCore

/// `UserStore` on the `users` table. Uniqueness comes from the unique indexes; a violation is
/// reported by the name of the index that fired.
public struct PostgresUserStore: UserStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    static let columns = """
        id, username, email, password_hash, role, mfa_enabled, disabled,
        extract(epoch FROM created_at)::bigint AS created_at
        """

    public func create(_ user: NewUser) async throws -> User {
        do {
            return try await pool.run { connection in
                let result = try connection.query(
                    """
                    INSERT INTO users (username, email, password_hash, role) VALUES ($1, $2, $3, $4)
                    RETURNING \(Self.columns)
                    """,
                    [user.username, user.email, user.passwordHash, user.roles.first ?? Role.user])
                return try Self.user(from: result.single())
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            switch error.constraint {
            case "users_username_key": throw AuthError(.usernameTaken, "username is already taken")
            case "users_email_key": throw AuthError(.emailTaken, "email is already registered")
            default: throw error
            }
        }
    }

    /// Always one row back (NULLs when there is no such user), decoded alike either way: a login
    /// for an unknown user must not return measurably faster than one for a real user.
    public func find(username: String) async throws -> User? {
        try await pool.run { connection in
            let row = try connection.query(
                """
                SELECT \(Self.columns) FROM (SELECT 1) AS one
                LEFT JOIN users ON lower(username) = lower($1)
                """, [username]
            ).single()
            let user = try? Self.user(from: row)
            return try row.optionalString("id") == nil ? nil : user
        }
    }

    public func find(id: Int64) async throws -> User? {
        try await pool.run { connection in
            try connection.query("SELECT \(Self.columns) FROM users WHERE id = $1", [String(id)])
                .rows.first.map(Self.user(from:))
        }
    }

    public func replacePasswordHash(userID: Int64, old: String, new: String) async throws {
        _ = try await pool.run { connection in
            try connection.query(
                "UPDATE users SET password_hash = $3, updated_at = now() WHERE id = $1 AND password_hash = $2",
                [String(userID), old, new])
        }
    }

    static func user(from row: PostgresRow) throws -> User {
        User(
            id: try row.int64("id"), username: try row.string("username"), email: try row.string("email"),
            passwordHash: try row.string("password_hash"), roles: [try row.string("role")],
            mfaEnabled: try row.bool("mfa_enabled"), disabled: try row.bool("disabled"),
            createdAt: try row.int64("created_at"))
    }
}
