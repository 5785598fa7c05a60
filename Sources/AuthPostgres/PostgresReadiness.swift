public import AuthCore

/// Ready when the database answers, every migration this build knows is applied and the
/// revocation listener is connected.
public struct PostgresReadiness: ReadinessProbe {
    let pool: PostgresPool
    let migrator: Migrator
    let revocations: RevocationState?

    public init(pool: PostgresPool, migrator: Migrator, revocations: RevocationState? = nil) {
        self.pool = pool
        self.migrator = migrator
        self.revocations = revocations
    }

    public func problems() async -> [String] {
        let listener = revocations?.problem(now: UnixTime.now())
        return [await databaseProblem(), listener].compactMap { $0 }
    }

    private func databaseProblem() async -> String? {
        let migrator = self.migrator
        do {
            let pending = try await pool.withConnection { try migrator.pendingMigrations(on: $0) }
            return pending.isEmpty ? nil : "migrations pending: " + pending.map(\.name).joined(separator: ", ")
        } catch let error as PostgresError where error.isUnavailable {
            return "database unreachable"
        } catch let error as MigrationError {
            return error.message
        } catch {
            return "database check failed"
        }
    }
}
