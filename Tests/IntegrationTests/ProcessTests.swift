import AuthPostgres
import AuthTestSupport
import Foundation
import Testing

/// The built executables, next to this test bundle.
func executable(_ name: String) -> URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
}

struct Run {
    let status: Int32
    let output: String
}

func run(_ name: String, _ arguments: [String], environment: [String: String]) async throws -> Run {
    let process = Process()
    process.executableURL = executable(name)
    process.arguments = arguments
    process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = try await Task.detached { try pipe.fileHandleForReading.readToEnd() ?? Data() }.value
    process.waitUntilExit()
    return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
}

@Suite("the executables")
struct ProcessTests {
    @Test("two `authctl migrate` processes started together apply each migration exactly once")
    func concurrentMigrateProcesses() async throws {
        let url = try TestDatabase.createDatabase()
        let environment = ["AUTHD_DATABASE_URL": url]
        async let first = run(
            "authctl", ["migrate", "--migrations", TestDatabase.migrationsDirectory], environment: environment)
        async let second = run(
            "authctl", ["migrate", "--migrations", TestDatabase.migrationsDirectory], environment: environment)
        let runs = try await [first, second]
        #expect(runs.allSatisfy { $0.status == 0 }, "\(runs.map(\.output))")
        #expect(runs.filter { $0.output.contains("applied") }.count == 1, "\(runs.map(\.output))")
        #expect(runs.filter { $0.output.contains("schema is current") }.count == 1)
        let rows = try PostgresConnection(connectionString: url).query("SELECT version FROM schema_migrations").rows
        let shipped = try Migrator.load(directory: TestDatabase.migrationsDirectory)
        #expect(rows.count == shipped.count)
    }

    @Test("authd refuses to start with a weak secret: exit 78 and a message without the secret")
    func weakSecretExit() async throws {
        let result = try await run(
            "authd", [], environment: ["AUTHD_DATABASE_URL": "host=127.0.0.1", "AUTHD_JWT_SECRET": "tooshort-hunter2"])
        #expect(result.status == 78)
        #expect(result.output.contains("JWT secret"))
        #expect(!result.output.contains("hunter2"))
    }

    @Test("authctl migrate reports an unreachable database with a non-zero exit")
    func unreachable() async throws {
        let result = try await run(
            "authctl", ["migrate", "--migrations", TestDatabase.migrationsDirectory],
            environment: ["AUTHD_DATABASE_URL": "host=127.0.0.1 port=1 password=pw-should-not-leak connect_timeout=2"])
        #expect(result.status != 0)
        #expect(!result.output.contains("pw-should-not-leak"))
    }
}

@Suite("authd process lifecycle")
struct LifecycleTests {
    @Test("authd serves, then exits 0 promptly on SIGTERM")
    func sigterm() async throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("authd-it-\(UUID())").path
        try "q7Vn2xK9pL4mR8sT1wY6zA3bC5dE0fGhJk".write(toFile: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: secret) }
        let process = Process()
        process.executableURL = executable("authd")
        process.environment = [
            "PATH": "/usr/bin:/bin", "AUTHD_DATABASE_URL": try await TestDatabase.migratedURL(),
            "AUTHD_JWT_SECRET_FILE": secret, "AUTHD_HTTP_ADDR": "127.0.0.1:0", "AUTHD_LINE_ADDR": "127.0.0.1:0",
            "AUTHD_DATABASE_MIGRATIONS_PATH": TestDatabase.migrationsDirectory,
        ]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        var log = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while !log.contains("HTTP API listening"), ContinuousClock.now < deadline, process.isRunning {
            log += String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
        }
        #expect(log.contains("HTTP API listening"), "\(log)")
        let signalled = ContinuousClock.now
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(ContinuousClock.now - signalled < .seconds(5))
    }
}
