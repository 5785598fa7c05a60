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

    public func saveDevice(
        codeHash: String, userCode: String, clientID: String, scopes: [String], lifetime: Int64, interval: Int64
    ) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                """
                INSERT INTO device_codes (code_hash, user_code, client_id, scope, expires_at, interval_seconds)
                VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6)
                ON CONFLICT (user_code) DO NOTHING
                """,
                [codeHash, userCode, clientID, scopes.joined(separator: " "), String(lifetime), String(interval)]
            ).affectedRows == 1
        }
    }

    public func deviceRequest(userCode: String) async throws -> DeviceRequest? {
        try await pool.run { connection in
            try connection.query(
                """
                SELECT client_id, scope, user_code, extract(epoch FROM expires_at)::bigint AS expires_at
                FROM device_codes WHERE user_code = $1 AND status = 'pending' AND expires_at > now()
                """, [userCode]
            ).rows.first.map { row in
                DeviceRequest(
                    clientID: try row.string("client_id"), scopes: Self.list(try row.string("scope")),
                    userCode: try row.string("user_code"), expiresAt: try row.int64("expires_at"))
            }
        }
    }

    public func decideDevice(userCode: String, approval: DeviceApproval?) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                """
                UPDATE device_codes SET status = $2, user_id = $3, auth_time = $4, amr = $5, sso_session_id = $6
                WHERE user_code = $1 AND status = 'pending' AND expires_at > now()
                """,
                [
                    userCode, approval == nil ? "denied" : "allowed", approval.map { String($0.userID) },
                    approval.map { String($0.authTime) }, approval?.methods.joined(separator: " "),
                    approval?.ssoSessionID,
                ]
            ).affectedRows == 1
        }
    }

    public func pollDevice(codeHash: String, clientID: String) async throws -> DevicePoll {
        try await pool.run { connection in
            try connection.transaction { () throws -> DevicePoll in
                guard
                    let row = try connection.query(
                        """
                        SELECT status, expires_at <= now() AS expired, scope, user_id, auth_time, amr, sso_session_id,
                            polled_at IS NOT NULL AND polled_at > now() - make_interval(secs => interval_seconds)
                                AS too_soon
                        FROM device_codes WHERE code_hash = $1 AND client_id = $2 FOR UPDATE
                        """, [codeHash, clientID]
                    ).rows.first
                else { return .invalid }
                let status = try row.string("status")
                if status == "used" { return .invalid }
                if try row.bool("expired") { return .expired }
                if status == "denied" { return .denied }
                if status == "allowed" {
                    try connection.query("UPDATE device_codes SET status = 'used' WHERE code_hash = $1", [codeHash])
                    return .approved(
                        AuthorizationGrant(
                            clientID: clientID, userID: try row.int64("user_id"), redirectURI: "",
                            scopes: Self.list(try row.string("scope")), nonce: nil, codeChallenge: nil,
                            authTime: try row.int64("auth_time"), methods: Self.list(try row.string("amr")),
                            ssoSessionID: try row.optionalString("sso_session_id")))
                }
                let tooSoon = try row.bool("too_soon")
                try connection.query(
                    """
                    UPDATE device_codes SET polled_at = now(),
                        interval_seconds = least(interval_seconds + CASE WHEN $2::boolean THEN 5 ELSE 0 END, 600)
                    WHERE code_hash = $1
                    """, [codeHash, tooSoon ? "true" : "false"])
                return tooSoon ? .slowDown : .pending
            }
        }
    }

    public func savePushed(uriHash: String, clientID: String, parameters: String, lifetime: Int64) async throws {
        _ = try await pool.run { connection in
            try connection.query(
                """
                INSERT INTO pushed_requests (uri_hash, client_id, parameters, expires_at)
                VALUES ($1, $2, $3::json, now() + make_interval(secs => $4))
                """, [uriHash, clientID, parameters, String(lifetime)])
        }
    }

    public func takePushed(uriHash: String, clientID: String) async throws -> String? {
        try await pool.run { connection in
            try connection.query(
                """
                UPDATE pushed_requests SET used_at = now()
                WHERE uri_hash = $1 AND client_id = $2 AND used_at IS NULL AND expires_at > now()
                RETURNING parameters::text
                """, [uriHash, clientID]
            ).rows.first?.string("parameters")
        }
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: " ").map(String.init)
    }
}
