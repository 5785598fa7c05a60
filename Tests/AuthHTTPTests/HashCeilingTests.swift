import AuthCore
import AuthCrypto
import AuthPostgres
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Security hardening, round 2, finding 5: a stored hash cannot make a login a memory or CPU
/// denial of service. Over HTTP against PostgreSQL: the import route refuses such rows, and a
/// row written into the database by hand is refused at login without being computed.
@Suite("password hashes over the cost ceiling: refused at import and at login")
struct HashCeilingTests {
    static let salt = "c2FsdHNhbHRzYWx0c2FsdA"
    static let hash = "aGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGg"

    @Test(
        "import: authd's own scrypt at 64 GiB, werkzeug's at 4 GiB and pbkdf2 at 10 million iterations are refused rows (hash_over_ceiling); a bcrypt row is imported"
    )
    func importRefusesCostlyHashes() async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let prefix = TestDatabase.uniqueName("ceil")
        let hashes = [
            "$scrypt$ln=24,r=32,p=1$\(Self.salt)$\(Self.hash)",
            "scrypt:1048576:32:1$salt$" + String(repeating: "ab", count: 64),
            "pbkdf2:sha256:10000000$salt$" + String(repeating: "ab", count: 32),
            ImportRouteTests.bcrypt,
        ]
        let body =
            hashes.enumerated().map { index, hash in
                #"{"username":"\#(prefix)-\#(index)","email":"\#(prefix)-\#(index)@example.com","password_hash":"\#(hash)"}"#
            }.joined(separator: "\n") + "\n"
        try await withServer(stack: stack) { client in
            var headers = ImportRouteTests.ndjson
            headers[.authorization] = "Bearer \(adminToken)"
            let response = try await client.execute(
                uri: "/admin/users/import", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(response.status == .ok, "\(response.bodyText)")
            #expect(response.json["imported"] as? Int == 1, "\(response.bodyText)")
            let notices = response.json["notices"] as? [[String: Any]] ?? []
            #expect(notices.compactMap { $0["line"] as? Int } == [1, 2, 3])
            #expect(notices.allSatisfy { $0["code"] as? String == "hash_over_ceiling" }, "\(notices)")
            #expect(
                (notices.first?["reason"] as? String)?.contains("MiB") == true,
                "the reason says what is over: \(notices.first ?? [:])")
            #expect(try await stack.users.find(username: "\(prefix)-0") == nil)
            #expect(try await stack.users.find(username: "\(prefix)-3") != nil)
        }
        await stack.shutdown()
    }

    @Test(
        "login: a hash written by hand in SQL with scrypt at 256 MiB is refused like a wrong password, the right password too"
    )
    func loginRefusesCostlyStoredHash() async throws {
        let stack = try await TestStack()
        let (user, _) = try await stack.account()
        let parameters = ScryptParameters(logN: 18, r: 8, p: 1)
        let salt = Array("saltsaltsaltsalt".utf8)
        let derived = try Scrypt.derive(
            password: Array(TestStack.password.utf8), salt: salt, parameters: parameters, length: 32)
        let costly = PHCString(parameters: parameters, salt: salt, hash: derived).description
        try PostgresConnection(connectionString: try await TestDatabase.migratedURL()).query(
            "UPDATE users SET password_hash = $1 WHERE id = $2", [costly, String(user.id)])
        try await withServer(stack: stack) { client in
            let refused = try await client.login(user.username)
            #expect(refused.status == .unauthorized, "\(refused.status) \(refused.bodyText)")
            #expect(refused.errorCode == "invalid_credentials")
        }
        await stack.shutdown()
    }
}
