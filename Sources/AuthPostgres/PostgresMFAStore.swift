public import AuthCore
import AuthCrypto

/// `MFAStore` on `mfa_totp`, `mfa_recovery_codes` and `users.mfa_enabled`. Accepting a step or a
/// recovery code is a single conditional UPDATE, so concurrent instances accept each at most once.
public struct PostgresMFAStore: MFAStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    public func enrolment(userID: Int64) async throws -> TOTPEnrolment? {
        try await pool.run { connection in
            guard
                let row = try connection.query(
                    """
                    SELECT encode(secret, 'hex') AS secret, key_id, algorithm, digits, period, confirmed, last_step
                    FROM mfa_totp WHERE user_id = $1
                    """, [String(userID)]
                ).rows.first
            else { return nil }
            guard let algorithm = HashFunction(rawValue: try row.string("algorithm")) else {
                throw AuthError(.internal, "unknown TOTP algorithm stored")
            }
            return TOTPEnrolment(
                sealedSecret: try Bytea.bytes(hex: try row.string("secret")), keyID: try row.string("key_id"),
                otp: try OneTimePassword(
                    algorithm: algorithm, digits: Int(try row.int64("digits")), period: try row.int64("period")),
                confirmed: try row.bool("confirmed"),
                lastStep: try row.optionalInt64("last_step"))
        }
    }

    public func begin(_ enrolment: TOTPEnrolment, userID: Int64) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                """
                INSERT INTO mfa_totp (user_id, secret, key_id, algorithm, digits, period)
                VALUES ($1, decode($2, 'hex'), $3, $4, $5, $6)
                ON CONFLICT (user_id) DO UPDATE SET
                    secret = EXCLUDED.secret, key_id = EXCLUDED.key_id, algorithm = EXCLUDED.algorithm,
                    digits = EXCLUDED.digits, period = EXCLUDED.period, last_step = NULL, created_at = now()
                WHERE NOT mfa_totp.confirmed
                RETURNING user_id
                """,
                [
                    String(userID), Bytea.hex(enrolment.sealedSecret), enrolment.keyID,
                    enrolment.otp.algorithm.rawValue, String(enrolment.otp.digits), String(enrolment.otp.period),
                ]
            ).rows.count == 1
        }
    }

    public func confirm(userID: Int64, step: Int64, recoveryCodeHashes: [String]) async throws -> Bool {
        try await pool.run { connection in
            try connection.transaction {
                let confirmed =
                    try connection.query(
                        """
                        UPDATE mfa_totp SET confirmed = true, last_step = $2
                        WHERE user_id = $1 AND NOT confirmed AND coalesce(last_step, -1) < $2
                        RETURNING user_id
                        """, [String(userID), String(step)]
                    ).rows.count == 1
                guard confirmed else { return false }
                try connection.query(
                    "UPDATE users SET mfa_enabled = true, updated_at = now() WHERE id = $1", [String(userID)])
                try Self.storeRecoveryCodes(recoveryCodeHashes, userID: userID, on: connection)
                return true
            }
        }
    }

    public func accept(step: Int64, userID: Int64) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                """
                UPDATE mfa_totp SET last_step = $2
                WHERE user_id = $1 AND confirmed AND coalesce(last_step, -1) < $2
                RETURNING user_id
                """, [String(userID), String(step)]
            ).rows.count == 1
        }
    }

    public func useRecoveryCode(hash: String, userID: Int64) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                """
                UPDATE mfa_recovery_codes SET used_at = now()
                WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL
                  AND EXISTS (SELECT 1 FROM mfa_totp t WHERE t.user_id = $1 AND t.confirmed)
                RETURNING user_id
                """, [String(userID), hash]
            ).rows.count == 1
        }
    }

    public func replaceRecoveryCodes(hashes: [String], userID: Int64) async throws -> Bool {
        try await pool.run { connection in
            try connection.transaction {
                let enrolled =
                    try connection.query(
                        "SELECT 1 FROM mfa_totp WHERE user_id = $1 AND confirmed FOR UPDATE", [String(userID)]
                    ).rows.count == 1
                guard enrolled else { return false }
                try Self.storeRecoveryCodes(hashes, userID: userID, on: connection)
                return true
            }
        }
    }

    public func remove(userID: Int64, by actor: Actor?) async throws -> Bool {
        try await pool.run { connection in
            try connection.transaction {
                let removed =
                    try connection.query(
                        "DELETE FROM mfa_totp WHERE user_id = $1 RETURNING confirmed", [String(userID)]
                    ).rows.count == 1
                try connection.query("DELETE FROM mfa_recovery_codes WHERE user_id = $1", [String(userID)])
                let user =
                    try connection.query(
                        "UPDATE users SET mfa_enabled = false, updated_at = now() WHERE id = $1 RETURNING id",
                        [String(userID)]
                    ).rows.count == 1
                if let actor {
                    guard user else { throw AuthError(.notFound, "no such user") }
                    try PostgresDirectoryStore.audit(
                        actor, "user.mfa_reset", target: "user:\(userID)", [:], on: connection)
                }
                return removed
            }
        }
    }

    private static func storeRecoveryCodes(_ hashes: [String], userID: Int64, on connection: PostgresConnection)
        throws
    {
        try connection.query("DELETE FROM mfa_recovery_codes WHERE user_id = $1", [String(userID)])
        try connection.query(
            "INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest(string_to_array($2, ','))",
            [String(userID), hashes.joined(separator: ",")])
    }

    public func consumeChallenge(id: String, expiresAt: Int64) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                """
                INSERT INTO mfa_challenges_used (id, expires_at) VALUES ($1, to_timestamp($2))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """, [id, String(expiresAt)]
            ).rows.count == 1
        }
    }
}
