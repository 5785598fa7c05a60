public import AuthCore

/// `UserStore` on the `users` and `user_roles` tables. Uniqueness comes from the unique indexes;
/// a violation is reported by the name of the index that fired.
public struct PostgresUserStore: UserStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The columns `user(from:)` reads, for a query whose `users` row is aliased `u`.
    static let columns = """
        u.id, u.username, u.email, u.password_hash, u.mfa_enabled, u.disabled, u.email_verified,
        extract(epoch FROM u.created_at)::bigint AS created_at,
        extract(epoch FROM u.not_before)::bigint AS not_before,
        (SELECT coalesce(string_agg(r.role, ',' ORDER BY r.role), '') FROM user_roles r WHERE r.user_id = u.id) AS roles
        """

    public func create(_ user: NewUser) async throws -> User {
        try await pool.run { connection in
            guard !user.messages.isEmpty else { return try Self.insert(user, on: connection) }
            return try connection.transaction { try Self.insert(user, on: connection) }
        }
    }

    public func taken(username: String, email: String) async throws -> (username: Bool, email: Bool) {
        try await pool.run { connection in
            let row = try connection.query(
                """
                SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower($1)) AS username,
                    EXISTS (SELECT 1 FROM users WHERE email = $2) AS email
                """, [username, email]
            ).single()
            return (try row.bool("username"), try row.bool("email"))
        }
    }

    /// Inserts the account and its roles in one statement, then its outbox messages (the caller
    /// holds a transaction when there are any).
    static func insert(_ user: NewUser, on connection: PostgresConnection) throws -> User {
        let created = try insertRow(user, on: connection)
        try PostgresOutboxStore.insert(user.messages, on: connection)
        return created
    }

    private static func insertRow(_ user: NewUser, on connection: PostgresConnection) throws -> User {
        do {
            let result = try connection.query(
                """
                WITH u AS (
                    INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3) RETURNING *
                ), granted AS (
                    INSERT INTO user_roles (user_id, role)
                    SELECT u.id, unnest(string_to_array($4, ',')) FROM u RETURNING role
                )
                SELECT u.id, u.username, u.email, u.password_hash, u.mfa_enabled, u.disabled, u.email_verified,
                    extract(epoch FROM u.created_at)::bigint AS created_at,
                    extract(epoch FROM u.not_before)::bigint AS not_before,
                    (SELECT coalesce(string_agg(role, ',' ORDER BY role), '') FROM granted) AS roles
                FROM u
                """,
                [user.username, user.email, user.passwordHash, user.roles.joined(separator: ",")])
            return try Self.user(from: result.single())
        } catch let error as PostgresError where error.isUniqueViolation {
            switch error.constraint {
            case "users_username_key": throw AuthError(.usernameTaken, "username is already taken")
            case "users_email_key": throw AuthError(.emailTaken, "email is already registered")
            default: throw error
            }
        } catch let error as PostgresError where error.isForeignKeyViolation {
            throw AuthError(.unknownRole, "no such role")
        }
    }

    /// Always one row back (NULLs when there is no such user), decoded alike either way: a login
    /// for an unknown user must not return measurably faster than one for a real user.
    public func find(username: String) async throws -> User? {
        try await pool.run { connection in
            let row = try connection.query(
                """
                SELECT \(Self.columns) FROM (SELECT 1) AS one
                LEFT JOIN users u ON lower(u.username) = lower($1)
                """, [username]
            ).single()
            let user = try? Self.user(from: row)
            return try row.optionalString("id") == nil ? nil : user
        }
    }

    public func find(id: Int64) async throws -> User? {
        try await pool.run { connection in try Self.find(id: id, on: connection) }
    }

    static func find(id: Int64, forUpdate: Bool = false, on connection: PostgresConnection) throws -> User? {
        try connection.query(
            "SELECT \(columns) FROM users u WHERE u.id = $1\(forUpdate ? " FOR UPDATE" : "")", [String(id)]
        )
        .rows.first.map(user(from:))
    }

    @discardableResult
    public func replacePasswordHash(userID: Int64, old: String, new: String) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                "UPDATE users SET password_hash = $3, updated_at = now() WHERE id = $1 AND password_hash = $2",
                [String(userID), old, new]
            ).affectedRows == 1
        }
    }

    static func user(from row: PostgresRow) throws -> User {
        User(
            id: try row.int64("id"), username: try row.string("username"), email: try row.string("email"),
            passwordHash: try row.string("password_hash"),
            roles: try row.string("roles").split(separator: ",").map(String.init),
            mfaEnabled: try row.bool("mfa_enabled"), disabled: try row.bool("disabled"),
            createdAt: try row.int64("created_at"), emailVerified: try row.bool("email_verified"),
            notBefore: try row.optionalInt64("not_before"))
    }
}
