import AuthCore
import AuthTestSupport
import Testing

@Suite("administrative changes racing across two instances on one database")
struct DirectoryRaceTests {
    @Test(
        "two admins, each removed at the same moment on a different instance: one change wins, an admin remains",
        arguments: ["demote", "disable", "delete"])
    func lastAdminAcrossInstances(_ how: String) async throws {
        let url = try TestDatabase.freshMigratedURL()
        let a = try await TestStack(databaseURL: url)
        let b = try await TestStack(databaseURL: url)
        @Sendable func remove(_ user: User, on stack: TestStack) async throws {
            let actor = TestStack.testOperator
            switch how {
            case "demote": _ = try await stack.admin.update(userID: user.id, .init(roles: [Role.user]), by: actor)
            case "disable": _ = try await stack.admin.update(userID: user.id, .init(disabled: true), by: actor)
            default: try await stack.admin.delete(userID: user.id, by: actor)
            }
        }
        var survivor = try await a.account(roles: [Role.admin]).user
        // Each round: the survivor and a new admin, two enabled admins, each removed at once.
        for round in 0..<6 {
            let newcomer = try await b.account(roles: [Role.admin]).user
            let (here, there) = round % 2 == 0 ? (a, b) : (b, a)
            async let one = TestStack.outcome { [survivor] in try await remove(survivor, on: here) }
            async let two = TestStack.outcome { try await remove(newcomer, on: there) }
            #expect(await [one, two].sorted() == ["last_admin", "ok"])
            let admins = try await a.directory.users(
                matching: UserFilter(role: Role.admin, disabled: false), after: nil, limit: 10)
            #expect(admins.count == 1, "exactly one enabled admin remains")
            survivor = try #require(admins.first)
        }
        await a.shutdown()
        await b.shutdown()
    }

    @Test("a token issued between two role changes of the same second is refused after the second change")
    func loginBetweenTwoCutOffs() async throws {
        let stack = try await TestStack()
        let actor = TestStack.testOperator
        let role = try await stack.admin.createRole(
            name: TestDatabase.uniqueName("ops"), description: "", permissions: ["ops:restart"], by: actor
        ).name
        let (user, _) = try await stack.account(roles: [Role.user, role])
        // The first change's cut-off lies in the next second, so the login's token is issued at it.
        _ = try await stack.admin.update(userID: user.id, .init(roles: [role]), by: actor)
        let between = try await stack.service.login(username: user.username, password: TestStack.password)
            .accessToken
        #expect(
            await TestStack.outcome { try stack.service.tokens.authorize(accessToken: between, for: .account) } == "ok")
        _ = try await stack.admin.update(userID: user.id, .init(roles: [Role.user]), by: actor)
        #expect(
            await TestStack.outcome { try stack.service.tokens.authorize(accessToken: between, for: .account) }
                == "token_revoked",
            "the role it carries was taken away")
        await stack.shutdown()
    }
}
