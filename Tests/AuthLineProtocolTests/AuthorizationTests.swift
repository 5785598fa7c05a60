import AuthCore
import AuthTestSupport
import Testing

@Suite("line protocol: revocation, HASROLE and HASPERM follow the admin API")
struct AuthorizationTests {
    @Test("disabling an account makes VERIFY answer NO revoked on the next request")
    func disable() async throws {
        try await withLineServer { port, stack in
            let (user, token) = try await stack.account()
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("VERIFY\t1\t\(token)\n")
                #expect(try await client.reply()?.status == .ok)
                _ = try await stack.admin.update(userID: user.id, .init(disabled: true), by: TestStack.testOperator)
                try await client.send("VERIFY\t2\t\(token)\n")
                #expect(try await client.readLine() == "NO\t2\treason=revoked")
                try await client.send("HASROLE\t3\t\(token)\tuser\n")
                #expect(try await client.readLine() == "NO\t3\treason=revoked")
            }
        }
    }

    @Test("a role change shows in HASROLE and HASPERM for new tokens; grants apply to existing ones at once")
    func roleChange() async throws {
        try await withLineServer { port, stack in
            let role = TestDatabase.uniqueName("ops")
            _ = try await stack.admin.createRole(
                name: role, description: "", permissions: ["reports:read"], by: TestStack.testOperator)
            let (user, old) = try await stack.account()
            _ = try await stack.admin.update(
                userID: user.id, .init(roles: [Role.user, role]), by: TestStack.testOperator)
            let token = try await stack.service.login(username: user.username, password: TestStack.password).accessToken
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("HASROLE\t1\t\(old)\t\(role)\n")
                #expect(try await client.readLine() == "NO\t1\treason=revoked")
                try await client.send("HASROLE\t2\t\(token)\t\(role)\n")
                #expect(try await client.readLine() == "OK\t2")
                try await client.send("HASPERM\t3\t\(token)\treports:read\n")
                #expect(try await client.readLine() == "OK\t3")
                try await client.send("HASPERM\t4\t\(token)\tusers:read\n")
                #expect(try await client.readLine() == "NO\t4\treason=forbidden")

                _ = try await stack.admin.revoke("reports:read", from: role, by: TestStack.testOperator)
                try await client.send("HASPERM\t5\t\(token)\treports:read\n")
                #expect(try await client.readLine() == "NO\t5\treason=forbidden")
                _ = try await stack.admin.grant("users:read", to: role, by: TestStack.testOperator)
                try await client.send("HASPERM\t6\t\(token)\tusers:read\n")
                #expect(try await client.readLine() == "OK\t6")
            }
        }
    }

    @Test(
        "a client's own token: VERIFY answers client= and scope=, HASSCOPE checks a granted scope, a disable cuts it off"
    )
    func clientToken() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: ["mail:read", "mail:send"]))
        try await withLineServer(stack: stack) { port, stack in
            let id = TestDatabase.uniqueName("svc")
            let registered = try await stack.admin.createClient(
                NewClient(id: id, scopes: ["mail:read", "mail:send"], roles: [Role.user]), by: TestStack.testOperator)
            let client = try await stack.service.oauth.authenticate(
                clientID: id, secret: try #require(registered.secret))
            let token = try stack.service.oauth.clientCredentials(for: client, scope: "mail:read").token
            let (_, userToken) = try await stack.account()
            try await LineClient.with(port: port) { (line: LineClient) async throws in
                try await line.send("VERIFY\t1\t\(token)\n")
                let verified = try #require(try await line.reply())
                #expect(verified.status == .ok)
                let attributes = Dictionary(verified.attributes.map { ($0.key, $0.value) }) { $1 }
                #expect(attributes["client"] == id && attributes["scope"] == "mail:read")
                #expect(attributes["roles"] == Role.user && attributes["user"] == nil)
                try await line.send("HASSCOPE\t2\t\(token)\tmail:read\n")
                #expect(try await line.readLine() == "OK\t2")
                try await line.send("HASSCOPE\t3\t\(token)\tmail:send\n")
                #expect(try await line.readLine() == "NO\t3\treason=forbidden", "granted to the client, not asked for")
                try await line.send("HASSCOPE\t4\t\(userToken)\tmail:read\n")
                #expect(try await line.readLine() == "NO\t4\treason=forbidden")
                try await line.send("HASSCOPE\t5\t\(token)\thas space\n")
                #expect(try await line.readLine() == "BAD\t5\treason=malformed_argument")
                try await line.send("HASROLE\t6\t\(token)\tuser\n")
                #expect(try await line.readLine() == "OK\t6")
                _ = try await stack.admin.updateClient(id: id, .init(disabled: true), by: TestStack.testOperator)
                try await line.send("VERIFY\t7\t\(token)\n")
                #expect(try await line.readLine() == "NO\t7\treason=revoked")
            }
        }
    }

    @Test("an admin's token holds the admin permissions; HASPERM refuses malformed permissions with BAD")
    func adminPermissions() async throws {
        try await withLineServer { port, stack in
            let (_, token) = try await stack.account(roles: [Role.admin])
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                for (index, permission) in [Permission.usersRead, Permission.usersWrite, Permission.auditRead]
                    .enumerated()
                {
                    try await client.send("HASPERM\t\(index)\t\(token)\t\(permission)\n")
                    #expect(try await client.readLine() == "OK\t\(index)")
                }
                for (id, line) in [
                    ("b1", "HASPERM\tb1\t\(token)\tUsers:Read\n"), ("b2", "HASPERM\tb2\t\(token)\tusers\n"),
                ] {
                    try await client.send(line)
                    #expect(try await client.readLine() == "BAD\t\(id)\treason=malformed_argument")
                }
                try await client.send("HASPERM\tb3\t\(token)\n")
                #expect(try await client.readLine() == "BAD\tb3\treason=wrong_argument_count")
            }
        }
    }

    @Test(
        "a user's token issued to an OAuth client through the code flow: VERIFY, HASROLE, HASPERM and HASSCOPE answer NO invalid_token, with or without service="
    )
    func delegatedTokenIsNotAGatewayToken() async throws {
        let scopes: Set<String> = ["openid", "profile"]
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: scopes))
        try await withLineServer(stack: stack) { port, stack in
            let (admin, firstParty) = try await stack.account(roles: [Role.user, Role.admin])
            let rp = try await stack.admin.createClient(
                NewClient(
                    id: TestDatabase.uniqueName("rp"), grantTypes: [.authorizationCode], scopes: Array(scopes),
                    redirectURIs: ["https://rp.example.com/cb"]), by: TestStack.testOperator)
            let delegated = try await stack.delegatedToken(for: admin, client: rp.client, scope: "openid profile")
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("VERIFY\t1\t\(firstParty)\n")
                #expect(try await client.reply()?.status == .ok, "the user's own token")
                try await client.send("VERIFY\t2\t\(delegated)\n")
                #expect(try await client.readLine() == "NO\t2\treason=invalid_token")
                try await client.send("HASROLE\t3\t\(delegated)\tadmin\n")
                #expect(try await client.readLine() == "NO\t3\treason=invalid_token")
                try await client.send("HASPERM\t4\t\(delegated)\tusers:read\n")
                #expect(try await client.readLine() == "NO\t4\treason=invalid_token")
                try await client.send("HASSCOPE\t5\t\(delegated)\topenid\n")
                #expect(try await client.readLine() == "NO\t5\treason=invalid_token")
                try await client.send("VERIFY\t6\t\(delegated)\tservice=http\n")
                #expect(try await client.readLine() == "NO\t6\treason=invalid_token")
            }
        }
    }
}
