public import Configuration
import Synchronization

/// Settings given on authd's command line as `--set key=value` (repeatable): the same keys as
/// config/authd.yaml, above the environment and the file. Secrets are refused here (every local
/// user can read a process's arguments), and so is a key authd does not read, so a typo stops
/// start-up instead of being ignored.
public struct CommandLineSettings: Sendable {
    public let values: [(key: String, value: String)]

    /// Keys whose values are secrets: set them in the environment or a file.
    static let secretKeys: Set<String> = [
        "jwt.secret", "mfa.key", "database.url", "database.listen_url", "line.clients", "radius.clients",
    ]

    /// No settings on the command line.
    public static let none = CommandLineSettings(values: [])

    private init(values: [(key: String, value: String)]) { self.values = values }

    public init(_ arguments: [String]) throws {
        values = try arguments.map { argument in
            guard let equals = argument.firstIndex(of: "=") else {
                throw ConfigurationError(
                    "--set takes key=value (e.g. --set log.level=debug); an argument without = was given")
            }
            let key = String(argument[..<equals])
            let value = String(argument[argument.index(after: equals)...])
            let parts = key.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 2,
                parts.allSatisfy({ part in
                    !part.isEmpty
                        && part.utf8.allSatisfy {
                            (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F
                        }
                })
            else {
                throw ConfigurationError(
                    "--set \(key.prefix(64)): not a configuration key (section.key, as in authd.yaml)")
            }
            guard !Self.isSecret(key) else {
                throw ConfigurationError(
                    "--set \(key): a secret does not go on the command line (every local user can read it); "
                        + "use the environment (AUTHD_…) or the file")
            }
            return (key, value)
        }
    }

    static func isSecret(_ key: String) -> Bool {
        let name = key.split(separator: ".").last ?? ""
        return secretKeys.contains(key)
            || (name.contains("secret") && !name.hasSuffix("_file") && !name.hasSuffix("_files"))
    }

    /// The values as swift-configuration's command-line provider reads them: `--section-key=value`
    /// (its encoding of the key `section.key`; lists comma-separated).
    var provider: CommandLineArgumentsProvider {
        CommandLineArgumentsProvider(
            arguments: ["authd"] + values.map { "--" + $0.key.replacing(".", with: "-") + "=" + $0.value })
    }

    /// Refuses a key no setting read: unknown, or of a part that is off.
    func checkRead(_ read: Set<String>) throws {
        for (key, _) in values where !read.contains(key) {
            throw ConfigurationError("--set \(key): authd does not read this key (unknown, or its part is off)")
        }
    }
}

/// Every key a `ConfigReader` was asked for, dotted (`http.addr`).
public final class ConfigKeysRead: AccessReporter {
    private let read = Mutex<Set<String>>([])

    public init() {}

    public var keys: Set<String> { read.withLock { $0 } }

    public func report(_ event: AccessEvent) {
        _ = read.withLock { $0.insert(event.metadata.key.components.joined(separator: ".")) }
    }
}
