import ArgumentParser
import AuthConfig
import AuthPostgres
import Foundation
import Logging

/// `authctl`: administration from the command line.
@main
struct AuthControl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authctl",
        abstract: "Administer authd and its database; ask a running authd over the line protocol.",
        discussion: "Client commands exit 0 for OK, 1 for NO, 2 for TEMP or unreachable, 3 for BAD or usage errors.",
        subcommands: [
            Migrate.self, UserCommand.self, RoleCommand.self, Ping.self, Verify.self, HasRole.self, HasPerm.self,
            Auth.self, Pam.self, CheckpasswordCommand.self, SquidBasic.self, SquidACL.self, KeyCommand.self,
            OAuthClientCommand.self, MailCommand.self,
        ])

    /// Like ArgumentParser's, but usage errors exit 3, the client commands' code for BAD.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                ClientExit.printError(fullMessage(for: error))
                Foundation.exit(3)
            }
            exit(withError: error)
        }
    }
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
