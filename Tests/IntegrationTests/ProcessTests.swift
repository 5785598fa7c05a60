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
