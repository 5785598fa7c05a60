public import AuthCore

extension MemoryDatabase: SessionStore {
    public func create(_ session: NewSession, passwordHash: String) async throws -> User? {
        transaction { tables, now in
            guard let user = tables.users[session.userID], user.passwordHash == passwordHash, !user.disabled,
                session.parentID.map({ tables.sessions[$0]?.isLive(at: now) == true }) ?? true
            else { return nil }
            tables.sessions[session.id] = Tables.SessionRow(
                id: session.id, userID: session.userID, createdAt: now, lastUsedAt: now,
                expiresAt: now + session.lifetime * 1000, clientAddress: session.clientAddress,
                userAgent: session.userAgent, clientID: session.clientID, scope: session.scope,
                parentID: session.parentID, proofKey: session.proofKey, tokenHash: session.tokenHash)
            tables.sessionTokens[session.tokenHash] = session.id
            return user.user
        }
    }

    public func owner(ofRefreshTokenHash hash: String) async throws -> RefreshTokenOwner? {
        transaction { tables, now in
            guard let id = tables.sessionTokens[hash], let row = tables.sessions[id] else { return nil }
            return RefreshTokenOwner(session: row.session, state: row.state(presented: hash, now: now))
        }
    }

    public func rotate(sessionID: String, from old: String, to new: String, gracePair: [UInt8]) async throws -> Bool {
        transaction { tables, now in
            guard let row = tables.sessions[sessionID], row.tokenHash == old, row.revokedAt == nil else { return false }
            tables.sessions[sessionID]?.tokenHash = new
            tables.sessions[sessionID]?.previousHash = old
            tables.sessions[sessionID]?.rotatedAt = now
            tables.sessions[sessionID]?.gracePair = gracePair
            tables.sessions[sessionID]?.lastUsedAt = now
            tables.sessions[sessionID]?.refreshCount += 1
            tables.sessionTokens[new] = sessionID
            return true
        }
    }

    public func stale(
        sessionID: String, presented hash: String, decide: @escaping @Sendable (RefreshState) -> RefreshDecision
    ) async throws -> Changed<StaleRefresh> {
        transaction { tables, now in
            guard let row = tables.sessions[sessionID] else { return Changed(.ended) }
            switch decide(row.state(presented: hash, now: now)) {
            case .replayGracePair: return Changed(.gracePair(row.gracePair ?? []))
            case .revoke(let reason):
                let revocations =
                    tables.revoke([sessionID], retention: retention, now: now)
                    + tables.endChildren(of: [sessionID], retention: retention, now: now)
                return Changed(.revoked(reason), revocations: revocations)
            case .rotate, .refuse: return Changed(.ended)
            }
        }
    }

    public func sessions(of userID: Int64) async throws -> [Session] {
        transaction { tables, now in
            tables.sessions.values.filter { $0.userID == userID && $0.isLive(at: now) }
                .sorted { $0.lastUsedAt != $1.lastUsedAt ? $0.lastUsedAt > $1.lastUsedAt : $0.id < $1.id }
                .map(\.session)
        }
    }

    public func revoke(sessionID: String, of userID: Int64, tokenID: String?) async throws -> Changed<Bool> {
        transaction { tables, now in
            guard let row = tables.sessions[sessionID], row.userID == userID, row.isLive(at: now) else {
                return Changed(false)
            }
            var revocations =
                tables.revoke([sessionID], retention: retention, now: now)
                + tables.endChildren(of: [sessionID], retention: retention, now: now)
            if let tokenID {
                revocations.append(tables.record(retention.revocation(.token, of: tokenID, at: now / 1000)))
            }
            return Changed(true, revocations: revocations)
        }
    }

    public func revokeAll(of userID: Int64) async throws -> Changed<Void> {
        transaction { tables, now in
            let cutOff = tables.cutOff(userID, retention: retention, now: now)
            let ended = tables.endSessions(of: userID, except: nil, retention: retention, now: now)
            return Changed((), revocations: [cutOff].compactMap { $0 } + ended)
        }
    }

    public func changePassword(userID: Int64, old: String, new: String, keeping sessionID: String?) async throws
        -> Changed<Bool>
    {
        transaction { tables, now in
            guard tables.users[userID]?.passwordHash == old else { return Changed(false) }
            tables.users[userID]?.passwordHash = new
            var revocations = tables.endSessions(of: userID, except: sessionID, retention: retention, now: now)
            if sessionID == nil, let cutOff = tables.cutOff(userID, retention: retention, now: now) {
                revocations.append(cutOff)
            }
            return Changed(true, revocations: revocations)
        }
    }
}

