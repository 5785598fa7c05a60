import AuthCrypto
public import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One `sql/NNNN_name.sql` file.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the file, hex; an applied migration whose file changed stops start-up.
    public let checksum: String

    public init(version: Int, name: String, sql: String) throws {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = try Digest.sha256Hex(Array(sql.utf8))
    }
}

public struct MigrationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Applies migrations in version order, each exactly once, however many instances start at once:
/// all work happens under one `pg_advisory_lock`, every file in its own transaction together with
/// its row in `schema_migrations`.
public struct Migrator: Sendable {
    /// "authd-mg" in ASCII: the advisory lock key all authd instances share.
    static let lockKey = "7022647185660276071"

    public let migrations: [Migration]
    let logger: Logger

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Reads every `NNNN_name.sql` in `directory`; other files are ignored, duplicate versions refused.
    public static func load(directory: String) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw MigrationError(message: "cannot read migrations directory \(directory)")
        }
        var migrations: [Int: Migration] = [:]
        for name in names where name.hasSuffix(".sql") {
            guard let underscore = name.firstIndex(of: "_"), let version = Int(name[..<underscore]),
                name[..<underscore].count == 4
            else { continue }
            guard let data = FileManager.default.contents(atPath: directory + "/" + name),
                let sql = String(data: data, encoding: .utf8)
            else { throw MigrationError(message: "cannot read migration \(name)") }
            guard migrations[version] == nil else {
                throw MigrationError(message: "two migrations have version \(version)")
            }
            migrations[version] = try Migration(version: version, name: name, sql: sql)
        }
        return migrations.values.sorted { $0.version < $1.version }
    }

    /// Applies what is pending and returns the versions it applied (empty when up to date).
    @discardableResult
    public func migrate(on connection: PostgresConnection) throws -> [Int] {
        try connection.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
        try connection.executeScript(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let pending = try pendingMigrations(on: connection)
        for migration in pending {
            try apply(migration, on: connection)
        }
        return pending.map(\.version)
    }

    /// Migrations not yet applied; throws when an applied file changed or is unknown to this build.
    public func pendingMigrations(on connection: PostgresConnection) throws -> [Migration] {
        let fresh = try connection.query("SELECT to_regclass('schema_migrations') IS NULL AS fresh").single()
        if try fresh.bool("fresh") { return migrations }
        let rows = try connection.query("SELECT version, checksum FROM schema_migrations ORDER BY version").rows
        var applied: [Int: String] = [:]
        for row in rows { applied[Int(try row.int64("version"))] = try row.string("checksum") }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, checksum) in applied {
            guard let migration = known[version] else {
                throw MigrationError(message: "the database has migration \(version), which this build does not know")
            }
            guard migration.checksum == checksum else {
                throw MigrationError(message: "migration \(migration.name) changed after it was applied")
            }
        }
        return migrations.filter { applied[$0.version] == nil }
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) throws {
        try connection.executeScript("BEGIN")
        do {
            try connection.executeScript(migration.sql)
            try connection.query(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                [String(migration.version), migration.name, migration.checksum])
            try connection.executeScript("COMMIT")
        } catch {
            _ = try? connection.executeScript("ROLLBACK")
            throw MigrationError(message: "migration \(migration.name) failed: \(error)")
        }
        logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
    }
}
