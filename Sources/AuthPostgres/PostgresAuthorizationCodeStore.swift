public import AuthCore

/// `AuthorizationCodeStore` on `authorization_codes` (sql/0011). Spending a code is one conditional
/// UPDATE, so it holds across instances without a lock of authd's own.
public struct PostgresAuthorizationCodeStore: AuthorizationCodeStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    public func save(codeHash: String, grant: AuthorizationGrant, lifetime: Int64) async throws {
        _ = try await pool.run { connection in
            try connection.query(
                """
                INSERT INTO authorization_codes
                    (code_hash, client_id, user_id, redirect_uri, scope, nonce, code_challenge, auth_time, amr, expires_at,
                     sso_session_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10), $11)
                """,
                [
                    codeHash, grant.clientID, String(grant.userID), grant.redirectURI,
                    grant.scopes.joined(separator: " "), grant.nonce, grant.codeChallenge, String(grant.authTime),
                    grant.methods.joined(separator: " "), String(lifetime), grant.ssoSessionID,
                ])
        }
    }

    public func redeem(codeHash: String, clientID: String) async throws -> CodeRedemption {
        try await pool.run { connection in
            if let row = try connection.query(
                """
                UPDATE authorization_codes SET used_at = now()
                WHERE code_hash = $1 AND client_id = $2 AND used_at IS NULL AND expires_at > now()
                RETURNING client_id, user_id, redirect_uri, scope, nonce, code_challenge, auth_time, amr, sso_session_id
                """, [codeHash, clientID]
            ).rows.first {
                return .redeemed(
                    AuthorizationGrant(
                        clientID: try row.string("client_id"), userID: try row.int64("user_id"),
                        redirectURI: try row.string("redirect_uri"), scopes: Self.list(try row.string("scope")),
                        nonce: try row.optionalString("nonce"), codeChallenge: try row.optionalString("code_challenge"),
                        authTime: try row.int64("auth_time"), methods: Self.list(try row.string("amr")),
                        ssoSessionID: try row.optionalString("sso_session_id")))
            }
            guard
                let row = try connection.query(
                    """
                    UPDATE authorization_codes SET replayed_at = coalesce(replayed_at, now())
                    WHERE code_hash = $1 AND client_id = $2 AND used_at IS NOT NULL
                    RETURNING session_id, user_id
                    """, [codeHash, clientID]
                ).rows.first
            else { return .invalid }
            return .replayed(sessionID: try row.optionalString("session_id"), userID: try row.int64("user_id"))
        }
    }

    public func attach(sessionID: String, toCodeHash codeHash: String) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                "UPDATE authorization_codes SET session_id = $2 WHERE code_hash = $1 AND replayed_at IS NULL",
                [codeHash, sessionID]
            ).affectedRows == 1
        }
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: " ").map(String.init)
    }
}
