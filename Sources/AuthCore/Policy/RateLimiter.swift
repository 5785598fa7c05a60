import Synchronization

/// A token bucket per key (a client address, an account), in this instance's memory: `burst`
/// attempts at once, refilled at `perSecond`. Per address it bounds how fast one client can guess
/// (and push accounts towards lockout); per account, how fast all clients together can guess one
/// password. The database-backed lockout is what every instance shares.
public final class RateLimiter: Sendable {
    public struct Configuration: Sendable {
        public var burst: Double
        public var perSecond: Double

        public init(burst: Double = 20, perSecond: Double = 5) {
            self.burst = max(1, burst)
            self.perSecond = max(0.001, perSecond)
        }
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let configuration: Configuration
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Above this many tracked addresses, buckets that have refilled are forgotten.
    private static let pruneThreshold = 100_000

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Takes one token for `source`; false when its bucket is empty.
    public func allow(_ source: String, now: ContinuousClock.Instant = .now) -> Bool {
        update(source, now: now) { tokens in
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    /// Whether `key`'s bucket holds a token, taking none.
    public func permits(_ key: String, now: ContinuousClock.Instant = .now) -> Bool {
        update(key, now: now) { $0 >= 1 }
    }

    /// Takes a token from `key`'s bucket even when it is empty (down to minus one burst), for a
    /// limit charged once an attempt has run and failed: attempts that were let in together are
    /// all paid for.
    public func charge(_ key: String, now: ContinuousClock.Instant = .now) {
        update(key, now: now) { tokens in tokens = max(-configuration.burst, tokens - 1) }
    }

    private func update<Result>(
        _ key: String, now: ContinuousClock.Instant, _ body: (inout Double) -> Result
    ) -> Result {
        buckets.withLock { buckets in
            if buckets.count > Self.pruneThreshold { prune(&buckets, now: now) }
            var bucket = buckets[key] ?? Bucket(tokens: configuration.burst, updated: now)
            bucket.tokens = refilled(bucket, now: now)
            bucket.updated = now
            let result = body(&bucket.tokens)
            buckets[key] = bucket
            return result
        }
    }

    private func refilled(_ bucket: Bucket, now: ContinuousClock.Instant) -> Double {
        let elapsed = now - bucket.updated
        let seconds = elapsed.inSeconds
        return min(configuration.burst, bucket.tokens + seconds * configuration.perSecond)
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { refilled($0.value, now: now) < configuration.burst }
    }
}

extension RateLimiter {
    /// Takes one token from the bucket of `source`'s address group (nothing to take without a
    /// source); `refusal` when the bucket is empty.
    func spend(_ source: String?, grouping: AddressGrouping, or refusal: AuthError) throws(AuthError) {
        guard let source, !allow(grouping.key(source)) else { return }
        throw refusal
    }
}
