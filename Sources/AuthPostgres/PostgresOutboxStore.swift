public import AuthCore

/// `OutboxStore` on the `outbox` table. A claim is one UPDATE over the due rows it locks with
/// `FOR UPDATE SKIP LOCKED` (so concurrent claims on any number of instances take disjoint rows
/// without waiting on each other): it counts an attempt and moves `due_at` to the end of the lease.
/// Settling names the claim by its attempt count, so a claim that outlived its lease changes
/// nothing once another claim took the row.
public struct PostgresOutboxStore: OutboxStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Adds `messages` on `connection`, inside whatever transaction the caller holds.
    /// Notified when a statement adds to the outbox (sql/0020's trigger), on commit.
    public static let channel = "authd_outbox"

    static func insert(_ messages: [OutboxMessage], on connection: PostgresConnection) throws {
        for message in messages {
            try connection.query(
                "INSERT INTO outbox (kind, payload) VALUES ($1, $2::json)", [message.kind.rawValue, message.payload])
        }
    }

    public func enqueue(_ messages: [OutboxMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await pool.run { connection in
            try connection.transaction { try Self.insert(messages, on: connection) }
        }
    }

    public func claim(limit: Int, lease: Int64) async throws -> [OutboxItem] {
        try await pool.run { connection in
            try connection.query(
                """
                UPDATE outbox o SET attempts = o.attempts + 1, due_at = now() + $2::bigint * interval '1 millisecond'
                FROM (
                    SELECT id FROM outbox WHERE failed_at IS NULL AND due_at <= now()
                    ORDER BY due_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
                ) due
                WHERE o.id = due.id
                RETURNING o.id, o.kind, o.payload, o.attempts, \(SQLTime.milliseconds("o.created_at")) AS created_at,
                    \(SQLTime.milliseconds("now()")) AS now
                """, [String(limit), String(lease)]
            ).rows.map { row in
                OutboxItem(
                    id: try row.int64("id"),
                    message: OutboxMessage(
                        kind: OutboxMessage.Kind(rawValue: try row.string("kind")), payload: try row.string("payload")),
                    attempts: Int(try row.int64("attempts")), createdAt: try row.int64("created_at"),
                    claimedAt: try row.int64("now"))
            }.sorted { $0.id < $1.id }
        }
    }

    public func delivered(_ item: OutboxItem) async throws -> Bool {
        try await settle(item, "DELETE FROM outbox WHERE id = $1 AND attempts = $2")
    }

    public func deferred(_ item: OutboxItem, after: Int64, reason: String) async throws -> Bool {
        try await settle(
            item,
            """
            UPDATE outbox SET due_at = now() + $3::bigint * interval '1 millisecond', last_error = $4
            WHERE id = $1 AND attempts = $2
            """, [String(after), reason])
    }

    public func failed(_ item: OutboxItem, reason: String) async throws -> Bool {
        try await settle(
            item, "UPDATE outbox SET failed_at = now(), last_error = $3 WHERE id = $1 AND attempts = $2", [reason])
    }

    public func depth() async throws -> OutboxDepth {
        try await pool.run { connection in
            let row = try connection.query(
                """
                SELECT count(*) FILTER (WHERE failed_at IS NULL) AS queued,
                    count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed
                FROM outbox
                """
            ).single()
            return OutboxDepth(queued: Int(try row.int64("queued")), failed: Int(try row.int64("failed")))
        }
    }

    /// Runs `sql` with the item's id and attempt count as $1 and $2; true when it changed the row.
    private func settle(_ item: OutboxItem, _ sql: String, _ parameters: [String] = []) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(sql, [String(item.id), String(item.attempts)] + parameters).affectedRows == 1
        }
    }
}
