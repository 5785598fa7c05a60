import AuthCore
import Testing

@Suite("LockoutPolicy: the lockout rule without a database")
struct LockoutPolicyTests {
    let policy = LockoutPolicy(attempts: 3, windowSeconds: 60, lockSeconds: 600)
    let t0: Int64 = 1_800_000_000_000

    func failures(at times: [Int64], from start: LockoutPolicy.Counter? = nil) -> LockoutPolicy.Counter? {
        times.reduce(start) { counter, time in policy.afterFailure(counter, at: t0 + time) }
    }

    @Test("the failure that reaches attempts within the window locks for lockSeconds, and only that one says so")
    func locksAtAttempts() throws {
        let two = try #require(failures(at: [0, 1_000]))
        #expect(two.failures == 2)
        #expect(!policy.isLocked(two, at: t0 + 1_000))
        #expect(!policy.justLocked(two))
        let three = policy.afterFailure(two, at: t0 + 2_000)
        #expect(three.failures == 3 && three.windowStart == t0)
        #expect(three.lockedUntil == t0 + 2_000 + 600_000)
        #expect(policy.justLocked(three))
        #expect(policy.isLocked(three, at: t0 + 2_000 + 599_999))
        #expect(!policy.isLocked(three, at: t0 + 2_000 + 600_000), "the lock ends at lockedUntil")
        #expect(!policy.justLocked(policy.afterFailure(three, at: t0 + 3_000)), "a lock is counted once")
    }

    @Test("a failure after the window starts a new one; a window's last millisecond still counts")
    func windowRestarts() throws {
        let edge = try #require(failures(at: [0, 60_000]))
        #expect(edge.failures == 2 && edge.windowStart == t0)
        let later = try #require(failures(at: [0, 60_001]))
        #expect(later.failures == 1 && later.windowStart == t0 + 60_001)
        // Two early failures, then three in a new window that starts at its first failure.
        let spread = try #require(failures(at: [0, 30_000, 61_000, 62_000, 63_000]))
        #expect(spread.failures == 3 && spread.windowStart == t0 + 61_000)
        #expect(policy.isLocked(spread, at: t0 + 63_000))
    }

    @Test("a new window never shortens a running lock")
    func lockSurvivesNewWindow() throws {
        let locked = try #require(failures(at: [0, 1, 2]))
        let after = policy.afterFailure(locked, at: t0 + 120_000)
        #expect(after.failures == 1)
        #expect(after.lockedUntil == locked.lockedUntil)
        #expect(policy.isLocked(after, at: t0 + 120_000))
    }

    @Test("no counter, and a stored counter with no failures yet, are the same: nothing locked, a fresh window")
    func emptyCounters() {
        #expect(!policy.isLocked(nil, at: t0))
        let placeholder = LockoutPolicy.Counter(
            failures: 0, windowStart: t0 - 3_600_000, lockedUntil: nil, expiresAt: t0)
        #expect(policy.afterFailure(placeholder, at: t0) == policy.afterFailure(nil, at: t0))
        #expect(policy.afterFailure(nil, at: t0).windowStart == t0)
    }

    @Test("attempts=1 locks at the first failure")
    func singleAttempt() {
        let strict = LockoutPolicy(attempts: 1, windowSeconds: 60, lockSeconds: 1)
        let counter = strict.afterFailure(nil, at: t0)
        #expect(strict.justLocked(counter))
        #expect(strict.isLocked(counter, at: t0 + 999) && !strict.isLocked(counter, at: t0 + 1_000))
    }

    @Test("a counter may be forgotten only once its window and its lock are both over, and never earlier than before")
    func expiry() throws {
        let counter = policy.afterFailure(nil, at: t0)
        #expect(counter.expiresAt == t0 + 600_000)
        let short = LockoutPolicy(attempts: 3, windowSeconds: 900, lockSeconds: 60)
        #expect(short.afterFailure(nil, at: t0).expiresAt == t0 + 900_000)
        // A policy with shorter periods (a stack file edited) does not bring an expiry forward.
        let quick = LockoutPolicy(attempts: 3, windowSeconds: 1, lockSeconds: 1)
        #expect(quick.afterFailure(counter, at: t0 + 10).expiresAt == counter.expiresAt)
    }
}
