import AuthConfig
import AuthCrypto
import Foundation
import Testing

@Suite("authd --set key=value: above the environment and the file; no secrets, no unknown keys")
struct CommandLineSettingsTests {
    static let base = [
        "AUTHD_DATABASE_URL": "host=127.0.0.1 dbname=authd", "AUTHD_JWT_SECRET": SettingsTests.goodSecret,
    ]

    static func load(_ arguments: [String], environment: [String: String] = base, file: String? = nil)
        async throws -> Settings
    {
        try await Settings.load(
            configFile: file, environment: environment, commandLine: try CommandLineSettings(arguments))
    }

    static func refusal(_ arguments: [String]) async -> String {
        do {
            _ = try await load(arguments)
            return "loaded"
        } catch let error as ConfigurationError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("precedence: the command line over the environment over the file over the default")
    func precedence() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("authd-cli-\(UUID()).yaml").path
        try "log:\n  level: warning\n  format: text\nhttp:\n  addr: 127.0.0.1:7001\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        var environment = Self.base
        environment["AUTHD_LOG_LEVEL"] = "error"
        environment["AUTHD_HTTP_ADDR"] = "127.0.0.1:7002"

        let fromFile = try await Self.load([], environment: Self.base, file: file)
        #expect(fromFile.logLevel == "warning" && fromFile.http.port == 7001 && fromFile.logFormat == "text")
        let fromEnvironment = try await Self.load([], environment: environment, file: file)
        #expect(fromEnvironment.logLevel == "error" && fromEnvironment.http.port == 7002)
        let fromArguments = try await Self.load(
            ["log.level=debug", "http.addr=127.0.0.1:7003", "http.max_body_bytes=2048", "oauth.scopes=profile,email"],
            environment: environment, file: file)
        #expect(fromArguments.logLevel == "debug" && fromArguments.http.port == 7003)
        #expect(fromArguments.http.frontEnd.maximumBodySize == 2048)
        #expect(fromArguments.oauthScopes == ["profile", "email"])
        #expect(fromArguments.logFormat == "text", "a key not given on the command line still comes from the file")
        let nested = try await Self.load(["password.scrypt.ln=14", "limits.attempts_burst=0"])
        #expect(nested.passwords.scrypt.logN == 14 && nested.attemptLimit == nil)
    }

    @Test("a value the key refuses is the key's own error, as from the file")
    func badValue() async {
        #expect(await Self.refusal(["log.level=loud"]).hasPrefix("log.level must be"))
        #expect(await Self.refusal(["jwt.leeway_seconds=-1"]).contains("jwt.leeway_seconds"))
    }

    @Test(
        "refused: secrets (ps shows them to every local user), keys authd does not read, and anything not key=value",
        arguments: [
            ("jwt.secret=\(SettingsTests.goodSecret)", "a secret does not go on the command line"),
            ("mfa.key=abc", "a secret does not go on the command line"),
            ("database.url=host=db", "a secret does not go on the command line"),
            ("line.clients=svc:secret", "a secret does not go on the command line"),
            ("http.adr=127.0.0.1:1", "authd does not read this key"),
            ("dovecot_auth.services=imap", "authd does not read this key"),
            ("log.level", "takes key=value"),
            (SettingsTests.goodSecret, "takes key=value"),
            ("LOG.LEVEL=debug", "not a configuration key"),
            ("log..level=debug", "not a configuration key"),
            ("level=debug", "not a configuration key"),
        ])
    func refused(_ argument: String, _ expected: String) async {
        let message = await Self.refusal([argument])
        #expect(message.contains(expected), "\(argument): \(message)")
        #expect(!message.contains(SettingsTests.goodSecret))
    }

    @Test("a secret's file may be named on the command line: it is a path, not the secret")
    func secretFiles() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("authd-cli-\(UUID()).key").path
        let secret = Array("k3Jw8vQ2nZ5xT9pL1mR6sY4bC7dF0gHa".utf8)
        try Data(secret).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        var environment = Self.base
        environment["AUTHD_JWT_SECRET"] = nil
        let settings = try await Self.load(["jwt.secret_file=\(file)"], environment: environment)
        #expect(settings.tokens.keyring.signingKey.id == (try JWTKey.derivedID(for: secret)))
    }
}
