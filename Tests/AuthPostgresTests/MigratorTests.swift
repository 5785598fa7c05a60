import AuthPostgres
import AuthTestSupport
import Foundation
import Testing

@Suite("migrations")
struct MigratorTests {
    func migrator(_ migrations: [Migration]? = nil) throws -> Migrator {
        Migrator(
            migrations: try migrations ?? Migrator.load(directory: TestDatabase.migrationsDirectory),
            logger: TestDatabase.logger)
    }

    func count(_ url: String) throws -> Int64 {
        try PostgresConnection(connectionString: url).query("SELECT count(*) AS c FROM schema_migrations").single()
            .int64("c")
    }

    @Test("the shipped migrations load in order with checksums")
    func load() throws {
        let migrations = try Migrator.load(directory: TestDatabase.migrationsDirectory)
        #expect(migrations.first?.version == 1)
        #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
        #expect(migrations.allSatisfy { $0.checksum.count == 64 })
    }

    @Test("eight migrators racing on a fresh database apply each file exactly once")
    func concurrent() async throws {
        let url = try TestDatabase.createDatabase()
        let migrator = try migrator()
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let connection = try PostgresConnection(connectionString: url)
                    return try migrator.migrate(on: connection)
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == migrator.migrations.map(\.version))
        #expect(try count(url) == Int64(migrator.migrations.count))
        #expect(try migrator.migrate(on: PostgresConnection(connectionString: url)).isEmpty)
    }

    @Test("a changed applied migration stops the migrator")
    func changedChecksum() async throws {
        let url = try TestDatabase.createDatabase()
        let original = try Migration(version: 1, name: "0001_t.sql", sql: "CREATE TABLE t (a int)")
        try migrator([original]).migrate(on: PostgresConnection(connectionString: url))
        let edited = try Migration(version: 1, name: "0001_t.sql", sql: "CREATE TABLE t (a int, b int)")
        #expect(throws: MigrationError.self) {
            try migrator([edited]).migrate(on: PostgresConnection(connectionString: url))
        }
        let unknown = try Migration(version: 2, name: "0002_u.sql", sql: "SELECT 1")
        try migrator([original, unknown]).migrate(on: PostgresConnection(connectionString: url))
        #expect(throws: MigrationError.self) {
            try migrator([original]).migrate(on: PostgresConnection(connectionString: url))
        }
    }

    @Test("a failing migration leaves nothing behind")
    func failingMigration() async throws {
        let url = try TestDatabase.createDatabase()
        let broken = try Migration(
            version: 1, name: "0001_broken.sql", sql: "CREATE TABLE half (a int); SELECT * FROM missing;")
        #expect(throws: MigrationError.self) {
            try migrator([broken]).migrate(on: PostgresConnection(connectionString: url))
        }
        let connection = try PostgresConnection(connectionString: url)
        #expect(try connection.query("SELECT to_regclass('half') IS NULL AS gone").single().bool("gone"))
        #expect(try count(url) == 0)
    }

    @Test("0003 moves each existing user's single role into user_roles, creating roles it did not know")
    func singleRoleKept() throws {
        let url = try TestDatabase.createDatabase()
        let all = try Migrator.load(directory: TestDatabase.migrationsDirectory)
        let connection = try PostgresConnection(connectionString: url)
        try migrator(all.filter { $0.version < 3 }).migrate(on: connection)
        for (name, role) in [("ann", "user"), ("bob", "admin"), ("cyd", "editor")] {
            try connection.query(
                "INSERT INTO users (username, email, password_hash, role) VALUES ($1, $2, '$scrypt$x', $3)",
                [name, "\(name)@example.com", role])
        }
        try migrator(all).migrate(on: connection)
        let rows = try connection.query(
            "SELECT u.username, r.role FROM users u JOIN user_roles r ON r.user_id = u.id ORDER BY u.username")
        #expect(
            try rows.rows.map { "\(try $0.string("username")):\(try $0.string("role"))" } == [
                "ann:user", "bob:admin", "cyd:editor",
            ])
        #expect(try connection.query("SELECT 1 FROM roles WHERE name = 'editor' AND NOT builtin").rows.count == 1)
        #expect(
            try connection.query(
                "SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'role'"
            ).rows.isEmpty)
    }
}
