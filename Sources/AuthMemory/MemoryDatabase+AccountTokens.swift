public import AuthCore

extension MemoryDatabase: AccountTokenStore {
    public func issueReset(
        login: String, tokenHash: String, lifetime: Int64, limit: Int, window: Int64,
        mail: @escaping @Sendable (User) throws -> [OutboxMessage]
    ) async throws -> User? {
        try transaction { tables, now in
            let enabled = tables.users.values.filter { !$0.disabled }
            guard
                let row = enabled.first(where: { $0.username.lowercased() == login.lowercased() })
                    ?? enabled.first(where: { $0.email == login })
            else { return nil }
            let recent = tables.accountTokens.values.filter {
                $0.userID == row.id && $0.purpose == "reset" && $0.createdAt > now - window * 1000
            }
            guard recent.count < limit else { return nil }
            tables.accountTokens[tokenHash] = Tables.AccountTokenRow(
                purpose: "reset", userID: row.id, createdAt: now, expiresAt: now + lifetime * 1000)
            tables.enqueue(try mail(row.user), now: now)
            return row.user
        }
    }

    public func redeemReset(
        tokenHash: String, newHash: String, mail: @escaping @Sendable (User) throws -> [OutboxMessage]
    ) async throws -> Changed<User?> {
        try transaction { tables, now in
            guard let token = tables.accountTokens[tokenHash], token.purpose == "reset", token.usedAt == nil,
                token.expiresAt > now, tables.users[token.userID]?.disabled == false
            else { return Changed(nil) }
            let userID = token.userID
            tables.accountTokens = tables.accountTokens.filter {
                $0.value.userID != userID || $0.value.purpose != "reset"
            }
            tables.accountTokens[tokenHash] = token
            tables.accountTokens[tokenHash]?.usedAt = now
            tables.users[userID]?.passwordHash = newHash
            let user = tables.users[userID]!.user
            var revocations = tables.endSessions(of: userID, except: nil, retention: retention, now: now)
            if let cutOff = tables.cutOff(userID, retention: retention, now: now) { revocations.append(cutOff) }
            tables.enqueue(try mail(user), now: now)
            return Changed(user, revocations: revocations)
        }
    }
}
