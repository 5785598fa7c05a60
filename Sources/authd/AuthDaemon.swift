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
        discussion: "Settings come from the YAML file and AUTHD_* environment variables (which win).")

    @Option(name: .long, help: "Path to the YAML configuration file.")
    var config: String?

    @Flag(name: .long, help: "Validate the configuration and stack files, then exit (0 when valid).")
    var checkConfig = false

    /// sysexits.h EX_CONFIG: the configuration is unusable; restarting will not help.
    static let configurationExitCode: Int32 = 78

    func run() async throws {
        let settings: Settings
        do {
            settings = try await Settings.load(configFile: config)
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
