public import AuthCore

extension Tables {
    /// Adds `messages`, due at once, inside the caller's transaction.
    mutating func enqueue(_ messages: [OutboxMessage], now: Int64) {
        for message in messages {
            outbox[nextOutboxID] = OutboxRow(message: message, createdAt: now, dueAt: now)
            nextOutboxID += 1
        }
    }
}

extension MemoryDatabase: OutboxStore {
    public func enqueue(_ messages: [OutboxMessage]) async throws {
        transaction { tables, now in tables.enqueue(messages, now: now) }
    }

    public func claim(limit: Int, lease: Int64) async throws -> [OutboxItem] {
        transaction { tables, now in
            let due = tables.outbox.filter { $0.value.failedAt == nil && $0.value.dueAt <= now }
                .sorted { ($0.value.dueAt, $0.key) < ($1.value.dueAt, $1.key) }.prefix(max(0, limit))
            return due.map { id, row in
                var row = row
                row.attempts += 1
                row.dueAt = now + lease
                tables.outbox[id] = row
                return OutboxItem(
                    id: id, message: row.message, attempts: row.attempts, createdAt: row.createdAt, claimedAt: now)
            }.sorted { $0.id < $1.id }
        }
    }

    public func delivered(_ item: OutboxItem) async throws -> Bool {
        settle(item) { tables, _ in tables.outbox[item.id] = nil }
    }

    public func deferred(_ item: OutboxItem, after: Int64, reason: String) async throws -> Bool {
        settle(item) { tables, now in
            tables.outbox[item.id]?.dueAt = now + after
            tables.outbox[item.id]?.lastError = reason
        }
    }

    public func failed(_ item: OutboxItem, reason: String) async throws -> Bool {
        settle(item) { tables, now in
            tables.outbox[item.id]?.failedAt = now
            tables.outbox[item.id]?.lastError = reason
        }
    }

    public func depth() async throws -> OutboxDepth {
        transaction { tables, _ in
            let failed = tables.outbox.values.filter { $0.failedAt != nil }.count
            return OutboxDepth(queued: tables.outbox.count - failed, failed: failed)
        }
    }

    /// Applies `change` when the item's claim is still the row's latest; true when it did.
    private func settle(_ item: OutboxItem, _ change: (inout Tables, Int64) -> Void) -> Bool {
        transaction { tables, now in
            guard tables.outbox[item.id]?.attempts == item.attempts else { return false }
            change(&tables, now)
            return true
        }
    }
}
