import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP admin API")
struct AdminTests {
    /// Every admin route, in an order the admin can run them all successfully.
    static func routes(target: Int64, role: String) -> [(HTTPRequest.Method, String, String?, HTTPResponse.Status)] {
        [
            (.get, "/admin/users", nil, .ok),
            (.get, "/admin/users/\(target)", nil, .ok),
            (.patch, "/admin/users/\(target)", #"{"disabled":false}"#, .ok),
            (.post, "/admin/users/\(target)/revoke", nil, .noContent),
            (.get, "/admin/roles", nil, .ok),
            (.post, "/admin/roles", #"{"name":"\#(role)","description":"test role"}"#, .created),
            (.get, "/admin/roles/\(role)", nil, .ok),
            (.post, "/admin/roles/\(role)/permissions", #"{"permission":"mail:send"}"#, .ok),
            (.delete, "/admin/roles/\(role)/permissions/mail:send", nil, .ok),
            (.post, "/admin/roles/\(role)/permissions", #"{"permission":"mail:read"}"#, .ok),
            (.delete, "/admin/roles/\(role)/permissions/mail%3Aread", nil, .ok),
            (.delete, "/admin/roles/\(role)", nil, .noContent),
            (.get, "/admin/clients", nil, .ok),
            (.post, "/admin/clients", #"{"id":"\#(role)-app","roles":["user"]}"#, .created),
            (.get, "/admin/clients/\(role)-app", nil, .ok),
            (.patch, "/admin/clients/\(role)-app", #"{"disabled":true}"#, .ok),
            (.post, "/admin/clients/\(role)-app/secret", nil, .ok),
            (.delete, "/admin/clients/\(role)-app", nil, .noContent),
            (.get, "/admin/audit", nil, .ok),
            (.delete, "/admin/users/\(target)", nil, .noContent),
        ]
    }

    @Test("no token is 401, a user's token 403 on every admin route; an admin's token succeeds on each")
    func guards() async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, userToken) = try await stack.account()
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let (target, _) = try await stack.account()
        let routes = Self.routes(target: target.id, role: TestDatabase.uniqueName("role"))
        try await withServer(stack: stack) { client in
            for (method, path, body, expected) in routes {
                let anonymous = try await client.send(method, path, token: nil, json: body)
                #expect(anonymous.status == .unauthorized, "\(method) \(path)")
                let user = try await client.send(method, path, token: userToken, json: body)
                #expect(user.status == .forbidden, "\(method) \(path)")
                #expect(user.errorCode == "forbidden")
                let admin = try await client.send(method, path, token: adminToken, json: body)
                #expect(admin.status == expected, "\(method) \(path): \(admin.bodyText)")
            }
        }
    }

    @Test("pages return every user exactly once while users are being added")
    func paginationUnderInserts() async throws {
        let stack = try await TestStack(databaseURL: try TestDatabase.freshMigratedURL())
        let (admin, adminToken) = try await stack.account(roles: [Role.admin])
        var existing: Set<Int64> = [admin.id]
        for _ in 0..<45 {
            existing.insert(try await stack.users.create(Self.cheapUser()).id)
        }
        let users = stack.users
        let atStart = existing
        let inserter = Task {
            for _ in 0..<40 { _ = try await users.create(Self.cheapUser()) }
        }
        try await withServer(stack: stack) { client in
            var seen: [Int64] = []
            var cursor: String?
            repeat {
                let query = "/admin/users?limit=7" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.get(query, token: adminToken)
                try #require(page.status == .ok, "\(page.bodyText)")
                let ids = (page.json["users"] as? [[String: Any]] ?? []).compactMap {
                    ($0["id"] as? NSNumber)?.int64Value
                }
                #expect(ids.count <= 7)
                seen += ids
                cursor = page.json["next_cursor"] as? String
            } while cursor != nil
            try await inserter.value
            #expect(seen.count == Set(seen).count, "no user twice")
            #expect(atStart.isSubset(of: Set(seen)), "every user present at the start")
            #expect(seen == seen.sorted())
        }
    }

    @Test("filters: role, disabled and username prefix")
    func filters() async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let prefix = TestDatabase.uniqueName("flt")
        for (suffix, disabled) in [("a", false), ("b", true)] {
            let user = try await stack.users.create(Self.cheapUser(name: prefix + suffix))
            if disabled {
                _ = try await stack.admin.update(userID: user.id, .init(disabled: true), by: TestStack.testOperator)
            }
        }
        try await withServer(stack: stack) { client in
            let names = { (query: String) async throws -> [String] in
                let page = try await client.get("/admin/users?\(query)", token: adminToken)
                return (page.json["users"] as? [[String: Any]] ?? []).compactMap { $0["username"] as? String }
            }
            let all = try await names("prefix=\(prefix.uppercased())")
            let disabled = try await names("prefix=\(prefix)&disabled=true")
            let admins = try await names("prefix=\(prefix)&role=admin")
            let enabledUsers = try await names("prefix=\(prefix)&role=user&disabled=false")
            #expect(all == [prefix + "a", prefix + "b"])
            #expect(disabled == [prefix + "b"])
            #expect(admins.isEmpty)
            #expect(enabledUsers == [prefix + "a"])
        }
    }

    @Test("the last enabled admin cannot be demoted, disabled or deleted, even by two admins at once")
    func lastAdmin() async throws {
        let stack = try await TestStack(databaseURL: try TestDatabase.freshMigratedURL())
        let (first, firstToken) = try await stack.account(roles: [Role.admin])
        try await withServer(stack: stack) { client in
            for (method, body) in [
                (HTTPRequest.Method.patch, #"{"roles":["user"]}"#), (.patch, #"{"disabled":true}"#), (.delete, nil),
            ] {
                let response = try await client.send(method, "/admin/users/\(first.id)", token: firstToken, json: body)
                #expect(response.status == .conflict)
                #expect(response.errorCode == "last_admin")
            }
            let audit = try await client.get("/admin/audit", token: firstToken)
            let actions = (audit.json["entries"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions == ["user.create"], "refused changes leave no audit rows")

            let (second, _) = try await stack.account(roles: [Role.admin])
            // Each is demoted at the same moment: one change must lose, or no admin would remain.
            async let one = TestStack.outcome {
                try await stack.admin.update(userID: first.id, .init(roles: [Role.user]), by: TestStack.testOperator)
            }
            async let two = TestStack.outcome {
                try await stack.admin.update(userID: second.id, .init(roles: [Role.user]), by: TestStack.testOperator)
            }
            #expect(await [one, two].sorted() == ["last_admin", "ok"])
        }
    }

    @Test("every admin use case checks its own permission: a user's actor is refused with no front end in between")
    func useCasesCheckPermissions() async throws {
        let stack = try await TestStack(backing: .memory)
        let (target, _) = try await stack.account()
        let (_, userToken) = try await stack.account()
        let actor = try stack.service.tokens.actor(accessToken: userToken, source: "192.0.2.7")
        #expect(actor.roles == [Role.user] && actor.source == "192.0.2.7")
        let admin = stack.admin
        let calls: [@Sendable () async throws -> Void] = [
            { _ = try await admin.user(id: target.id, by: actor) },
            { _ = try await admin.user(named: target.username, by: actor) },
            { _ = try await admin.users(matching: .init(), cursor: nil, limit: nil, by: actor) },
            {
                _ = try await admin.createUser(
                    username: TestDatabase.uniqueName(), email: "\(TestDatabase.uniqueName())@example.com",
                    password: TestStack.password, roles: [Role.user], by: actor)
            },
            { _ = try await admin.update(userID: target.id, .init(disabled: true), by: actor) },
            { try await admin.delete(userID: target.id, by: actor) },
            { try await admin.revokeTokens(userID: target.id, by: actor) },
            { try await admin.resetMFA(userID: target.id, by: actor) },
            { _ = try await admin.roles(by: actor) },
            { _ = try await admin.role(named: Role.user, by: actor) },
            {
                _ = try await admin.createRole(
                    name: TestDatabase.uniqueName("r"), description: "", permissions: [], by: actor)
            },
            { try await admin.deleteRole(named: "nonexistent", by: actor) },
            { _ = try await admin.grant("reports:read", to: Role.user, by: actor) },
            { _ = try await admin.revoke("reports:read", from: Role.user, by: actor) },
            { _ = try await admin.auditEntries(cursor: nil, limit: nil, by: actor) },
        ]
        for call in calls {
            #expect(await TestStack.outcome { try await call() } == "forbidden")
        }
        #expect(try await admin.user(id: target.id, by: TestStack.testOperator).disabled == false, "nothing changed")
        await stack.shutdown()
    }

    @Test("disabling an account refuses its existing token on the next request; re-enabling needs a new login")
    func disableRevokes() async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let (user, userToken) = try await stack.account()
        try await withServer(stack: stack) { client in
            #expect(try await client.get("/protected", token: userToken).status == .ok)
            let disable = try await client.send(
                .patch, "/admin/users/\(user.id)", token: adminToken, json: #"{"disabled":true}"#)
            #expect(disable.status == .ok)
            #expect(disable.json["disabled"] as? Bool == true)
            let refused = try await client.get("/protected", token: userToken)
            #expect(refused.status == .unauthorized)
            #expect(refused.errorCode == "token_revoked")
            #expect(try await client.get("/me", token: userToken).status == .unauthorized)
            #expect(try await client.login(user.username).status == .unauthorized)

            _ = try await client.send(
                .patch, "/admin/users/\(user.id)", token: adminToken, json: #"{"disabled":false}"#)
            #expect(try await client.get("/protected", token: userToken).status == .unauthorized)
            let login = try await client.login(user.username)
            let fresh = try #require(login.json["access_token"] as? String)
            #expect(try await client.get("/protected", token: fresh).status == .ok)
        }
    }

    @Test("revoke and delete refuse the account's existing tokens on the next request")
    func revokeAndDelete() async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let (user, userToken) = try await stack.account()
        try await withServer(stack: stack) { client in
            #expect(
                try await client.send(.post, "/admin/users/\(user.id)/revoke", token: adminToken).status == .noContent)
            #expect(try await client.get("/protected", token: userToken).errorCode == "token_revoked")
            let fresh = try #require(try await client.login(user.username).json["access_token"] as? String)
            #expect(try await client.get("/protected", token: fresh).status == .ok, "a login after the revoke works")
            #expect(try await client.send(.delete, "/admin/users/\(user.id)", token: adminToken).status == .noContent)
            #expect(try await client.get("/protected", token: fresh).errorCode == "token_revoked")
            #expect(try await client.get("/admin/users/\(user.id)", token: adminToken).status == .notFound)
        }
    }

}
