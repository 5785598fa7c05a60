import AuthCore
public import Logging
public import ServiceLifecycle

/// Logs, once at start, whether PostgreSQL has room for every instance's connections
/// (`ConnectionBudget`): a warning when it does not. It waits a moment for this instance's listener
/// to connect (it is counted by its connection); a database that cannot be asked yet is asked
/// again with backoff until it can, or until shutdown.
public struct ConnectionBudgetCheck: Service {
    let pool: PostgresPool
    let logger: Logger

    public init(pool: PostgresPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    public func run() async throws {
        var backoff = Duration.milliseconds(200)
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        let size = pool.configuration.maxConnections
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let budget = try await pool.withConnection { connection in
                    let row = try connection.query(
                        """
                        SELECT current_setting('max_connections')::int AS maximum,
                               current_setting('superuser_reserved_connections')::int AS reserved,
                               (SELECT count(*) FROM pg_stat_activity WHERE application_name = $1) AS instances
                        """, [PostgresRevocationListener.applicationName]
                    ).single()
                    return ConnectionBudget(
                        pool: size, maximum: Int(try row.int64("maximum")), reserved: Int(try row.int64("reserved")),
                        instances: Int(try row.int64("instances")))
                }
                if let warning = budget.warning {
                    logger.warning("database connection budget exceeded: \(warning)")
                } else {
                    logger.info(
                        "database connection budget",
                        metadata: [
                            "instances": "\(budget.instances)", "need": "\(budget.need)",
                            "available": "\(budget.available)", "instances_that_fit": "\(budget.instancesThatFit)",
                        ])
                }
                return
            } catch {
                let pause = backoff
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
                backoff = min(backoff * 2, .seconds(10))
            }
        }
    }
}
