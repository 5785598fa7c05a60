import AuthCore
import Testing

@Suite("RetentionPolicy: revocation lifetimes, user cut-offs and pruning ages without a database")
struct RetentionPolicyTests {
    let policy = RetentionPolicy(accessTokenLifetime: 900, leeway: 30)
    let t0: Int64 = 1_800_000_000

    @Test("a revocation stays in force for the longest access token lifetime plus leeway")
    func revocationLifetime() {
        #expect(policy.revocationLifetime == 930)
        let session = policy.revocation(.session, of: "s1", at: t0)
        #expect(session == Revocation(kind: .session, subject: "s1", cutOff: 0, expiresAt: t0 + 930))
        #expect(policy.revocation(.token, of: "j1", at: t0).kind == .token)
    }

    @Test("a cut-off made during a second refuses every token of that second and starts at the next")
    func cutOffIsTheNextSecond() {
        #expect(policy.notBefore(after: nil, cutOffIn: t0) == t0 + 1)
        #expect(policy.notBefore(after: t0 - 100, cutOffIn: t0) == t0 + 1)
        let cutOff = policy.userCutOff(42, notBefore: t0 + 1)
        #expect(cutOff == Revocation(kind: .user, subject: "42", cutOff: t0 + 1, expiresAt: t0 + 1 + 930))
    }

    @Test("a cut-off never moves back, not even when this instance's second is behind the stored one")
    func cutOffNeverMovesBack() {
        #expect(policy.notBefore(after: t0 + 5, cutOffIn: t0) == t0 + 6)
        #expect(policy.notBefore(after: t0, cutOffIn: t0) == t0 + 1)
    }

    @Test("a second cut-off in the same second also refuses a token issued between the two")
    func secondCutOffInOneSecond() {
        let first = policy.notBefore(after: nil, cutOffIn: t0)
        // A login between the two cut-offs is issued at the first one's second.
        let issuedBetween = first
        let second = policy.notBefore(after: first, cutOffIn: t0)
        #expect(issuedBetween < second)
    }

    @Test("a deleted user's every token is refused, for as long as any of them could live")
    func deletedUser() {
        let deleted = policy.deletedUser(7, at: t0)
        #expect(deleted.kind == .user && deleted.subject == "7")
        #expect(deleted.cutOff == .max)
        #expect(deleted.expiresAt == t0 + 930)
    }

    @Test("rows are kept an hour past a revocation's expiry and a day after a session ended, unless configured")
    func pruningAges() {
        #expect(policy.expiredRevocationKept == 3600)
        #expect(policy.endedSessionKept == 86_400)
        let short = RetentionPolicy(
            accessTokenLifetime: 60, leeway: 0, expiredRevocationKept: 10, endedSessionKept: 20)
        #expect(short.revocationLifetime == 60 && short.expiredRevocationKept == 10 && short.endedSessionKept == 20)
    }
}
