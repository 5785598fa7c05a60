public import AuthCore

/// `SessionStore` on `sessions` and `session_tokens`. Rotation is a single conditional UPDATE, so
/// of any number of instances refreshing one token at once exactly one succeeds; everything that
/// ends sessions records its revocations (and their NOTIFY) in the same transaction.
public struct PostgresSessionStore: SessionStore {
    let pool: PostgresPool
    let retention: RetentionPolicy

    public init(pool: PostgresPool, retention: RetentionPolicy) {
        self.pool = pool
        self.retention = retention
    }

    static let columns = """
        s.id, s.user_id, extract(epoch FROM s.created_at)::bigint AS created_at,
        extract(epoch FROM s.last_used_at)::bigint AS last_used_at,
        extract(epoch FROM s.expires_at)::bigint AS expires_at, s.client_address, s.user_agent, s.refresh_count,
        s.client_id, s.scope, s.dpop_jkt
        """

    static func session(from row: PostgresRow) throws -> Session {
        Session(
            id: try row.string("id"), userID: try row.int64("user_id"), createdAt: try row.int64("created_at"),
            lastUsedAt: try row.int64("last_used_at"), expiresAt: try row.int64("expires_at"),
            clientAddress: try row.string("client_address"), userAgent: try row.string("user_agent"),
            refreshCount: Int(try row.int64("refresh_count")), clientID: try row.optionalString("client_id"),
            scope: try row.optionalString("scope"), proofKey: try row.optionalString("dpop_jkt"))
    }

    public func create(_ session: NewSession, passwordHash: String) async throws -> User? {
        try await pool.run { connection in
            try connection.transaction { () throws -> User? in
                // FOR SHARE waits for a change holding the row and re-checks it after; the account is
                // then read by the next statement, which sees what such a change committed.
                guard
                    !(try connection.query(
                        "SELECT 1 FROM users WHERE id = $1 AND password_hash = $2 AND NOT disabled FOR SHARE",
                        [String(session.userID), passwordHash]
                    ).rows.isEmpty),
                    let user = try PostgresUserStore.find(id: session.userID, on: connection)
                else { return nil }
                // A child of an SSO session only while that one lives (held, so that ending it
                // either comes first or ends this one too).
                if let parent = session.parentID {
                    guard
                        !(try connection.query(
                            """
                            SELECT 1 FROM sessions
                            WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now() FOR SHARE
                            """, [parent, String(session.userID)]
                        ).rows.isEmpty)
                    else { return nil }
                }
                try connection.query(
                    """
                    INSERT INTO sessions
                        (id, user_id, expires_at, client_address, user_agent, token_hash, client_id, scope, parent_id,
                         dpop_jkt)
                    VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5, $6, $7, $8, $9, $10)
                    """,
                    [
                        session.id, String(session.userID), String(session.lifetime), session.clientAddress,
                        session.userAgent, session.tokenHash, session.clientID, session.scope, session.parentID,
                        session.proofKey,
                    ])
                try connection.query(
                    "INSERT INTO session_tokens (hash, session_id) VALUES ($1, $2)", [session.tokenHash, session.id])
                return user
            }
        }
    }

    /// What `SessionPolicy.decide` reads of session `s` for the token hash in `parameter`.
    static func stateColumns(presented parameter: String) -> String {
        """
        s.token_hash = \(parameter) AS current, coalesce(s.previous_hash = \(parameter), false) AS previous,
        s.revoked_at IS NOT NULL AS revoked, \(SQLTime.milliseconds("s.expires_at")) AS expires_ms,
        \(SQLTime.milliseconds("s.last_used_at")) AS last_used_ms, \(SQLTime.milliseconds("s.rotated_at")) AS rotated_ms,
        s.grace_pair IS NOT NULL AS has_grace_pair, \(SQLTime.milliseconds("now()")) AS now_ms
        """
    }

    static func state(from row: PostgresRow) throws -> RefreshState {
        RefreshState(
            isCurrent: try row.bool("current"), isPrevious: try row.bool("previous"), revoked: try row.bool("revoked"),
            expiresAt: try row.int64("expires_ms"), lastUsedAt: try row.int64("last_used_ms"),
            rotatedAt: try row.optionalInt64("rotated_ms"), hasGracePair: try row.bool("has_grace_pair"),
            now: try row.int64("now_ms"))
    }

    public func owner(ofRefreshTokenHash hash: String) async throws -> RefreshTokenOwner? {
        try await pool.run { connection in
            try connection.query(
                """
                SELECT \(Self.columns), \(Self.stateColumns(presented: "$1"))
                FROM session_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.hash = $1
                """, [hash]
            ).rows.first.map { row in
                RefreshTokenOwner(session: try Self.session(from: row), state: try Self.state(from: row))
            }
        }
    }

