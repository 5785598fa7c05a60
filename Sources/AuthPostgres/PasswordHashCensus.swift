import AuthCrypto
public import Logging
import Metrics
public import ServiceLifecycle

/// Counts, once a minute, the stored hashes each imported scheme still has into the gauge
/// `authd_password_hashes{scheme}`: what is left for first logins to replace with authd's own.
/// Every scheme authd verifies has its series (0 when none is left), so a dashboard sees the count
/// fall to zero rather than vanish. One indexed query per instance a minute; while the database is
/// away the gauges keep their last value.
public struct PasswordHashCensus: Service {
    let directory: PostgresDirectoryStore
    let interval: Duration
    let logger: Logger
    private let gauges: [String: Gauge]

    public init(directory: PostgresDirectoryStore, interval: Duration = .seconds(60), logger: Logger) {
        self.directory = directory
        self.interval = interval
        self.logger = logger
        gauges = Dictionary(
            uniqueKeysWithValues: ImportedHash.schemes.map {
                ($0.name, Gauge(label: "authd_password_hashes", dimensions: [("scheme", $0.name)]))
            })
    }

    /// Returns (never throws) at graceful shutdown, so the daemon still exits 0.
    public func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await count()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One census; public so a test can take one without waiting out the interval.
    public func count() async {
        do {
            let counts = try await directory.importedHashCounts()
            for (scheme, gauge) in gauges { gauge.record(counts[scheme] ?? 0) }
        } catch {
            logger.debug("password hash census skipped", metadata: ["error": "\(error)"])
        }
    }
}
