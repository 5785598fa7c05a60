public import AuthCore

extension MemoryDatabase: AccountTokenStore {
    public func issueReset(
        login: String, tokenHash: String, lifetime: Int64, limit: Int, window: Int64,
        mail: @escaping @Sendable (User) throws -> [OutboxMessage]
    ) async throws -> User? {
        try transaction { tables, now in
            guard let row = tables.account(login: login),
                tables.issued("reset", to: row.id, within: window, now: now) < limit
            else { return nil }
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
            if !row.emailVerified, tables.issued("verify", to: row.id, within: window, now: now) < limit {
                tables.replace(
                    "verify", of: row.id, with: tokenHash, codeHash: codeHash, email: email, lifetime: lifetime,
                    now: now)
                issued = true
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

    public func issueSignIn(
        login: String, tokenHash: String, codeHash: String, lifetime: Int64, limit: Int, window: Int64,
        mail: @escaping @Sendable (User) throws -> [OutboxMessage]
    ) async throws -> User? {
        try transaction { tables, now in
            guard let row = tables.account(login: login),
                tables.issued("sign-in", to: row.id, within: window, now: now) < limit
            else { return nil }
            tables.replace(
                "sign-in", of: row.id, with: tokenHash, codeHash: codeHash, email: row.email, lifetime: lifetime,
                now: now)
            tables.enqueue(try mail(row.user), now: now)
            return row.user
        }
    }

    public func username(login: String) async throws -> String? {
        transaction { tables, _ in tables.account(login: login)?.username }
    }

    public func username(signInToken tokenHash: String) async throws -> String? {
        transaction { tables, now in
            guard let token = tables.accountTokens[tokenHash], token.purpose == "sign-in", token.usedAt == nil,
                token.expiresAt > now
            else { return nil }
            return tables.users[token.userID]?.username
        }
    }

    public func redeemSignIn(userID: Int64, proofHash: String, maxAttempts: Int) async throws -> Bool {
        transaction { tables, now in
            guard let user = tables.users[userID],
                let (tokenHash, token) = tables.accountTokens.filter({
                    $0.value.userID == userID && $0.value.purpose == "sign-in" && $0.value.usedAt == nil
                        && $0.value.expiresAt > now && $0.value.attempts < maxAttempts && $0.value.email == user.email
                }).max(by: { $0.value.createdAt < $1.value.createdAt })
            else { return false }
            guard tokenHash == proofHash || token.codeHash == proofHash else {
                tables.accountTokens[tokenHash]?.attempts += 1
                return false
            }
            tables.accountTokens[tokenHash]?.usedAt = now
            tables.users[userID]?.emailVerified = true
            return true
        }
    }
}

extension Tables {
    /// The enabled account `login` names: a username in any case first, else the address exactly.
    func account(login: String) -> UserRow? {
        let enabled = users.values.filter { !$0.disabled }
        return enabled.first(where: { $0.username.lowercased() == login.lowercased() })
            ?? enabled.first(where: { $0.email == login })
    }

    /// Tokens of `purpose` issued to the account within `window` seconds, used or not.
    func issued(_ purpose: String, to userID: Int64, within window: Int64, now: Int64) -> Int {
        accountTokens.values.filter {
            $0.userID == userID && $0.purpose == purpose && $0.createdAt > now - window * 1000
        }.count
    }

    /// Expires the account's unused tokens of `purpose` and adds the new one, as
    /// `PostgresAccountTokenStore`'s does.
    mutating func replace(
        _ purpose: String, of userID: Int64, with tokenHash: String, codeHash: String, email: String,
        lifetime: Int64, now: Int64
    ) {
        for (hash, token) in accountTokens
        where token.userID == userID && token.purpose == purpose && token.usedAt == nil {
            accountTokens[hash]?.expiresAt = min(token.expiresAt, now)
        }
        accountTokens[tokenHash] = AccountTokenRow(
            purpose: purpose, userID: userID, createdAt: now, expiresAt: now + lifetime * 1000, email: email,
            codeHash: codeHash)
    }

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
