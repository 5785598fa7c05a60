public import AuthCore

/// `PasskeyStore` on `webauthn_credentials` and `webauthn_challenges`. A challenge is taken by one
/// `DELETE … RETURNING`, a counter moved by one conditional `UPDATE`: of any number of instances,
/// exactly one answers a challenge or records a sign-in from a given counter.
public struct PostgresPasskeyStore: PasskeyStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    static let columns = """
        encode(id, 'hex') AS id, user_id, encode(public_key, 'hex') AS public_key, sign_count,
        encode(aaguid, 'hex') AS aaguid, backup_eligible, backed_up, name, suspect,
        extract(epoch FROM created_at)::bigint AS created_at, extract(epoch FROM last_used_at)::bigint AS last_used_at
        """

    static func passkey(from row: PostgresRow) throws -> Passkey {
        Passkey(
            id: try Bytea.bytes(hex: try row.string("id")), userID: try row.int64("user_id"),
            publicKey: try Bytea.bytes(hex: try row.string("public_key")),
            signCount: UInt32(truncatingIfNeeded: try row.int64("sign_count")),
            aaguid: try Bytea.bytes(hex: try row.string("aaguid")), backupEligible: try row.bool("backup_eligible"),
            backedUp: try row.bool("backed_up"), name: try row.string("name"), suspect: try row.bool("suspect"),
            createdAt: try row.int64("created_at"), lastUsedAt: try row.optionalInt64("last_used_at"))
    }

    private static func boolean(_ value: Bool) -> String { value ? "true" : "false" }

    public func add(_ passkey: Passkey) async throws -> Passkey {
        try await pool.run { connection in
            do {
                return try Self.passkey(
                    from: try connection.query(
                        """
                        INSERT INTO webauthn_credentials
                            (id, user_id, public_key, sign_count, aaguid, backup_eligible, backed_up, name)
                        VALUES (decode($1, 'hex'), $2, decode($3, 'hex'), $4, decode($5, 'hex'), $6::boolean,
                            $7::boolean, $8)
                        RETURNING \(Self.columns)
                        """,
                        [
                            Bytea.hex(passkey.id), String(passkey.userID), Bytea.hex(passkey.publicKey),
                            String(passkey.signCount), Bytea.hex(passkey.aaguid), Self.boolean(passkey.backupEligible),
                            Self.boolean(passkey.backedUp), passkey.name,
                        ]
                    ).single())
            } catch let error as PostgresError where error.isUniqueViolation {
                throw AuthError(.conflict, "this credential is registered already")
            }
        }
    }

    public func passkey(id: [UInt8]) async throws -> Passkey? {
        try await pool.run { connection in
            try connection.query(
                "SELECT \(Self.columns) FROM webauthn_credentials WHERE id = decode($1, 'hex')", [Bytea.hex(id)]
            ).rows.first.map(Self.passkey(from:))
        }
    }

    public func passkeys(userID: Int64) async throws -> [Passkey] {
        try await pool.run { connection in
            try connection.query(
                "SELECT \(Self.columns) FROM webauthn_credentials WHERE user_id = $1 ORDER BY date_trunc('second', created_at), id",
                [String(userID)]
            ).rows.map(Self.passkey(from:))
        }
    }

    public func recordUse(id: [UInt8], expected: UInt32, signCount: UInt32, backedUp: Bool) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                """
                UPDATE webauthn_credentials SET sign_count = $3, backed_up = $4::boolean, last_used_at = now()
                WHERE id = decode($1, 'hex') AND sign_count = $2 AND NOT suspect
                """, [Bytea.hex(id), String(expected), String(signCount), Self.boolean(backedUp)]
            ).affectedRows == 1
        }
    }

    public func markSuspect(id: [UInt8]) async throws {
        try await pool.run { connection in
            _ = try connection.query(
                "UPDATE webauthn_credentials SET suspect = true WHERE id = decode($1, 'hex')", [Bytea.hex(id)])
        }
    }

    public func rename(id: [UInt8], userID: Int64, name: String) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                "UPDATE webauthn_credentials SET name = $3 WHERE id = decode($1, 'hex') AND user_id = $2",
                [Bytea.hex(id), String(userID), name]
            ).affectedRows == 1
        }
    }

    public func remove(id: [UInt8], userID: Int64) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                "DELETE FROM webauthn_credentials WHERE id = decode($1, 'hex') AND user_id = $2",
                [Bytea.hex(id), String(userID)]
            ).affectedRows == 1
        }
    }

    public func removeAll(userID: Int64, by actor: Actor) async throws -> Int {
        try await pool.run { connection in
            try connection.transaction {
                let removed = try connection.query(
                    "DELETE FROM webauthn_credentials WHERE user_id = $1", [String(userID)]
                ).affectedRows
                try PostgresDirectoryStore.audit(
                    actor, "user.passkeys_reset", target: "user:\(userID)", ["removed": String(removed)],
                    on: connection)
                return removed
            }
        }
    }

    public func storeChallenge(_ challenge: PasskeyChallenge) async throws {
        try await pool.run { connection in
            _ = try connection.query(
                """
                INSERT INTO webauthn_challenges (hash, ceremony, user_id, binding, expires_at)
                VALUES ($1, $2, $3, $4, to_timestamp($5))
                """,
                [
                    challenge.hash, challenge.ceremony.rawValue, challenge.userID.map(String.init), challenge.binding,
                    String(challenge.expiresAt),
                ])
        }
    }

    public func takeChallenge(hash: String, binding: String) async throws -> PasskeyChallenge? {
        try await pool.run { connection in
            try connection.query(
                """
                DELETE FROM webauthn_challenges WHERE hash = $1 AND binding = $2 AND expires_at > now()
                RETURNING hash, ceremony, user_id, binding, extract(epoch FROM expires_at)::bigint AS expires_at
                """, [hash, binding]
            ).rows.first.map { row in
                PasskeyChallenge(
                    hash: try row.string("hash"),
                    ceremony: PasskeyChallenge.Ceremony(rawValue: try row.string("ceremony")) ?? .signIn,
                    userID: try row.optionalInt64("user_id"), binding: try row.string("binding"),
                    expiresAt: try row.int64("expires_at"))
            }
        }
    }
}
