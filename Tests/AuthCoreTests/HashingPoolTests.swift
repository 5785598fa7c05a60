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
