import AuthCore
import Synchronization
import Testing

@Suite("hashing pool")
struct HashingPoolTests {
    @Test("a full queue fails fast with busy instead of waiting")
    func fullQueueIsBusy() async throws {
        let pool = HashingPool(configuration: .init(threads: 1, queueLimit: 1))
        let gate = Gate()
        async let first: Void = pool.run { gate.wait() }
        async let second: Void = pool.run { gate.wait() }
        while pool.load < 2 { await Task.yield() }
        await #expect {
            try await pool.run { () }
        } throws: { error in
            (error as? AuthError)?.code == .busy
        }
        gate.open()
        try await first
        try await second
        #expect(pool.load == 0)
        try await pool.run { () }
        await pool.shutdown()
    }
}

/// Blocks pool threads until opened.
final class Gate: Sendable {
    private let isOpen = Mutex(false)

    func wait() {
        while !isOpen.withLock({ $0 }) { usleep(1000) }
    }

    func open() { isOpen.withLock { $0 = true } }
}

#if canImport(Glibc)
    import Glibc
#endif

@Suite("rate limiter")
struct RateLimiterTests {
    @Test("a burst, then one attempt per refill interval, per address")
    func tokenBucket() {
        let limiter = RateLimiter(configuration: .init(burst: 3, perSecond: 2))
        let start = ContinuousClock.now
        #expect((0..<3).allSatisfy { _ in limiter.allow("10.0.0.1", now: start) })
        #expect(!limiter.allow("10.0.0.1", now: start))
        #expect(limiter.allow("10.0.0.2", now: start), "addresses are independent")
        #expect(!limiter.allow("10.0.0.1", now: start + .milliseconds(400)))
        #expect(limiter.allow("10.0.0.1", now: start + .milliseconds(900)))
        #expect(!limiter.allow("10.0.0.1", now: start + .milliseconds(900)))
    }
}
