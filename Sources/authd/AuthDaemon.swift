import ArgumentParser
import AuthConfig
import AuthCore
import AuthTelemetry
import Foundation
import Logging

/// `authd --config config/authd.yaml`: serves the HTTP API until SIGTERM or SIGINT.
@main
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