extension Tables.SessionRow {
    /// What `SessionPolicy.decide` reads of this session for a presented token hash.
    func state(presented hash: String, now: Int64) -> RefreshState {
        RefreshState(
            isCurrent: tokenHash == hash, isPrevious: previousHash == hash, revoked: revokedAt != nil,
            expiresAt: expiresAt, lastUsedAt: lastUsedAt, rotatedAt: rotatedAt, hasGracePair: gracePair != nil,
            now: now)
    }
}

extension MemoryDatabase: LockoutStore {
    public func counter(username: String, source: String) async throws -> (counter: LockoutPolicy.Counter?, now: Int64)
    {
        transaction { tables, now in (tables.lockouts[.init(username: username, source: source)], now) }
    }

    public func update(
        username: String, source: String,
        _ change: @escaping @Sendable (LockoutPolicy.Counter?, Int64) -> LockoutPolicy.Counter
    ) async throws -> LockoutPolicy.Counter {
        transaction { tables, now in
            let key = Tables.LockoutKey(username: username, source: source)
            // As the upsert does: a new counter holds no failures yet.
            let before =
                tables.lockouts[key]
                ?? LockoutPolicy.Counter(failures: 0, windowStart: now, lockedUntil: nil, expiresAt: now)
            let after = change(before, now)
            tables.lockouts[key] = after
            return after
        }
    }

    public func reset(username: String, source: String) async throws {
        transaction { tables, _ in tables.lockouts[.init(username: username, source: source)] = nil }
    }

    public func unlock(username: String, by actor: Actor) async throws {
        transaction { tables, now in
            let name = username.lowercased()
            tables.lockouts = tables.lockouts.filter { $0.key.username != name }
            tables.audit(actor, "user.unlock", target: "username:\(name)", [:], now: now)
        }
    }
}

extension MemoryDatabase: MFAStore {
    public func enrolment(userID: Int64) async throws -> TOTPEnrolment? {
        transaction { tables, _ in tables.totp[userID] }
    }

    public func begin(_ enrolment: TOTPEnrolment, userID: Int64) async throws -> Bool {
        transaction { tables, _ in
            guard tables.users[userID] != nil, tables.totp[userID]?.confirmed != true else { return false }
            var pending = enrolment
            pending.confirmed = false
            pending.lastStep = nil
            tables.totp[userID] = pending
            return true
        }
    }

    public func confirm(userID: Int64, step: Int64, recoveryCodeHashes: [String]) async throws -> Bool {
        transaction { tables, _ in
            guard let pending = tables.totp[userID], !pending.confirmed, (pending.lastStep ?? -1) < step else {
                return false
            }
            tables.totp[userID]?.confirmed = true
            tables.totp[userID]?.lastStep = step
            tables.users[userID]?.mfaEnabled = true
            tables.recoveryCodes[userID] = Dictionary(recoveryCodeHashes.map { ($0, false) }) { first, _ in first }
            return true
        }
    }

    public func accept(step: Int64, userID: Int64) async throws -> Bool {
        transaction { tables, _ in
            guard let enrolment = tables.totp[userID], enrolment.confirmed, (enrolment.lastStep ?? -1) < step else {
                return false
            }
            tables.totp[userID]?.lastStep = step
            return true
        }
    }

    public func useRecoveryCode(hash: String, userID: Int64) async throws -> Bool {
        transaction { tables, _ in
            guard tables.totp[userID]?.confirmed == true, tables.recoveryCodes[userID]?[hash] == false else {
                return false
            }
            tables.recoveryCodes[userID]?[hash] = true
            return true
        }
    }

    public func replaceRecoveryCodes(hashes: [String], userID: Int64) async throws -> Bool {
        transaction { tables, _ in
            guard tables.totp[userID]?.confirmed == true else { return false }
            tables.recoveryCodes[userID] = Dictionary(hashes.map { ($0, false) }) { first, _ in first }
            return true
        }
    }

    public func remove(userID: Int64, by actor: Actor?) async throws -> Bool {
        try transaction { tables, now in
            let removed = tables.totp.removeValue(forKey: userID) != nil
            tables.recoveryCodes[userID] = nil
            let user = tables.users[userID] != nil
            tables.users[userID]?.mfaEnabled = false
            if let actor {
                guard user else { throw AuthError(.notFound, "no such user") }
                tables.audit(actor, "user.mfa_reset", target: "user:\(userID)", [:], now: now)
            }
            return removed
        }
    }

    public func consumeChallenge(id: String, expiresAt: Int64) async throws -> Bool {
        transaction { tables, _ in
            guard tables.usedChallenges[id] == nil else { return false }
            tables.usedChallenges[id] = expiresAt
            return true
        }
    }
}
