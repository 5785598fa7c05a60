import AuthCore
public import Logging
public import ServiceLifecycle

/// Applies pending migrations once the database answers. Until then it retries with backoff
/// (100 ms doubling to `maximumBackoff`) and the daemon keeps serving what it can: `/readyz` says
/// "database unreachable", requests that need the database get 503. A migration that fails for
/// any other reason (a changed file, a version this build does not know) ends the daemon:
/// retrying cannot fix it.
public struct MigrationService: Service {
    let pool: PostgresPool
    let migrator: Migrator
    let logger: Logger
    let maximumBackoff: Duration

    public init(pool: PostgresPool, migrator: Migrator, logger: Logger, maximumBackoff: Duration = .seconds(10)) {
        self.pool = pool
        self.migrator = migrator
        self.logger = logger
        self.maximumBackoff = maximumBackoff
    }

    public func run() async throws {
        var backoff = Duration.milliseconds(100)
        let migrator = self.migrator
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let applied = try await pool.withConnection { try migrator.migrate(on: $0) }
                logger.info("database schema is current", metadata: ["applied": "\(applied)"])
                return
            } catch let error as PostgresError where error.isUnavailable {
                logger.warning(
                    "database unreachable at start, retrying",
                    metadata: [
                        "error": "\(error)",
                        "retry_in_ms":
                            "\(backoff.wholeMilliseconds)",
                    ])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, maximumBackoff)
            }
        }
    }
}
