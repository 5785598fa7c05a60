import AuthCore
import AuthCrypto
import AuthTestSupport
import Testing

/// Passkeys' storage on both backings: a credential ID once, counters moved only from what was
/// read, suspects refused, owners alone rename and remove, an audited reset, challenges taken once
/// by their binding before they expire.
@Suite("store contract: passkeys")
struct PasskeyContractTests {
    static func passkey(_ user: User, name: String = "Laptop") throws -> Passkey {
        Passkey(
            id: try SecureRandom.bytes(32), userID: user.id, publicKey: [0xA1, 0x01, 0x02], signCount: 5,
            aaguid: [UInt8](repeating: 7, count: 16), backupEligible: true, backedUp: false, name: name)
    }

    @Test(
        "credentials: added once, listed per user, counters moved from the value read, suspects refused",
        arguments: TestStack.Backing.allCases)
    func credentials(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let store = stack.stores.passkeys
            let (owner, other) = (try await Contract.user(stack), try await Contract.user(stack))
            let first = try await store.add(try Self.passkey(owner))
            let second = try await store.add(try Self.passkey(owner, name: "Phone"))
            #expect(first.signCount == 5 && first.backupEligible && !first.backedUp && !first.suspect)
            #expect(
                await Contract.code { try await store.add(first) } == .conflict, "a credential ID is registered once")
            var taken = try Self.passkey(other)
            taken.id = first.id
            #expect(await Contract.code { try await store.add(taken) } == .conflict, "to anyone")
            #expect(Set(try await store.passkeys(userID: owner.id).map(\.id)) == [first.id, second.id])
            #expect(try await store.passkeys(userID: other.id).isEmpty)

            #expect(try await store.recordUse(id: first.id, expected: 5, signCount: 9, backedUp: true))
            #expect(
                !(try await store.recordUse(id: first.id, expected: 5, signCount: 10, backedUp: true)), "moved first")
            let used = try #require(try await store.passkey(id: first.id))
            #expect(used.signCount == 9 && used.backedUp && used.lastUsedAt != nil)
            try await store.markSuspect(id: first.id)
            #expect(try await store.passkey(id: first.id)?.suspect == true)
            #expect(!(try await store.recordUse(id: first.id, expected: 9, signCount: 10, backedUp: true)), "suspect")
            #expect(try await store.passkey(id: try SecureRandom.bytes(32)) == nil)
        }
    }

    @Test(
        "only the owner renames or removes; an admin reset removes all, audited", arguments: TestStack.Backing.allCases)
    func ownership(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let store = stack.stores.passkeys
            let (owner, other) = (try await Contract.user(stack), try await Contract.user(stack))
            let key = try await store.add(try Self.passkey(owner))
            _ = try await store.add(try Self.passkey(owner, name: "Phone"))
            #expect(!(try await store.rename(id: key.id, userID: other.id, name: "Mine")))
            #expect(try await store.rename(id: key.id, userID: owner.id, name: "Work laptop"))
            #expect(try await store.passkey(id: key.id)?.name == "Work laptop")
            #expect(!(try await store.remove(id: key.id, userID: other.id)))
            #expect(try await store.remove(id: key.id, userID: owner.id))
            #expect(!(try await store.remove(id: key.id, userID: owner.id)), "once")
            #expect(try await store.removeAll(userID: owner.id, by: Contract.actor) == 1)
            #expect(try await store.passkeys(userID: owner.id).isEmpty)
            let audit = try await Contract.audit(stack, target: "user:\(owner.id)")
            #expect(audit.first?.action == "user.passkeys_reset" && audit.first?.details["removed"] == "1")
        }
    }

    @Test("a challenge is taken once, by its binding, before it expires", arguments: TestStack.Backing.allCases)
    func challenges(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let store = stack.stores.passkeys
            let user = try await Contract.user(stack)
            let live = PasskeyChallenge(
                hash: try Contract.digest(TestDatabase.uniqueName("c")), ceremony: .registration, userID: user.id,
                binding: "session-1", expiresAt: UnixTime.now() + 300)
            try await store.storeChallenge(live)
            #expect(try await store.takeChallenge(hash: live.hash, binding: "session-2") == nil, "another asker's")
            let taken = try #require(try await store.takeChallenge(hash: live.hash, binding: "session-1"))
            #expect(taken.ceremony == .registration && taken.userID == user.id)
            #expect(try await store.takeChallenge(hash: live.hash, binding: "session-1") == nil, "once")
            let discoverable = PasskeyChallenge(
                hash: try Contract.digest(TestDatabase.uniqueName("d")), ceremony: .signIn, userID: nil,
                binding: "browser", expiresAt: UnixTime.now() + 300)
            try await store.storeChallenge(discoverable)
            #expect(try await store.takeChallenge(hash: discoverable.hash, binding: "browser")?.userID == nil)
            let expired = PasskeyChallenge(
                hash: try Contract.digest(TestDatabase.uniqueName("e")), ceremony: .signIn, userID: nil,
                binding: "browser", expiresAt: UnixTime.now() - 1)
            try await store.storeChallenge(expired)
            #expect(try await store.takeChallenge(hash: expired.hash, binding: "browser") == nil)
        }
    }
}
