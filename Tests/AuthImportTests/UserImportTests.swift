import AuthCore
import AuthImport
import AuthPostgres
import AuthTestSupport
import CSQLite
import Foundation
import Testing

/// Imports into a real PostgreSQL: batches, idempotence, dry runs, conflicts with existing accounts,
/// roles, and the seed app's SQLite database.
@Suite("user import against PostgreSQL")
struct UserImportTests {
    static let bcrypt = ImportedHashVectors.crypt.first { $0.scheme == "bcrypt" }!.hash

    @Test(
        "10,000 CSV rows in batches of 1,000: the valid ones imported, each bad one reported; a second run changes nothing"
    )
    func tenThousand() async throws {
        let stack = try await TestStack()
        let prefix = TestDatabase.uniqueName("bulk")
        var csv = "username,email,password_hash,roles\n"
        for index in 0..<10_000 {
            switch index % 1000 {
            case 1: csv += "\(prefix)-\(index),\(prefix)-\(index)@example.com,$apr1$x$y,\n"  // unknown format
            case 2: csv += "-\(prefix)-\(index),\(prefix)-\(index)@example.com,\(Self.bcrypt),\n"  // bad username
            case 3: csv += "\(prefix)-\(index - 1003),dup-\(index)@example.com,\(Self.bcrypt),\n"  // earlier row's name
            default: csv += "\(prefix)-\(index),\(prefix)-\(index)@Example.com,\(Self.bcrypt),\n"
            }
        }
        let path = try temporary(csv)
        let options = ImportOptions(batchSize: 1000, source: "csv")
        var progress: [Int] = []
        let first = try await stack.admin.importUsers(
            try ImportSource.open(.csv, path: path).async, options: options, by: TestStack.testOperator,
            progress: { progress.append($0.imported) })
        #expect(first.read == 10_000)
        #expect(first.skipped == 29, "10 unknown formats, 10 bad names, 9 duplicates (row 3 has no earlier row)")
        #expect(
            first.skippedByCode == ["unknown_hash_format": 10, "invalid_username": 10, "duplicate_username": 9])
        #expect(first.imported == 9_971)
        #expect(progress.count >= 9 && progress == progress.sorted(), "after each batch")
        #expect(try await count(stack, prefix) == 9_971)
        #expect(first.notices.first { $0.code == .unknownHashFormat }?.line == 3, "the header is line 1")

