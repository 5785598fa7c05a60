import ArgumentParser
import AuthConfig
import AuthCore
import AuthTelemetry
import Foundation
import Logging

/// The entry point: the command runs on the concurrency pool while the main thread waits for it.
/// An `async` main would hand the main thread to libdispatch's main queue for good
/// (`dispatch_main`), which authd never uses and under which valgrind 3.19 cannot run a Swift
/// program (`make bench` counts instructions per request under callgrind).
@main
enum AuthDaemonMain {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        // Detached: a task created here would inherit the main actor, whose thread is parked below.
        Task.detached {
            await AuthDaemon.main()
            finished.signal()
        }
        finished.wait()
    }
}

/// `authd --config config/authd.yaml`: serves the HTTP API until SIGTERM or SIGINT.
struct AuthDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authd",
        abstract: "Authentication daemon: HTTP JSON API backed by PostgreSQL.",
        discussion: """
            Settings come, in order of precedence, from --set key=value, AUTHD_* environment variables \
            (http.addr is AUTHD_HTTP_ADDR), the YAML file, and each setting's default. Secrets \
            (jwt.secret, mfa.key, database.url, line.clients) are refused on the command line.
            """)

    @Option(name: .long, help: "Path to the YAML configuration file.")
    var config: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "A setting, as in the YAML file: section.key=value (lists comma-separated). Repeatable.",
            valueName: "key=value"))
    var settings: [String] = []

    @Flag(name: .long, help: "Validate the configuration and stack files, then exit (0 when valid).")
    var checkConfig = false

    /// sysexits.h EX_CONFIG: the configuration is unusable; restarting will not help.
    static let configurationExitCode: Int32 = 78

    func run() async throws {
        let settings: Settings
        do {
            settings = try await Settings.load(configFile: config, commandLine: try CommandLineSettings(self.settings))
        } catch let error as ConfigurationError {
            FileHandleOutput.standardError("authd: configuration error: \(error)\n")
            throw ExitCode(Self.configurationExitCode)
        }
        Telemetry.bootstrapLogging(
            level: Logger.Level(rawValue: settings.logLevel) ?? .info,
            format: Telemetry.LogFormat(rawValue: settings.logFormat) ?? .json,
            metadataProvider: RequestScope.metadataProvider)
        defer { Telemetry.flushLogs() }
        do {
            try await Daemon(settings: settings, logger: Logger(label: "authd"), checkOnly: checkConfig).run()
        } catch let error as StackConfigError {
            FileHandleOutput.standardError("authd: stack error: \(error)\n")
            throw ExitCode(Self.configurationExitCode)
        } catch let error as ConfigurationError {
            FileHandleOutput.standardError("authd: configuration error: \(error)\n")
            throw ExitCode(Self.configurationExitCode)
        }
    }
}

enum FileHandleOutput {
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
