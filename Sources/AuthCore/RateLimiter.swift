import Synchronization

/// A token bucket per client address for login and AUTH attempts, in this instance's memory:
/// `burst` attempts at once, refilled at `perSecond`. It bounds how fast one address can guess
/// (and how fast it can push accounts towards lockout); the database-backed lockout is what
/// every instance shares.
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
        buckets.withLock { buckets in
            if buckets.count > Self.pruneThreshold { prune(&buckets, now: now) }
            var bucket = buckets[source] ?? Bucket(tokens: configuration.burst, updated: now)
            bucket.tokens = refilled(bucket, now: now)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[source] = bucket
                return false
            }
            bucket.tokens -= 1
            buckets[source] = bucket
            return true
        }
    }

    private func refilled(_ bucket: Bucket, now: ContinuousClock.Instant) -> Double {
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(configuration.burst, bucket.tokens + seconds * configuration.perSecond)
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { refilled($0.value, now: now) < configuration.burst }
    }
}