        let second = try await stack.admin.importUsers(
            try ImportSource.open(.csv, path: path).async, options: options, by: TestStack.testOperator)
        #expect(second.imported == 0 && second.unchanged == 9_971 && second.skipped == 29)
        #expect(try await count(stack, prefix) == 9_971)
        _ = try await stack.service.login(username: "\(prefix)-5", password: "correct horse")
        await stack.shutdown()
    }

    @Test(
        "a dry run reports what a real run would do and writes nothing, not even its roles (one batch, or three)",
        arguments: [1000, 2])
    func dryRun(batchSize: Int) async throws {
        let stack = try await TestStack()
        let prefix = TestDatabase.uniqueName("dry")
        let rows = (0..<5).map {
            ImportRecord(
                line: $0 + 1, username: "\(prefix)\($0)", email: "\(prefix)\($0)@example.com",
                passwordHash: Self.bcrypt, roles: ["\(prefix)-role"])
        }
        let report = try await stack.admin.importUsers(
            items(rows), options: ImportOptions(dryRun: true, createRoles: true, batchSize: batchSize, source: "test"),
            by: TestStack.testOperator)
        #expect(report.imported == 5 && report.createdRoles == ["\(prefix)-role"])
        #expect(try await count(stack, prefix) == 0)
        #expect(try await stack.directory.role(named: "\(prefix)-role") == nil)
        await stack.shutdown()
    }

    @Test("batches written two at a time: a role created by one batch is there for the next; outcomes in file order")
    func concurrentBatches() async throws {
        let stack = try await TestStack()
        let prefix = TestDatabase.uniqueName("cb")
        let (existing, _) = try await stack.account()
        var rows = (0..<40).map {
            ImportRecord(
                line: $0 + 1, username: "\(prefix)\($0)", email: "\(prefix)\($0)@example.com",
                passwordHash: Self.bcrypt, roles: $0 >= 10 ? ["\(prefix)-r\($0 / 10)"] : [])
        }
        rows[33].email = existing.email
        var notices: [Int] = []
        let report = try await stack.admin.importUsers(
            items(rows), options: ImportOptions(createRoles: true, batchSize: 3, concurrency: 2, source: "test"),
            by: TestStack.testOperator, notice: { notices.append($0.line) })
        #expect(report.imported == 39 && report.skipped == 1 && notices == [34])
        #expect(report.createdRoles == ["\(prefix)-r1", "\(prefix)-r2", "\(prefix)-r3"])
        #expect(try await count(stack, prefix) == 39)
        #expect(try await stack.users.find(username: "\(prefix)25")?.roles == ["\(prefix)-r2", "user"])
        await stack.shutdown()
    }

    @Test(
        "an existing account's username with another e-mail, or its e-mail under another name, is skipped; roles must exist"
    )
    func conflicts() async throws {
        let stack = try await TestStack()
        let (existing, _) = try await stack.account()
        let (other, _) = try await stack.account()
        let name = TestDatabase.uniqueName("conf")
        let rows = [
            ImportRecord(
                line: 1, username: other.username.uppercased(), email: "other-\(name)@example.com",
                passwordHash: Self.bcrypt),
            ImportRecord(line: 2, username: name, email: other.email, passwordHash: Self.bcrypt),
            ImportRecord(line: 3, username: existing.username, email: existing.email, passwordHash: Self.bcrypt),
            ImportRecord(
                line: 4, username: name + "r", email: "\(name)r@example.com", passwordHash: Self.bcrypt,
                roles: ["no-such-role-\(name)"]),
            ImportRecord(
                line: 5, username: name + "a", email: "\(name)a@example.com", passwordHash: Self.bcrypt,
                roles: [Role.admin], disabled: true, mfa: true),
        ]
        let report = try await stack.admin.importUsers(
            items(rows), options: ImportOptions(source: "test-\(name)"), by: TestStack.testOperator)
        #expect(report.notices.map(\.code) == [.unknownRole, .duplicateUsername, .duplicateEmail, .mfaWithoutSecret])
        #expect(report.notices.map(\.line) == [4, 1, 2, 5])
        #expect(report.imported == 1 && report.unchanged == 1 && report.warnings == 1)
        let admin = try #require(try await stack.users.find(username: name + "a"))
        #expect(admin.roles == [Role.admin, Role.user] && admin.disabled && !admin.mfaEnabled)
        #expect(try await stack.users.find(id: existing.id)?.passwordHash == existing.passwordHash, "never replaced")
        // Other suites write to the same audit trail meanwhile: this import's row is found by its source.
        let audit = try await stack.directory.auditEntries(before: nil, limit: 1000)
        #expect(
            audit.filter { $0.details["source"] == "test-\(name)" }.map { [$0.action, $0.details["imported"]] }
                == [["user.import", "1"]])
        await stack.shutdown()
    }

    @Test("the seed app's users.db: werkzeug hashes, its role column, mfa_enabled reported; then a login with each")
    func flask() async throws {
        let stack = try await TestStack()
        let name = TestDatabase.uniqueName("fl")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID().uuidString).db").path
        var rows = [
            "(1, '\(name)a', '\(name)a@example.com', '\(ImportedHashVectors.werkzeug[1])', 'user', 0)",
            "(2, '\(name)b', '\(name)B@example.com', '\(ImportedHashVectors.werkzeug[3])', 'admin', 1)",
            "(3, '\(name)c', '\(name)c@example.com', '\(ImportedHashVectors.werkzeug[0])', 'editor-\(name)', 0)",
        ]
        rows.append("(4, 'x', 'x@example.com', 'plain text', NULL, 0)")
        try sqlite(
            path,
            """
            CREATE TABLE user (id INTEGER PRIMARY KEY, username VARCHAR(100) UNIQUE NOT NULL,
                email VARCHAR(100) UNIQUE NOT NULL, password VARCHAR(100) NOT NULL, role VARCHAR(50),
                mfa_enabled BOOLEAN);
            INSERT INTO user VALUES \(rows.joined(separator: ", "));
            """)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let report = try await stack.admin.importUsers(
            try ImportSource.open(.flask, path: path).async, options: ImportOptions(source: "flask"),
            by: TestStack.testOperator)
        #expect(report.imported == 2 && report.skippedByCode == ["unknown_role": 1, "invalid_username": 1])
        #expect(report.notices.contains { $0.code == .mfaWithoutSecret && $0.line == 2 })
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "opened read-only")
        let again = try await stack.admin.importUsers(
            try ImportSource.open(.flask, path: path).async, options: ImportOptions(createRoles: true, source: "flask"),
            by: TestStack.testOperator)
        #expect(again.imported == 1 && again.unchanged == 2 && again.createdRoles == ["editor-\(name)"])
        #expect(try await stack.users.find(username: "\(name)b")?.roles == [Role.admin, Role.user])
        for user in ["a", "b", "c"] {
            _ = try await stack.service.login(username: name + user, password: "correct horse battery")
            #expect(try await stack.users.find(username: name + user)?.passwordHash.hasPrefix("$scrypt$") == true)
        }
        await stack.shutdown()
    }

    @Test("a token without users:write is refused before anything is read")
    func permissions() async throws {
        let stack = try await TestStack()
        let (_, token) = try await stack.account()
        let actor = try stack.service.tokens.actor(accessToken: token, source: "test")
        await #expect(throws: AuthError.self) {
            _ = try await stack.admin.importUsers(
                items([]), options: ImportOptions(source: "test"), by: actor)
        }
        await stack.shutdown()
    }

    @Test("what is left to rehash: listings by scheme or 'imported', the census's counts, both falling at a login")
    func remainingImportedHashes() async throws {
        let stack = try await TestStack(databaseURL: try TestDatabase.freshMigratedURL())
        let native = try await stack.account().user
        let werkzeug = TestDatabase.uniqueName("wz")
        let bcrypt = TestDatabase.uniqueName("bc")
        for (name, hash) in [(werkzeug, ImportedHashVectors.werkzeug[1]), (bcrypt, Self.bcrypt)] {
            _ = try await stack.users.create(
                NewUser(username: name, email: "\(name)@example.com", passwordHash: hash, roles: [Role.user]))
        }
        func listed(_ scheme: String) async throws -> [String] {
            try await stack.admin.users(
                matching: UserFilter(hashScheme: scheme), cursor: nil, limit: nil, by: TestStack.testOperator
            ).items.map(\.username)
        }
        #expect(try await listed("imported") == [werkzeug, bcrypt])
        #expect(try await listed("bcrypt") == [bcrypt])
        #expect(try await listed("scrypt") == [native.username])
        #expect(try await listed("argon2").isEmpty)
        await #expect(throws: AuthError.self) { try await listed("md5") }
        #expect(try await stack.postgres!.directory.importedHashCounts() == ["werkzeug-pbkdf2": 1, "bcrypt": 1])

        _ = try await stack.service.login(username: bcrypt, password: "correct horse")
        #expect(try await stack.users.find(username: bcrypt)?.passwordScheme == "scrypt")
        #expect(try await listed("imported") == [werkzeug])
        #expect(try await stack.postgres!.directory.importedHashCounts() == ["werkzeug-pbkdf2": 1])
        await stack.shutdown()
    }

    // MARK: Helpers

    private func items(_ records: [ImportRecord]) -> AsyncStream<ImportItem> {
        AsyncStream { continuation in
            for record in records { continuation.yield(.success(record)) }
            continuation.finish()
        }
    }

    private func count(_ stack: TestStack, _ prefix: String) async throws -> Int64 {
        try await stack.pool.withConnection { connection in
            try connection.query("SELECT count(*) AS n FROM users WHERE username LIKE $1", [prefix + "%"]).single()
                .int64("n")
        }
    }

    private func sqlite(_ path: String, _ sql: String) throws {
        var database: OpaquePointer?
        #expect(sqlite3_open(path, &database) == SQLITE_OK)
        defer { sqlite3_close(database) }
        #expect(sqlite3_exec(database, sql, nil, nil, nil) == SQLITE_OK)
    }
}
