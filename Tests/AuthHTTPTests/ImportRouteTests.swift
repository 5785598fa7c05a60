import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP POST /admin/users/import")
struct ImportRouteTests {
    static let bcrypt = ImportedHashVectors.crypt.first { $0.scheme == "bcrypt" }!.hash
    static let ndjson: HTTPFields = [.contentType: "application/x-ndjson"]

    static func line(_ name: String, roles: [String] = []) -> String {
        #"{"username":"\#(name)","email":"\#(name)@example.com","password_hash":"\#(bcrypt)","roles":\#(roles)}"#
    }

    @Test(
        "3,000 JSON lines (far over the API's 64 KiB) stream in; bad lines are reported by number; a user's token is 403"
    )
    func streamed() async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let (_, userToken) = try await stack.account()
        let prefix = TestDatabase.uniqueName("api")
        var lines = (0..<3000).map { Self.line("\(prefix)-\($0)") }
        lines[10] = #"{"username":"\#(prefix)-x","email":"x@example.com","password_hash":"h","admin":true}"#
        lines[20] = "not json"
        let body = lines.joined(separator: "\n") + "\n\n"
        #expect(body.utf8.count > 256 * 1024)
        try await withServer(stack: stack) { client in
            var headers = Self.ndjson
            headers[.authorization] = "Bearer \(userToken)"
            let forbidden = try await client.execute(
                uri: "/admin/users/import", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(forbidden.status == .forbidden)
            headers[.authorization] = "Bearer \(adminToken)"
            let dry = try await client.execute(
                uri: "/admin/users/import?dry_run=true", method: .post, headers: headers, body: ByteBuffer(string: body)
            )
            #expect(dry.status == .ok, "\(dry.bodyText)")
            #expect(dry.json["imported"] as? Int == 2998 && dry.json["dry_run"] as? Bool == true)
            #expect(try await stack.users.find(username: "\(prefix)-1") == nil)
            let response = try await client.execute(
                uri: "/admin/users/import", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(response.status == .ok, "\(response.bodyText)")
            #expect(response.json["read"] as? Int == 3000)
            #expect(response.json["imported"] as? Int == 2998)
            let notices = response.json["notices"] as? [[String: Any]] ?? []
            #expect(notices.compactMap { $0["line"] as? Int } == [11, 21])
            #expect(notices.compactMap { $0["code"] as? String } == ["malformed_row", "malformed_row"])
            #expect(try await stack.users.find(username: "\(prefix)-2999")?.roles == [Role.user])
            let again = try await client.execute(
                uri: "/admin/users/import", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(again.json["imported"] as? Int == 0 && again.json["unchanged"] as? Int == 2998)
            let audit = try await stack.directory.auditEntries(before: nil, limit: 10)
            #expect(audit.contains { $0.action == "user.import" && $0.details["source"] == "admin-api" })
        }
    }

    @Test("a token with users:write but not admin cannot import an admin: role_not_held")
    func delegation() async throws {
        let stack = try await TestStack(backing: .memory)
        let role = TestDatabase.uniqueName("importer")
        _ = try await stack.admin.createRole(
            name: role, description: "", permissions: [Permission.usersWrite], by: TestStack.testOperator)
        let (_, token) = try await stack.account(roles: [Role.user, role])
        let name = TestDatabase.uniqueName("dl")
        let body = Self.line(name + "a", roles: [Role.admin]) + "\n" + Self.line(name + "b", roles: [role]) + "\n"
        try await withServer(stack: stack) { client in
            var headers = Self.ndjson
            headers[.authorization] = "Bearer \(token)"
            let response = try await client.execute(
                uri: "/admin/users/import", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(response.json["imported"] as? Int == 1, "\(response.bodyText)")
            #expect(response.json["skipped_by_code"] as? [String: Int] == ["role_not_held": 1])
            #expect(try await stack.users.find(username: name + "a") == nil)
        }
    }

    @Test("another media type is 415, an unknown query parameter 400, a body over the import limit 413")
    func refusals() async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, token) = try await stack.account(roles: [Role.admin])
        let body = ByteBuffer(string: String(repeating: Self.line(TestDatabase.uniqueName("big")) + "\n", count: 1))
        try await withServer(stack: stack, maximumImportSize: 100) { client in
            var headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(token)"]
            let json = try await client.execute(uri: "/admin/users/import", method: .post, headers: headers, body: body)
            #expect(json.status == .unsupportedMediaType)
            headers[.contentType] = "application/x-ndjson"
            let unknown = try await client.execute(
                uri: "/admin/users/import?force=1", method: .post, headers: headers, body: body)
            #expect(unknown.status == .badRequest && unknown.errorCode == "unknown_parameter")
            let big = try await client.execute(uri: "/admin/users/import", method: .post, headers: headers, body: body)
            #expect(big.status == .contentTooLarge && big.errorCode == "body_too_large")
        }
    }
}
