import AuthPostgres
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("health and readiness")
struct HealthTests {
    func migrator() throws -> Migrator {
        Migrator(
            migrations: try Migrator.load(directory: TestDatabase.migrationsDirectory), logger: TestDatabase.logger)
    }

    @Test("/healthz is 200 whatever the database does; /readyz is 200 on a migrated database")
    func ready() async throws {
        let stack = try await TestStack()
        try await withServer(stack: stack, readiness: PostgresReadiness(pool: stack.pool, migrator: try migrator())) {
            client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(health.json["status"] as? String == "ok")
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(ready.json["status"] as? String == "ready")
        }
    }

    @Test("/readyz is 503 not_ready, with the reason, when the database is away or not migrated")
    func notReady() async throws {
        let away = try await TestStack(databaseURL: TestStack.unreachableDatabase)
        try await withServer(stack: away, readiness: PostgresReadiness(pool: away.pool, migrator: try migrator())) {
            client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .serviceUnavailable)
            #expect(response.errorCode == "not_ready")
            #expect(response.bodyText.contains("database unreachable"))
            #expect(response.headers[.retryAfter] == "1")
        }
        let empty = try await TestStack(databaseURL: try TestDatabase.createDatabase())
        try await withServer(stack: empty, readiness: PostgresReadiness(pool: empty.pool, migrator: try migrator())) {
            client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .serviceUnavailable)
            #expect(response.bodyText.contains("migrations pending: 0001_users.sql"))
        }
    }
}