    public func rotate(sessionID: String, from old: String, to new: String, gracePair: [UInt8]) async throws -> Bool {
        try await pool.run { connection in
            try connection.transaction {
                let rotated =
                    try connection.query(
                        """
                        UPDATE sessions SET token_hash = $3, previous_hash = $2, rotated_at = now(),
                            grace_pair = decode($4, 'hex'), last_used_at = now(), refresh_count = refresh_count + 1
                        WHERE id = $1 AND token_hash = $2 AND revoked_at IS NULL
                        RETURNING id
                        """, [sessionID, old, new, Bytea.hex(gracePair)]
                    ).rows.count == 1
                if rotated {
                    try connection.query(
                        "INSERT INTO session_tokens (hash, session_id) VALUES ($1, $2)", [new, sessionID])
                }
                return rotated
            }
        }
    }

    public func stale(
        sessionID: String, presented hash: String, decide: @escaping @Sendable (RefreshState) -> RefreshDecision
    ) async throws -> Changed<StaleRefresh> {
        try await pool.run { connection in
            try connection.transaction {
                guard
                    let row = try connection.query(
                        """
                        SELECT \(Self.stateColumns(presented: "$2")), encode(s.grace_pair, 'hex') AS grace_pair
                        FROM sessions s WHERE s.id = $1 FOR UPDATE
                        """, [sessionID, hash]
                    ).rows.first
                else { return Changed(.ended) }
                switch decide(try Self.state(from: row)) {
                case .replayGracePair:
                    return Changed(.gracePair(try Bytea.bytes(hex: try row.string("grace_pair"))))
                case .revoke(let reason):
                    let revoked = try connection.query(
                        """
                        UPDATE sessions SET revoked_at = now() WHERE id = $1
                        RETURNING extract(epoch FROM now())::bigint AS now
                        """, [sessionID]
                    ).single().int64("now")
                    let revocation = try PostgresRevocations.record(
                        retention.revocation(.session, of: sessionID, at: revoked), on: connection)
                    let children = try PostgresRevocations.endChildren(
                        of: [sessionID], retention: retention, on: connection)
                    return Changed(.revoked(reason), revocations: [revocation] + children)
                case .rotate, .refuse:
                    // Held, a token that did not rotate is no longer current (or its session ended).
                    return Changed(.ended)
                }
            }
        }
    }

    public func sessions(of userID: Int64) async throws -> [Session] {
        try await pool.run { connection in
            try connection.query(
                """
                SELECT \(Self.columns) FROM sessions s
                WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
                ORDER BY s.last_used_at DESC, s.id
                """, [String(userID)]
            ).rows.map(Self.session(from:))
        }
    }

    public func revoke(sessionID: String, of userID: Int64, tokenID: String?) async throws -> Changed<Bool> {
        try await pool.run { connection in
            try connection.transaction {
                guard
                    let revoked = try connection.query(
                        """
                        UPDATE sessions SET revoked_at = now()
                        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()
                        RETURNING extract(epoch FROM now())::bigint AS now
                        """, [sessionID, String(userID)]
                    ).rows.first?.int64("now")
                else { return Changed(false) }
                var revocations = [
                    try PostgresRevocations.record(
                        retention.revocation(.session, of: sessionID, at: revoked), on: connection)
                ]
                revocations += try PostgresRevocations.endChildren(
                    of: [sessionID], retention: retention, on: connection)
                if let tokenID {
                    revocations.append(
                        try PostgresRevocations.record(
                            retention.revocation(.token, of: tokenID, at: revoked), on: connection))
                }
                return Changed(true, revocations: revocations)
            }
        }
    }

    public func revokeAll(of userID: Int64) async throws -> Changed<Void> {
        try await pool.run { connection in
            try connection.transaction {
                let cutOff = try PostgresRevocations.cutOff(userID, retention: retention, on: connection)
                let ended = try PostgresRevocations.endSessions(
                    of: userID, except: nil, retention: retention, on: connection)
                return Changed((), revocations: [cutOff].compactMap { $0 } + ended)
            }
        }
    }

    public func changePassword(userID: Int64, old: String, new: String, keeping sessionID: String?) async throws
        -> Changed<Bool>
    {
        try await pool.run { connection in
            try connection.transaction {
                let changed =
                    try connection.query(
                        """
                        UPDATE users SET password_hash = $3, updated_at = now() WHERE id = $1 AND password_hash = $2
                        RETURNING id
                        """, [String(userID), old, new]
                    ).rows.count == 1
                guard changed else { return Changed(false) }
                var revocations = try PostgresRevocations.endSessions(
                    of: userID, except: sessionID, retention: retention, on: connection)
                if sessionID == nil,
                    let cutOff = try PostgresRevocations.cutOff(userID, retention: retention, on: connection)
                {
                    revocations.append(cutOff)
                }
                return Changed(true, revocations: revocations)
            }
        }
    }
}
