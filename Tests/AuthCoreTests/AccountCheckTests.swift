import AuthCore
import AuthTestSupport
import Testing

@Suite("account checks for someone a server already authenticated (Postfix policy)")
struct AccountCheckTests {
    /// mail: locked after two failures from one address, and only for admins; http: the password.
    static let stacks = AuthService.StackSource.files([
        "mail": (
            file: "stacks/mail",
            text: """
            auth     required  lockout  attempts=2 window=15m lock=15m
            auth     required  password
            account  required  role     any=admin
            """
        ),
        "http": (file: "stacks/http", text: "auth required password"),
    ])

    @Test(
        "an active account holding the role passes; without it, disabled or locked it is denied alike; an unknown name is not authd's to judge (nil)"
    )
    func decisions() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.stacks)
        let (admin, _) = try await stack.account(roles: [Role.admin])
        let (user, _) = try await stack.account(roles: [Role.user])
        let service = stack.service
        func check(_ name: String, from source: String = "198.51.100.1") async -> String {
            await TestStack.outcome { try await service.checkAccount(service: "mail", username: name, source: source) }
        }
        #expect(await check(admin.username) == "ok")
        #expect(await check(user.username) == "account_denied")
        #expect(try await service.checkAccount(service: "mail", username: "nobody-\(admin.username)") == nil)
        #expect(try await service.checkAccount(service: "mail", username: admin.username)?.id == admin.id)
        for _ in 0..<2 {
            _ = await TestStack.outcome {
                try await service.authenticate(
                    service: "mail", username: admin.username, password: "wrong", source: "192.0.2.7")
            }
        }
        #expect(await check(admin.username, from: "192.0.2.7") == "account_denied", "locked from that address")
        #expect(await check(admin.username) == "ok", "not from another")
        _ = try await stack.account(roles: [Role.admin])  // so that disabling one is allowed
        _ = try await stack.admin.update(userID: admin.id, UserChange(disabled: true), by: TestStack.testOperator)
        #expect(await check(admin.username) == "account_denied")
        #expect(
            await TestStack.outcome { try await service.checkAccount(service: "nostack", username: admin.username) }
                == "unknown_service")
        await stack.shutdown()
    }
}
