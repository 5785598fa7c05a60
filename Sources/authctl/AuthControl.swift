import ArgumentParser
import AuthConfig
import AuthPostgres
import Logging

/// `authctl`: administration from the command line.
@main
struct AuthControl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authctl",
        abstract: "Administer authd and its database.",
        subcommands: [Migrate.self])
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations (safe to run from several hosts at once).")

    @Option(name: .long, help: "Path to the YAML configuration file.")
    var config: String?

    @Option(name: .long, help: "Directory of NNNN_name.sql files (default: database.migrations_path).")
    var migrations: String?

    func run() async throws {
        let database = try Settings.Database(await Settings.reader(configFile: config))
        let logger = Logger(label: "authctl")
        let migrator = Migrator(
            migrations: try Migrator.load(directory: migrations ?? database.migrationsPath), logger: logger)
        let connection = try PostgresConnection(connectionString: database.url)
        let applied = try migrator.migrate(on: connection)
        print(applied.isEmpty ? "schema is current" : "applied \(applied.map(String.init).joined(separator: ", "))")
    }
}
