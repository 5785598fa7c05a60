public import AuthCore

/// `PortalStore` on `sso_sessions` and `consents` (sql/0012). An SSO session is read with its
/// authd session and account, so one that ended there is gone here in the same statement.
public struct PostgresPortalStore: PortalStore {
    let pool: PostgresPool
    let retention: RetentionPolicy

    public init(pool: PostgresPool, retention: RetentionPolicy) {
        self.pool = pool
        self.retention = retention
    }

    public func create(ssoHash: String, _ session: SSOSession) async throws {
        _ = try await pool.run { connection in
            try connection.query(
                """
                INSERT INTO sso_sessions (cookie_hash, session_id, user_id, auth_time, amr)
                VALUES ($1, $2, $3, $4, $5)
                """,
                [
                    ssoHash, session.sessionID, String(session.userID), String(session.authTime),
                    session.methods.joined(separator: " "),
                ])
        }
    }

    public func sso(hash: String) async throws -> (session: SSOSession, user: User)? {
        try await pool.run { connection in
            guard
                let row = try connection.query(
                    """
                    SELECT s.session_id, s.auth_time, s.amr,
                        extract(epoch FROM s.last_seen_at)::bigint AS last_seen, \(PostgresUserStore.columns)
                    FROM sso_sessions s
                    JOIN sessions se ON se.id = s.session_id
                    JOIN users u ON u.id = s.user_id
                    WHERE s.cookie_hash = $1 AND se.revoked_at IS NULL AND se.expires_at > now() AND NOT u.disabled
                    """, [hash]
                ).rows.first
            else { return nil }
            let user = try PostgresUserStore.user(from: row)
            return (
                SSOSession(
                    sessionID: try row.string("session_id"), userID: user.id, authTime: try row.int64("auth_time"),
                    methods: try row.string("amr").split(separator: " ").map(String.init),
                    lastSeen: try row.int64("last_seen")),
                user
            )
        }
    }

    public func delete(ssoHash: String) async throws {
        _ = try await pool.run { connection in
            try connection.query("DELETE FROM sso_sessions WHERE cookie_hash = $1", [ssoHash])
        }
    }

    public func touch(ssoHash: String) async throws {
        _ = try await pool.run { connection in
            try connection.query("UPDATE sso_sessions SET last_seen_at = now() WHERE cookie_hash = $1", [ssoHash])
        }
    }

    public func endLapsed(idleTimeout: Int64, limit: Int) async throws -> Changed<Int> {
        try await pool.run { connection in
            try connection.transaction {
                let lapsed = try connection.query(
                    """
                    DELETE FROM sso_sessions WHERE cookie_hash IN (
                        SELECT o.cookie_hash FROM sso_sessions o JOIN sessions s ON s.id = o.session_id
                        WHERE o.last_seen_at < now() - make_interval(secs => $1) OR s.expires_at <= now()
                            OR s.revoked_at IS NOT NULL
                        ORDER BY o.last_seen_at LIMIT $2 FOR UPDATE OF o SKIP LOCKED)
                    RETURNING session_id
                    """, [String(idleTimeout), String(max(1, limit))]
                ).rows.map { try $0.string("session_id") }
                guard !lapsed.isEmpty else { return Changed(0) }
                // Expired ones are marked too: what ends a session here is what tells its clients, once.
                let ended = try connection.query(
                    """
                    UPDATE sessions SET revoked_at = now()
                    WHERE id = ANY (string_to_array($1, ' ')) AND revoked_at IS NULL
                    RETURNING id, extract(epoch FROM now())::bigint AS now
                    """, [lapsed.joined(separator: " ")]
                ).rows.map { row in
                    try PostgresRevocations.record(
                        retention.revocation(.session, of: try row.string("id"), at: try row.int64("now")),
                        on: connection)
                }
                let children = try PostgresRevocations.endChildren(
                    of: ended.map(\.subject), retention: retention, on: connection)
                return Changed(lapsed.count, revocations: ended + children)
            }
        }
    }

    public func clients(issuedIn sessionID: String) async throws -> [String] {
        try await pool.run { connection in
            try connection.query(
                "SELECT DISTINCT client_id FROM sessions WHERE parent_id = $1 AND client_id IS NOT NULL ORDER BY 1",
                [sessionID]
            ).rows.map { try $0.string("client_id") }
        }
    }

    public func consent(userID: Int64, clientID: String) async throws -> Consent? {
        try await pool.run { connection in
            try connection.query(
                "SELECT \(Self.consentColumns) WHERE c.user_id = $1 AND c.client_id = $2", [String(userID), clientID]
            ).rows.first.map(Self.consent(from:))
        }
    }

    public func recordConsent(userID: Int64, clientID: String, scopes: [String]) async throws {
        _ = try await pool.run { connection in
            try connection.query(
                """
                INSERT INTO consents (user_id, client_id, scopes) VALUES ($1, $2, string_to_array($3, ' '))
                ON CONFLICT (user_id, client_id) DO UPDATE
                SET scopes = ARRAY(SELECT DISTINCT unnest(consents.scopes || EXCLUDED.scopes) ORDER BY 1),
                    granted_at = now()
                """, [String(userID), clientID, scopes.joined(separator: " ")])
        }
    }

    public func revokeConsent(userID: Int64, clientID: String) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                "DELETE FROM consents WHERE user_id = $1 AND client_id = $2", [String(userID), clientID]
            ).affectedRows == 1
        }
    }

    public func consents(userID: Int64) async throws -> [Consent] {
        try await pool.run { connection in
            try connection.query(
                "SELECT \(Self.consentColumns) WHERE c.user_id = $1 ORDER BY c.client_id", [String(userID)]
            ).rows.map(Self.consent(from:))
        }
    }

    /// A consent with its client's name, read in the same statement.
    private static let consentColumns = """
        c.client_id, k.name, array_to_string(c.scopes, ' ') AS scopes
        FROM consents c JOIN clients k ON k.id = c.client_id
        """

    private static func consent(from row: PostgresRow) throws -> Consent {
        Consent(
            clientID: try row.string("client_id"), clientName: try row.string("name"),
            scopes: Set(try row.string("scopes").split(separator: " ").map(String.init)))
    }
}
