import Metrics
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs password hashing on its own threads with a bounded queue. When `threads + queueLimit`
/// jobs are already admitted, `run` fails at once with `busy` instead of letting work pile up,
/// and token verification, which never enters this pool, is not slowed by a login storm.
public final class HashingPool: Sendable {
    public struct Configuration: Sendable {
        /// Worker threads; defaults to the number of cores.
        public var threads: Int
        /// Jobs that may wait for a free thread before `busy` is returned.
        public var queueLimit: Int

        public init(threads: Int? = nil, queueLimit: Int = 64) {
            self.threads = max(1, threads ?? System.coreCount)
            self.queueLimit = max(0, queueLimit)
        }
    }

    private let pool: NIOThreadPool
    private let capacity: Int
    private let admitted = Mutex(0)
    /// Jobs admitted (running or queued), how long each waited for a thread, and refusals.
    private let depth = Gauge(label: "authd_hashing_jobs")
    private let wait = Metrics.Timer(label: "authd_hashing_wait_seconds")
    private let refused = Counter(label: "authd_hashing_refused_total")

    public init(configuration: Configuration = .init()) {
        pool = NIOThreadPool(numberOfThreads: configuration.threads)
        capacity = configuration.threads + configuration.queueLimit
        pool.start()
    }

    /// Jobs running or waiting now.
    public var load: Int { admitted.withLock { $0 } }

    public func run<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T {
        let entered = admitted.withLock { count -> Int? in
            guard count < capacity else { return nil }
            count += 1
            return count
        }
        guard let entered else {
            refused.increment()
            throw AuthError(.busy, "too many password checks in progress, retry shortly")
        }
        depth.record(entered)
        defer {
            depth.record(
                admitted.withLock { count in
                    count -= 1; return count
                })
        }
        let queued = ContinuousClock.now
        let wait = self.wait
        return try await pool.runIfActive {
            Self.lowerThreadPriority()
            wait.record(duration: ContinuousClock.now - queued)
            return try work()
        }
    }

    /// Hashing threads run at nice 10: when logins saturate the cores, the kernel still gives
    /// the event loops, which answer VERIFY and GET /protected from memory, their turn first.
    /// On Linux the nice value is per thread, and `who == 0` names the calling thread (see
    /// setpriority(2), NOTES); one system call per job is nothing next to a 300 ms scrypt.
    private static func lowerThreadPriority() {
        #if os(Linux)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }

    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
