public import AuthCore

/// Writing and reading the `revocations` table. A revocation is recorded in the transaction of the
/// change that caused it, together with a `NOTIFY` that PostgreSQL delivers to every instance's
/// listener only if that transaction commits.
enum PostgresRevocations {
    static let channel = "authd_revocations"
    /// Any role's permissions changed: listeners reload them all.
    static let rolesChannel = "authd_roles"

    @discardableResult
    static func record(_ revocation: Revocation, on connection: PostgresConnection) throws -> Revocation {
        try connection.query(
            """
            INSERT INTO revocations (kind, subject, cut_off, expires_at) VALUES ($1, $2, $3, to_timestamp($4))
            ON CONFLICT (kind, subject) DO UPDATE SET
                cut_off = greatest(revocations.cut_off, EXCLUDED.cut_off),
                expires_at = greatest(revocations.expires_at, EXCLUDED.expires_at)
            """,
            [revocation.kind.rawValue, revocation.subject, String(revocation.cutOff), String(revocation.expiresAt)])
        try connection.query("SELECT pg_notify($1, $2)", [channel, revocation.payload])
        return revocation
    }

    /// Cuts off the user's tokens where `retention` says (users.not_before); new ones are issued
    /// from then on. The time is read once the user's row is held (clock_timestamp, not the
    /// transaction start): a session created while this change waited for the row was issued
    /// before it. Nil when there is no such user.
    static func cutOff(_ userID: Int64, retention: RetentionPolicy, on connection: PostgresConnection) throws
        -> Revocation?
    {
        guard
            let (notBefore, _) = try advanceNotBefore(of: "users", String(userID), retention: retention, on: connection)
        else { return nil }
        return try record(retention.userCutOff(userID, notBefore: notBefore), on: connection)
    }

    /// Moves the `not_before` of row `id` in `table` (`users` or `clients`) to where `retention`
    /// puts a cut-off made now, reading the second once the row is held; the row also returns
    /// `extra` columns. Nil when there is no such row.
    static func advanceNotBefore(
        of table: StaticString, _ id: String, returning extra: String = "", retention: RetentionPolicy,
        on connection: PostgresConnection
    ) throws -> (notBefore: Int64, row: PostgresRow)? {
        guard
            let row = try connection.query(
                """
                UPDATE \(table) SET updated_at = now() WHERE id = $1
                RETURNING extract(epoch FROM not_before)::bigint AS not_before, \(extra.isEmpty ? "" : extra + ",")
                    floor(extract(epoch FROM clock_timestamp()))::bigint AS second
                """, [id]
            ).rows.first
        else { return nil }
        let notBefore = retention.notBefore(
            after: try row.optionalInt64("not_before"), cutOffIn: try row.int64("second"))
        try connection.query(
            "UPDATE \(table) SET not_before = to_timestamp($2) WHERE id = $1", [id, String(notBefore)])
        return (notBefore, row)
    }

    /// Ends the user's live sessions but `except`: their refresh tokens stop working and their
    /// access tokens are refused.
    static func endSessions(
        of userID: Int64, except kept: String?, retention: RetentionPolicy, on connection: PostgresConnection
    ) throws -> [Revocation] {
        let ended = try connection.query(
            """
            UPDATE sessions SET revoked_at = now()
            WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() AND ($2::text IS NULL OR id <> $2)
            RETURNING id, extract(epoch FROM now())::bigint AS now
            """, [String(userID), kept]
        ).rows.map { row in
            try record(
                retention.revocation(.session, of: try row.string("id"), at: try row.int64("now")), on: connection)
        }
        return ended + (try endChildren(of: ended.map(\.subject), retention: retention, on: connection))
    }

    /// What follows the end of `sessions` (ids) that may be SSO sessions: the sessions clients
    /// were issued in them end too, and each such client with a back-channel logout URI gets a
    /// notice in the outbox, in the caller's transaction.
    static func endChildren(of sessions: [String], retention: RetentionPolicy, on connection: PostgresConnection)
        throws -> [Revocation]
    {
        guard !sessions.isEmpty else { return [] }
        let parents = sessions.joined(separator: " ")
        let ended = try connection.query(
            """
            UPDATE sessions SET revoked_at = now()
            WHERE parent_id = ANY (string_to_array($1, ' ')) AND revoked_at IS NULL AND expires_at > now()
            RETURNING id, extract(epoch FROM now())::bigint AS now
            """, [parents]
        ).rows.map { row in
            try record(
                retention.revocation(.session, of: try row.string("id"), at: try row.int64("now")), on: connection)
        }
        let notices = try connection.query(
            """
            SELECT DISTINCT s.parent_id, s.user_id, s.client_id FROM sessions s JOIN clients c ON c.id = s.client_id
            WHERE s.parent_id = ANY (string_to_array($1, ' ')) AND c.backchannel_logout_uri IS NOT NULL
            ORDER BY s.parent_id, s.client_id
            """, [parents]
        ).rows.map { row in
            BackChannelLogoutNotice(
                clientID: try row.string("client_id"), userID: try row.int64("user_id"),
                ssoSessionID: try row.string("parent_id")
            ).message
        }
        try PostgresOutboxStore.insert(notices, on: connection)
        return ended
    }

