/// The lockout rule, decided here and carried out by a `LockoutStore`: failures count within a
/// window that starts at the first of them, and the failure that reaches `attempts` locks the
/// account for `lockSeconds`. Times are Unix milliseconds on the store's clock (the database's, so
/// every instance reads the same lock however their clocks drift).
public struct LockoutPolicy: Hashable, Sendable {
    public var attempts: Int
    public var windowSeconds: Int
    public var lockSeconds: Int

    public init(attempts: Int, windowSeconds: Int, lockSeconds: Int) {
        self.attempts = attempts
        self.windowSeconds = windowSeconds
        self.lockSeconds = lockSeconds
    }

    /// One (account, source) pair's failures as stored.
    public struct Counter: Hashable, Sendable {
        public var failures: Int
        public var windowStart: Int64
        public var lockedUntil: Int64?
        /// When the counter may be forgotten: its window and its lock are both over.
        public var expiresAt: Int64

        public init(failures: Int, windowStart: Int64, lockedUntil: Int64?, expiresAt: Int64) {
            self.failures = failures
            self.windowStart = windowStart
            self.lockedUntil = lockedUntil
            self.expiresAt = expiresAt
        }
    }

    public func isLocked(_ counter: Counter?, at now: Int64) -> Bool {
        guard let until = counter?.lockedUntil else { return false }
        return until > now
    }

    /// The counter after one more failure at `now`. A window that is over starts again at this
    /// failure; a lock already running is never shortened.
    public func afterFailure(_ counter: Counter?, at now: Int64) -> Counter {
        let window = Int64(windowSeconds) * 1000
        let lock = Int64(lockSeconds) * 1000
        let current = counter.flatMap { $0.failures > 0 && $0.windowStart >= now - window ? $0 : nil }
        let failures = (current?.failures ?? 0) + 1
        let locksNow = failures >= attempts ? now + lock : nil
        let lockedUntil = [locksNow, counter?.lockedUntil].compactMap { $0 }.max()
        return Counter(
            failures: failures, windowStart: current?.windowStart ?? now, lockedUntil: lockedUntil,
            expiresAt: max(counter?.expiresAt ?? now, now + max(window, lock)))
    }

    /// True for the failure that locked the account (each lock is counted once in the metrics).
    public func justLocked(_ counter: Counter) -> Bool {
        counter.failures == attempts
    }
}
