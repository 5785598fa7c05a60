public import AuthCore

/// Ready when the database answers and every migration this build knows is applied.
public struct PostgresReadiness: ReadinessProbe {
    let pool: PostgresPool
    let migrator: Migrator

    public init(pool: PostgresPool, migrator: Migrator) {
        self.pool = pool
        self.migrator = migrator
    }

    public func problems() async -> [String] {
        let migrator = self.migrator
        do {
            let pending = try await pool.withConnection { try migrator.pendingMigrations(on: $0) }
            return pending.isEmpty ? [] : ["migrations pending: " + pending.map(\.name).joined(separator: ", ")]
        } catch let error as PostgresError where error.isUnavailable {
            return ["database unreachable"]
        } catch let error as MigrationError {
            return [error.message]
        } catch {
            return ["database check failed"]
        }
    }
}
