import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

extension AdminTests {
    @Test("no escalation: users:write cannot give admin or touch an admin; roles:write grants only what it holds")
    func noEscalation() async throws {
        let stack = try await TestStack(backing: .memory)
        let helpdesk = TestDatabase.uniqueName("helpdesk")
        let roleAdmin = TestDatabase.uniqueName("roleadmin")
        _ = try await stack.admin.createRole(
            name: helpdesk, description: "", permissions: [Permission.usersRead, Permission.usersWrite],
            by: TestStack.testOperator)
        _ = try await stack.admin.createRole(
            name: roleAdmin, description: "", permissions: [Permission.rolesRead, Permission.rolesWrite],
            by: TestStack.testOperator)
        let (helper, helperToken) = try await stack.account(roles: [Role.user, helpdesk])
        let (_, roleToken) = try await stack.account(roles: [Role.user, roleAdmin])
        let (boss, bossToken) = try await stack.account(roles: [Role.admin])
        let (user, _) = try await stack.account()
        try await withServer(stack: stack) { client in
            func patch(_ id: Int64, _ json: String, _ token: String) async throws -> TestResponse {
                try await client.send(.patch, "/admin/users/\(id)", token: token, json: json)
            }
            let selfPromotion = try await patch(helper.id, #"{"roles":["user","\#(helpdesk)","admin"]}"#, helperToken)
            #expect(selfPromotion.status == .forbidden)
            #expect(try await patch(user.id, #"{"roles":["user","admin"]}"#, helperToken).status == .forbidden)
            #expect(try await patch(boss.id, #"{"disabled":true}"#, helperToken).status == .forbidden)
            #expect(try await client.send(.delete, "/admin/users/\(boss.id)", token: helperToken).status == .forbidden)
            #expect(try await patch(user.id, #"{"disabled":true}"#, helperToken).status == .ok, "a plain account: fine")
            #expect(try await patch(user.id, #"{"roles":["user","\#(helpdesk)"]}"#, helperToken).status == .ok)
            #expect(try await stack.admin.user(id: boss.id, by: TestStack.testOperator).roles == [Role.admin])

            let grant = try await client.send(
                .post, "/admin/roles/user/permissions", token: roleToken, json: #"{"permission":"users:write"}"#)
            #expect(grant.status == .forbidden)
            let create = try await client.send(
                .post, "/admin/roles", token: roleToken,
                json: #"{"name":"\#(TestDatabase.uniqueName("r"))","permissions":["users:write"]}"#)
            #expect(create.status == .forbidden)
            #expect(
                !(try await stack.admin.role(named: Role.user, by: TestStack.testOperator).permissions.contains(
                    Permission.usersWrite)))
            let held = try await client.send(
                .post, "/admin/roles/\(helpdesk)/permissions", token: roleToken, json: #"{"permission":"roles:read"}"#)
            #expect(held.status == .ok, "a permission it holds")
            let admins = try await client.send(
                .patch, "/admin/users/\(user.id)", token: bossToken, json: #"{"roles":["user","admin"]}"#)
            #expect(admins.status == .ok, "admin may give admin")
        }
    }

    @Test("a role change refuses older tokens at once and new tokens carry the new roles")
    func roleChange() async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let (user, userToken) = try await stack.account()
        let role = TestDatabase.uniqueName("ops")
        try await withServer(stack: stack) { client in
            #expect(
                try await client.send(.post, "/admin/roles", token: adminToken, json: #"{"name":"\#(role)"}"#).status
                    == .created)
            let patch = try await client.send(
                .patch, "/admin/users/\(user.id)", token: adminToken, json: #"{"roles":["user","\#(role)","user"]}"#)
            #expect(patch.status == .ok)
            #expect(patch.json["roles"] as? [String] == [role, "user"].sorted())
            #expect(try await client.get("/protected", token: userToken).errorCode == "token_revoked")
            let fresh = try #require(try await client.login(user.username).json["access_token"] as? String)
            let protected = try await client.get("/protected", token: fresh)
            #expect(protected.status == .ok)
            #expect(protected.json["roles"] as? [String] == [role, "user"].sorted())
        }
    }

    @Test("each change writes one audit row in its transaction; a failed change writes none")
    func audit() async throws {
        let stack = try await TestStack(backing: .memory)
        let (admin, adminToken) = try await stack.account(roles: [Role.admin])
        let (user, _) = try await stack.account()
        let (other, _) = try await stack.account()
        try await withServer(stack: stack) { client in
            // Roles would change first, then the e-mail collides: the whole change rolls back.
            let failed = try await client.send(
                .patch, "/admin/users/\(user.id)", token: adminToken,
                json: #"{"roles":["admin"],"email":"\#(other.email)"}"#)
            #expect(failed.status == .conflict)
            #expect(failed.errorCode == "email_taken")
            #expect(try await stack.admin.user(id: user.id, by: TestStack.testOperator).roles == [Role.user])
            #expect(try await Self.auditRows(client, adminToken, target: "user:\(user.id)").isEmpty)

            let changed = try await client.send(
                .patch, "/admin/users/\(user.id)", token: adminToken, json: #"{"roles":["admin","user"]}"#)
            #expect(changed.status == .ok)
            let rows = try await Self.auditRows(client, adminToken, target: "user:\(user.id)")
            try #require(rows.count == 1)
            #expect(rows[0]["action"] as? String == "user.update")
            #expect(rows[0]["actor"] as? String == admin.username)
            #expect((rows[0]["actor_id"] as? NSNumber)?.int64Value == admin.id)
            #expect(rows[0]["source"] as? String == "127.0.0.1")
            #expect((rows[0]["details"] as? [String: String])?["roles"] == "user -> admin,user")
        }
    }

    /// The `user.update` rows about `target`.
    static func auditRows(_ client: any TestClientProtocol, _ token: String, target: String) async throws -> [[String:
        Any]]
    {
        let page = try await client.get("/admin/audit?limit=200", token: token)
        return (page.json["entries"] as? [[String: Any]] ?? []).filter {
            $0["target"] as? String == target && $0["action"] as? String == "user.update"
        }
    }

    @Test(
        "bad ids, unknown roles and malformed bodies are 400/404/422 with a code",
        arguments: [
            (HTTPRequest.Method.get, "/admin/users/abc", nil, HTTPResponse.Status.badRequest, "invalid_input"),
            (.get, "/admin/users/0", nil, .badRequest, "invalid_input"),
            (.get, "/admin/users/99999999999", nil, .notFound, "not_found"),
            (.get, "/admin/users/99999999999999999999999", nil, .badRequest, "invalid_input"),
            (.patch, "/admin/users/99999999999", #"{"disabled":true}"#, .notFound, "not_found"),
            (.delete, "/admin/users/99999999999", nil, .notFound, "not_found"),
            (.post, "/admin/users/99999999999/revoke", nil, .notFound, "not_found"),
            (.patch, "/admin/users/$target", #"{"roles":["no-such-role"]}"#, .unprocessableContent, "unknown_role"),
            (.patch, "/admin/users/$target", #"{"roles":["Bad Role"]}"#, .badRequest, "invalid_input"),
            (.patch, "/admin/users/$target", #"{"roles":[]}"#, .badRequest, "invalid_input"),
            (.patch, "/admin/users/$target", #"{"roles":"admin"}"#, .badRequest, "wrong_type"),
            (.patch, "/admin/users/$target", #"{"roles":["user",1]}"#, .badRequest, "wrong_type"),
            (.patch, "/admin/users/$target", #"{"disabled":"yes"}"#, .badRequest, "wrong_type"),
            (.patch, "/admin/users/$target", #"{"disabled":1}"#, .badRequest, "wrong_type"),
            (.patch, "/admin/users/$target", #"{"email":"not-an-address"}"#, .badRequest, "invalid_input"),
            (.patch, "/admin/users/$target", #"{"password":"x"}"#, .badRequest, "unknown_field"),
            (.patch, "/admin/users/$target", #"{}"#, .badRequest, "invalid_input"),
            (.patch, "/admin/users/$target", #"{"disabled":tru"#, .badRequest, "malformed_json"),
            (.patch, "/admin/users/$target", #"[]"#, .badRequest, "invalid_body"),
            (.get, "/admin/users?limit=0", nil, .badRequest, "invalid_input"),
            (.get, "/admin/users?limit=ten", nil, .badRequest, "invalid_input"),
            (.get, "/admin/users?cursor=bm9wZQ", nil, .badRequest, "invalid_input"),
            (.get, "/admin/users?disabled=maybe", nil, .badRequest, "invalid_input"),
            (.get, "/admin/users?role=Not%20A%20Role", nil, .badRequest, "invalid_input"),
            (.get, "/admin/users?prefix=%2B%00N", nil, .badRequest, "invalid_input"),
            (.get, "/admin/users?prefix=al%20ice", nil, .badRequest, "invalid_input"),
            (.get, "/admin/users?prefix=%C3%A9", nil, .badRequest, "invalid_input"),
            (.get, "/admin/users?prefix=\(String(repeating: "a", count: 65))", nil, .badRequest, "invalid_input"),
            (.get, "/admin/users?sort=name", nil, .badRequest, "unknown_parameter"),
            (.get, "/admin/users?limit=1&limit=2", nil, .badRequest, "invalid_input"),
            (.get, "/admin/roles/no-such-role", nil, .notFound, "not_found"),
            (.post, "/admin/roles", #"{"name":"admin"}"#, .conflict, "role_exists"),
            (.post, "/admin/roles", #"{"name":"Admins!"}"#, .badRequest, "invalid_input"),
            (.post, "/admin/roles", #"{"name":"x1","permissions":["Not Valid"]}"#, .badRequest, "invalid_input"),
            (.post, "/admin/roles", #"{"description":"no name"}"#, .badRequest, "missing_field"),
            (.delete, "/admin/roles/admin", nil, .conflict, "builtin_role"),
            (.delete, "/admin/roles/user", nil, .conflict, "builtin_role"),
            (.delete, "/admin/roles/no-such-role", nil, .notFound, "not_found"),
            (.post, "/admin/roles/admin/permissions", #"{"permission":"mail:send"}"#, .conflict, "builtin_role"),
            (.post, "/admin/roles/user/permissions", #"{"permission":"BAD"}"#, .badRequest, "invalid_input"),
            (.post, "/admin/roles/no-such-role/permissions", #"{"permission":"mail:send"}"#, .notFound, "not_found"),
            (.get, "/admin/audit?cursor=%00", nil, .badRequest, "invalid_input"),
        ] as [(HTTPRequest.Method, String, String?, HTTPResponse.Status, String)])
    func badInput(
        _ method: HTTPRequest.Method, _ path: String, _ body: String?, _ status: HTTPResponse.Status, _ code: String
    ) async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let (target, _) = try await stack.account()
        let before = try await stack.admin.user(id: target.id, by: TestStack.testOperator)
        try await withServer(stack: stack) { client in
            let response = try await client.send(
                method, path.replacingOccurrences(of: "$target", with: String(target.id)), token: adminToken, json: body
            )
            #expect(response.status == status, "\(response.bodyText)")
            #expect(response.errorCode == code)
            #expect(try await stack.admin.user(id: target.id, by: TestStack.testOperator) == before, "nothing changed")
        }
    }

    @Test("a role in use cannot be deleted; once nobody holds it, it can")
    func roleInUse() async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let role = TestDatabase.uniqueName("r")
        try await withServer(stack: stack) { client in
            _ = try await client.send(.post, "/admin/roles", token: adminToken, json: #"{"name":"\#(role)"}"#)
            let (holder, _) = try await stack.account(roles: [Role.user, role])
            let refused = try await client.send(.delete, "/admin/roles/\(role)", token: adminToken)
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "role_in_use")
            _ = try await client.send(
                .patch, "/admin/users/\(holder.id)", token: adminToken, json: #"{"roles":["user"]}"#)
            #expect(try await client.send(.delete, "/admin/roles/\(role)", token: adminToken).status == .noContent)
        }
    }

    static func cheapUser(name: String = TestDatabase.uniqueName()) -> NewUser {
        NewUser(
            username: name, email: "\(name)@example.com", passwordHash: "$scrypt$not-a-usable-hash", roles: [Role.user])
    }
}
