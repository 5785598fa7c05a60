public import AuthCore

/// `ProofReplayStore` on `dpop_proofs`: one statement, so of any number of instances shown one proof
/// at once exactly one records it. A row whose time is over may be taken again (its proof's `iat`
/// window has passed, so only a new proof can carry that `jti`).
public struct PostgresProofReplayStore: ProofReplayStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    public func record(proofHash: String, until expiresAt: Int64) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                """
                INSERT INTO dpop_proofs AS p (proof_hash, expires_at) VALUES ($1, to_timestamp($2))
                ON CONFLICT (proof_hash) DO UPDATE SET expires_at = excluded.expires_at WHERE p.expires_at < now()
                RETURNING 1
                """, [proofHash, String(expiresAt)]
            ).rows.count == 1
        }
    }
}