    static func announceRoleChange(on connection: PostgresConnection) throws {
        try connection.query("SELECT pg_notify($1, '')", [rolesChannel])
    }

    /// Every revocation still in force.
    static func load(on connection: PostgresConnection) throws -> [Revocation] {
        try connection.query(
            """
            SELECT kind, subject, cut_off, extract(epoch FROM expires_at)::bigint AS expires_at
            FROM revocations WHERE expires_at > now()
            """
        ).rows.compactMap(revocation(from:))
    }

    /// The stored rows of the revocations `named` (by kind and subject; their other fields are
    /// not trusted), still in force.
    static func load(_ named: [Revocation], on connection: PostgresConnection) throws -> [Revocation] {
        let keys = named.filter { Identity.isBase64URL($0.subject, lengths: 1...64) }.map {
            "\($0.kind.rawValue):\($0.subject)"
        }
        guard !keys.isEmpty else { return [] }
        return try connection.query(
            """
            SELECT kind, subject, cut_off, extract(epoch FROM expires_at)::bigint AS expires_at
            FROM revocations
            WHERE (kind, subject) IN (
                SELECT split_part(key, ':', 1), split_part(key, ':', 2) FROM unnest(string_to_array($1, ',')) AS key)
              AND expires_at > now()
            """, [keys.joined(separator: ",")]
        ).rows.compactMap(revocation(from:))
    }

    private static func revocation(from row: PostgresRow) throws -> Revocation? {
        guard let kind = Revocation.Kind(rawValue: try row.string("kind")) else { return nil }
        return Revocation(
            kind: kind, subject: try row.string("subject"), cutOff: try row.int64("cut_off"),
            expiresAt: try row.int64("expires_at"))
    }

    static func loadPermissions(on connection: PostgresConnection) throws -> [String: Set<String>] {
        try connection.query("SELECT r.name, p.permission FROM roles r LEFT JOIN role_permissions p ON p.role = r.name")
            .rows.reduce(into: [:]) { permissions, row in
                let role = try row.string("name")
                permissions[role, default: []].formUnion([try row.optionalString("permission")].compactMap { $0 })
            }
    }

    /// Drops rows no instance needs any more, as `retention` says: revocations whose tokens have
    /// all expired, ended sessions (with their refresh token hashes), failed-login counters whose
    /// window and lock are over, used MFA challenges past their expiry, authorization codes and
    /// password reset tokens as long after their expiry as ended sessions are kept (a replay is
    /// caught until then), DPoP proofs past their window, and given-up outbox messages after `givenUpMessageKept`.
    static func prune(_ retention: RetentionPolicy, on connection: PostgresConnection) throws {
        try connection.query("DELETE FROM login_failures WHERE expires_at < now()")
        try connection.query("DELETE FROM mfa_challenges_used WHERE expires_at < now()")
        try connection.query(
            "DELETE FROM revocations WHERE expires_at < now() - make_interval(secs => $1)",
            [String(retention.expiredRevocationKept)])
        try connection.query(
            """
            DELETE FROM sessions
            WHERE expires_at < now() - make_interval(secs => $1) OR revoked_at < now() - make_interval(secs => $1)
            """, [String(retention.endedSessionKept)])
        try connection.query(
            "DELETE FROM authorization_codes WHERE expires_at < now() - make_interval(secs => $1)",
            [String(retention.endedSessionKept)])
        try connection.query(
            "DELETE FROM device_codes WHERE expires_at < now() - make_interval(secs => $1)",
            [String(retention.endedSessionKept)])
        try connection.query("DELETE FROM pushed_requests WHERE expires_at < now()")
        try connection.query("DELETE FROM dpop_proofs WHERE expires_at < now()")
        try connection.query("DELETE FROM webauthn_challenges WHERE expires_at < now()")
        try connection.query("DELETE FROM registration_tokens WHERE expires_at < now()")
        try connection.query(
            "DELETE FROM account_tokens WHERE expires_at < now() - make_interval(secs => $1)",
            [String(retention.endedSessionKept)])
        try connection.query(
            "DELETE FROM invitations WHERE expires_at < now() - make_interval(secs => $1)",
            [String(retention.endedSessionKept)])
        try connection.query(
            "DELETE FROM outbox WHERE failed_at < now() - make_interval(secs => $1)",
            [String(retention.givenUpMessageKept)])
    }
}

extension PostgresPool {
    /// Loads `state` from the database and marks it current: for an instance (or a test) that
    /// applies its own changes and runs no listener.
    public func loadRevocations(into state: RevocationState) async throws {
        let (revocations, permissions) = try await run { connection in
            (try PostgresRevocations.load(on: connection), try PostgresRevocations.loadPermissions(on: connection))
        }
        state.replaceAll(revocations, permissions: permissions)
        state.feedConnected()
    }
}
