public import AuthCore

extension MemoryDatabase: PasskeyStore {
    public func add(_ passkey: Passkey) async throws -> Passkey {
        try transaction { tables, now in
            guard tables.passkeys[passkey.id] == nil else {
                throw AuthError(.conflict, "this credential is registered already")
            }
            var stored = passkey
            (stored.suspect, stored.createdAt, stored.lastUsedAt) = (false, now / 1000, nil)
            tables.passkeys[passkey.id] = stored
            return stored
        }
    }

    public func passkey(id: [UInt8]) async throws -> Passkey? {
        transaction { tables, _ in tables.passkeys[id] }
    }

    public func passkeys(userID: Int64) async throws -> [Passkey] {
        transaction { tables, _ in
            tables.passkeys.values.filter { $0.userID == userID }.sorted {
                $0.createdAt != $1.createdAt ? $0.createdAt < $1.createdAt : $0.id.lexicographicallyPrecedes($1.id)
            }
        }
    }

    public func recordUse(id: [UInt8], expected: UInt32, signCount: UInt32, backedUp: Bool) async throws -> Bool {
        transaction { tables, now in
            guard var passkey = tables.passkeys[id], passkey.signCount == expected, !passkey.suspect else {
                return false
            }
            (passkey.signCount, passkey.backedUp, passkey.lastUsedAt) = (signCount, backedUp, now / 1000)
            tables.passkeys[id] = passkey
            return true
        }
    }

    public func markSuspect(id: [UInt8]) async throws {
        transaction { tables, _ in tables.passkeys[id]?.suspect = true }
    }

    public func rename(id: [UInt8], userID: Int64, name: String) async throws -> Bool {
        transaction { tables, _ in
            guard tables.passkeys[id]?.userID == userID else { return false }
            tables.passkeys[id]?.name = name
            return true
        }
    }

    public func remove(id: [UInt8], userID: Int64) async throws -> Bool {
        transaction { tables, _ in
            guard tables.passkeys[id]?.userID == userID else { return false }
            tables.passkeys[id] = nil
            return true
        }
    }

    public func removeAll(userID: Int64, by actor: Actor) async throws -> Int {
        transaction { tables, now in
            let removed = tables.passkeys.values.filter { $0.userID == userID }.map(\.id)
            for id in removed { tables.passkeys[id] = nil }
            tables.audit(
                actor, "user.passkeys_reset", target: "user:\(userID)", ["removed": String(removed.count)], now: now)
            return removed.count
        }
    }

    public func storeChallenge(_ challenge: PasskeyChallenge) async throws {
        transaction { tables, _ in tables.passkeyChallenges[challenge.hash] = challenge }
    }

    public func takeChallenge(hash: String, binding: String) async throws -> PasskeyChallenge? {
        transaction { tables, now in
            guard let challenge = tables.passkeyChallenges[hash], challenge.binding == binding,
                challenge.expiresAt * 1000 > now
            else { return nil }
            tables.passkeyChallenges[hash] = nil
            return challenge
        }
    }
}
