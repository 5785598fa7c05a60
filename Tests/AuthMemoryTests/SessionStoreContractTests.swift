import AuthCore
import AuthCrypto
import AuthTestSupport
import Testing

@Suite("store contract: sessions, lockouts and second factors")
struct SessionStoreContractTests {
    @Test(
        "a session starts only from the password read and an enabled account; one rotation wins; the rest as decided",
        arguments: TestStack.Backing.allCases)
    func sessions(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let user = try await Contract.user(stack)
            let refused = try await stack.sessions.create(
                NewSession(
                    id: TestDatabase.uniqueName("s"), userID: user.id, tokenHash: "x", lifetime: 60,
                    clientAddress: "", userAgent: ""),
                passwordHash: Contract.otherHash)
            #expect(refused == nil, "a password changed since it was checked")
            let id = try await Contract.session(stack, of: user, token: "a-\(user.id)")
            let owner = try #require(try await stack.sessions.owner(ofRefreshTokenHash: "a-\(user.id)"))
            #expect(owner.session.id == id && owner.session.userID == user.id && owner.session.refreshCount == 0)
            #expect(
                owner.state.isCurrent && !owner.state.isPrevious && !owner.state.revoked && !owner.state.hasGracePair)
            #expect(
                try await stack.sessions.rotate(
                    sessionID: id, from: "a-\(user.id)", to: "b-\(user.id)", gracePair: [1, 2]))
            #expect(
                !(try await stack.sessions.rotate(
                    sessionID: id, from: "a-\(user.id)", to: "c-\(user.id)", gracePair: [3])),
                "the old token no longer rotates")
            let old = try #require(try await stack.sessions.owner(ofRefreshTokenHash: "a-\(user.id)"))
            #expect(
                old.state.isPrevious && !old.state.isCurrent && old.state.hasGracePair && old.session.refreshCount == 1)
            let replay = try await stack.sessions.stale(sessionID: id, presented: "a-\(user.id)") { _ in
                .replayGracePair
            }
            #expect(replay.value == .gracePair([1, 2]) && replay.revocations.isEmpty)
            let reused = try await stack.sessions.stale(sessionID: id, presented: "a-\(user.id)") { _ in
                .revoke(.reused)
            }
            #expect(reused.value == .revoked(.reused) && reused.revocations.map(\.subject) == [id])
            #expect(try await stack.sessions.owner(ofRefreshTokenHash: "b-\(user.id)")?.state.revoked == true)
            #expect(try await stack.sessions.sessions(of: user.id).isEmpty)
            let ended = try await stack.sessions.stale(sessionID: "no-\(id)", presented: "z") { _ in .revoke(.idle) }
            #expect(ended.value == .ended)

            _ = try await stack.directory.update(userID: user.id, UserChange(disabled: true), by: Contract.actor)
            let whileDisabled = try await stack.sessions.create(
                NewSession(
                    id: TestDatabase.uniqueName("s"), userID: user.id, tokenHash: "d-\(user.id)", lifetime: 60,
                    clientAddress: "", userAgent: ""),
                passwordHash: Contract.hash)
            #expect(whileDisabled == nil, "a disabled account")
        }
    }

    @Test(
        "logout ends one session (and its token), logout-all every one with a cut-off, a password change all but one",
        arguments: TestStack.Backing.allCases)
    func ending(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let user = try await Contract.user(stack)
            let first = try await Contract.session(stack, of: user, token: "1-\(user.id)")
            let second = try await Contract.session(stack, of: user, token: "2-\(user.id)")
            let third = try await Contract.session(stack, of: user, token: "3-\(user.id)")
            #expect(Set(try await stack.sessions.sessions(of: user.id).map(\.id)) == [first, second, third])
            let other = try await Contract.user(stack)
            #expect(
                !(try await stack.sessions.revoke(sessionID: first, of: other.id, tokenID: nil).value), "not theirs")
            let logout = try await stack.sessions.revoke(sessionID: first, of: user.id, tokenID: "jti-\(user.id)")
            #expect(logout.value && logout.revocations.map(\.kind) == [.session, .token])
            #expect(!(try await stack.sessions.revoke(sessionID: first, of: user.id, tokenID: nil).value), "once")
            let change = try await stack.sessions.changePassword(
                userID: user.id, old: Contract.hash, new: Contract.otherHash, keeping: second)
            #expect(change.value && change.revocations.map(\.subject) == [third], "no cut-off while one is kept")
            #expect(try await stack.sessions.sessions(of: user.id).map(\.id) == [second])
            let stale = try await stack.sessions.changePassword(
                userID: user.id, old: Contract.hash, new: Contract.hash, keeping: nil)
            #expect(!stale.value && stale.revocations.isEmpty, "the hash moved on")
            let all = try await stack.sessions.revokeAll(of: user.id)
            #expect(all.revocations.map(\.kind) == [.user, .session])
            let cutOff = try #require(all.revocations.first?.cutOff)
            #expect(try await stack.users.find(id: user.id)?.notBefore == cutOff)
            let later = try await stack.sessions.revokeAll(of: user.id)
            #expect(try #require(later.revocations.first?.cutOff) > cutOff, "a cut-off never moves back")
        }
    }

    @Test(
        "lockout counters count every change in order, reset per source, unlock for every source and audited",
        arguments: TestStack.Backing.allCases)
    func lockouts(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let name = TestDatabase.uniqueName("l")
            let policy = LockoutPolicy(attempts: 3, windowSeconds: 60, lockSeconds: 60)
            #expect(try await stack.lockouts.counter(username: name, source: "a").counter == nil)
            for _ in 0..<3 { try await stack.lockouts.recordFailure(username: name, source: "a", under: policy) }
            try await stack.lockouts.recordFailure(username: name, source: "b", under: policy)
            #expect(try await stack.lockouts.counter(username: name, source: "a").counter?.failures == 3)
            #expect(try await stack.lockouts.isLocked(username: name, source: "a", under: policy))
            #expect(!(try await stack.lockouts.isLocked(username: name, source: "b", under: policy)))
            try await stack.lockouts.reset(username: name, source: "b")
            #expect(try await stack.lockouts.counter(username: name, source: "b").counter == nil)
            try await stack.lockouts.recordFailure(username: name, source: "b", under: policy)
            try await stack.lockouts.unlock(username: name.uppercased(), by: Contract.actor)
            #expect(try await stack.lockouts.counter(username: name, source: "a").counter == nil)
            #expect(try await stack.lockouts.counter(username: name, source: "b").counter == nil)
            let audit = try await Contract.audit(stack, target: "username:\(name)")
            #expect(audit.map(\.action) == ["user.unlock"])
        }
    }

    @Test(
        "TOTP: one pending enrolment, confirmed once, each step and recovery code accepted once, removed and audited",
        arguments: TestStack.Backing.allCases)
    func secondFactor(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let user = try await Contract.user(stack)
            let enrolment = TOTPEnrolment(
                sealedSecret: [1, 2, 3], keyID: "k1", otp: try OneTimePassword(), confirmed: false, lastStep: nil)
            #expect(try await stack.mfa.enrolment(userID: user.id) == nil)
            #expect(try await stack.mfa.begin(enrolment, userID: user.id))
            #expect(try await stack.mfa.begin(enrolment, userID: user.id), "a pending one is replaced")
            #expect(!(try await stack.mfa.accept(step: 10, userID: user.id)), "not confirmed yet")
            #expect(!(try await stack.mfa.useRecoveryCode(hash: "r1", userID: user.id)))
            #expect(try await stack.mfa.confirm(userID: user.id, step: 10, recoveryCodeHashes: ["r1", "r2"]))
            #expect(!(try await stack.mfa.confirm(userID: user.id, step: 11, recoveryCodeHashes: [])), "once")
            #expect(try await stack.users.find(id: user.id)?.mfaEnabled == true)
            #expect(!(try await stack.mfa.begin(enrolment, userID: user.id)), "a confirmed one stays")
            #expect(!(try await stack.mfa.accept(step: 10, userID: user.id)), "the confirming step is spent")
            #expect(try await stack.mfa.accept(step: 11, userID: user.id))
            #expect(!(try await stack.mfa.accept(step: 11, userID: user.id)))
            let stored = try #require(try await stack.mfa.enrolment(userID: user.id))
            #expect(
                stored.confirmed && stored.lastStep == 11 && stored.sealedSecret == [1, 2, 3] && stored.keyID == "k1")
            #expect(try await stack.mfa.useRecoveryCode(hash: "r1", userID: user.id))
            #expect(!(try await stack.mfa.useRecoveryCode(hash: "r1", userID: user.id)))
            #expect(try await stack.mfa.replaceRecoveryCodes(hashes: ["r3"], userID: user.id))
            #expect(!(try await stack.mfa.useRecoveryCode(hash: "r2", userID: user.id)), "replaced")
            #expect(try await stack.mfa.useRecoveryCode(hash: "r3", userID: user.id))
            #expect(try await stack.mfa.consumeChallenge(id: "ch-\(user.id)", expiresAt: UnixTime.now() + 60))
            #expect(!(try await stack.mfa.consumeChallenge(id: "ch-\(user.id)", expiresAt: UnixTime.now() + 60)))
            #expect(try await stack.mfa.remove(userID: user.id, by: Contract.actor))
            #expect(!(try await stack.mfa.remove(userID: user.id, by: nil)))
            #expect(try await stack.users.find(id: user.id)?.mfaEnabled == false)
            #expect(try await stack.mfa.enrolment(userID: user.id) == nil)
            #expect(try await Contract.audit(stack, target: "user:\(user.id)").map(\.action) == ["user.mfa_reset"])
        }
    }
}
