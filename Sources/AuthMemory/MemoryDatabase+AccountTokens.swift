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

    public func issueVerification(
        username: String, email: String, tokenHash: String, codeHash: String, lifetime: Int64, limit: Int,
        window: Int64, mail: @escaping @Sendable (User, _ issued: Bool) throws -> [OutboxMessage]
    ) async throws -> User? {
        try transaction { tables, now in
            guard let row = tables.user(named: username), row.email == email else { return nil }
            var issued = false
            if !row.emailVerified {
                let recent = tables.accountTokens.values.filter {
                    $0.userID == row.id && $0.purpose == "verify" && $0.createdAt > now - window * 1000
                }
                if recent.count < limit {
                    for (hash, token) in tables.accountTokens
                    where token.userID == row.id && token.purpose == "verify" && token.usedAt == nil {
                        tables.accountTokens[hash]?.expiresAt = min(token.expiresAt, now)
                    }
                    tables.accountTokens[tokenHash] = Tables.AccountTokenRow(
                        purpose: "verify", userID: row.id, createdAt: now, expiresAt: now + lifetime * 1000,
                        email: email, codeHash: codeHash)
                    issued = true
                }
            }
            tables.enqueue(try mail(row.user, issued), now: now)
            return row.user
        }
    }

    public func redeemVerification(tokenHash: String) async throws -> User? {
        transaction { tables, now in
            guard let token = tables.accountTokens[tokenHash], token.purpose == "verify", token.expiresAt > now,
                let user = tables.users[token.userID], !user.disabled, user.email == token.email
            else { return nil }
            if token.usedAt != nil { return user.emailVerified ? user.user : nil }
            return tables.verify(userID: user.id, tokenHash: tokenHash, now: now)
        }
    }

    public func redeemVerificationCode(userID: Int64, codeHash: String, maxAttempts: Int) async throws
        -> VerificationCodeOutcome
    {
        transaction { tables, now in
            guard let user = tables.users[userID], !user.disabled,
                let (tokenHash, token) = tables.accountTokens.filter({
                    $0.value.userID == userID && $0.value.purpose == "verify" && $0.value.usedAt == nil
                        && $0.value.expiresAt > now && $0.value.attempts < maxAttempts && $0.value.email == user.email
                }).max(by: { $0.value.createdAt < $1.value.createdAt })
            else { return .noCode }
            guard token.codeHash == codeHash else {
                tables.accountTokens[tokenHash]?.attempts += 1
                return .wrong
            }
            return .verified(tables.verify(userID: userID, tokenHash: tokenHash, now: now))
        }
    }
}

extension Tables {
    /// Uses the verification token and marks the account's address verified, as
    /// `PostgresAccountTokenStore`'s does.
    mutating func verify(userID: Int64, tokenHash: String, now: Int64) -> User {
        accountTokens = accountTokens.filter {
            $0.key == tokenHash || $0.value.userID != userID || $0.value.purpose != "verify"
        }
        accountTokens[tokenHash]?.usedAt = now
        users[userID]?.emailVerified = true
        return users[userID]!.user
    }
}
