import AuthCore
import AuthCrypto
import AuthLineProtocol
import AuthPostgres
import AuthTestSupport
import Foundation
import Synchronization
import Testing

@Suite("line protocol AUTH through stacks")
struct LineStackTests {
    @Test("unknown services, account denials and rate limits have their own replies")
    func replies() async throws {
        let stack = try await TestStack(
            backing: .memory,
            stacks: .files([
                "imap": ("stacks/imap", "auth required password\nauth required active\naccount required role any=admin")
            ]),
            configuration: .init(attemptLimit: .init(burst: 3, perSecond: 0.01)))
        try await withLineServer(stack: stack) { port, stack in
            let name = TestDatabase.uniqueName()
            _ = try await stack.service.register(
                username: name, email: "\(name)@example.com", password: "line password 9")
            let resp = Base64.standard.encode(Array("line password 9".utf8))
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("AUTH\t1\tservice=pop3\tuser=\(name)\tresp=\(resp)\n")
                #expect(try await client.readLine() == "NO\t1\treason=unknown_service")
                try await client.send("AUTH\t2\tservice=imap\tuser=\(name)\tresp=\(resp)\n")
                #expect(try await client.readLine() == "NO\t2\treason=forbidden")
                try await client.send("AUTH\t3\tservice=imap\tuser=\(name)\tresp=\(resp)\n")
                _ = try await client.readLine()
                try await client.send("AUTH\t4\tservice=imap\tuser=\(name)\tresp=\(resp)\n")
                #expect(try await client.readLine() == "TEMP\t4\treason=rate_limited")
            }
        }
    }
}

@Suite("line protocol VERIFY with a service")
struct LineVerifyServiceTests {
    @Test("service=S runs the account modules from the token's claims")
    func accountFacility() async throws {
        let stack = try await TestStack(
            backing: .memory,
            stacks: .files([
                "admin": ("stacks/admin", "auth required password\naccount required role any=admin"),
                "mail": (
                    "stacks/mail", "auth required password\naccount required role any=user\naccount required active"
                ),
            ]))
        try await withLineServer(stack: stack) { port, stack in
            let name = TestDatabase.uniqueName()
            _ = try await stack.service.register(
                username: name, email: "\(name)@example.com", password: "long enough pw")
            let user = try #require(try await stack.users.find(username: name))
            let token = try stack.service.tokens.issue(for: user).token
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("VERIFY\t1\t\(token)\tservice=admin\n")
                #expect(try await client.readLine() == "NO\t1\treason=forbidden")
                try await client.send("VERIFY\t2\t\(token)\tservice=mail\n")
                #expect(try await client.reply()?.status == .ok)
                try await client.send("HASROLE\t3\t\(token)\tuser\tservice=admin\n")
                #expect(try await client.readLine() == "NO\t3\treason=forbidden")
                try await client.send("HASROLE\t4\t\(token)\tuser\tservice=mail\n")
                #expect(try await client.readLine() == "OK\t4")
                try await client.send("VERIFY\t5\t\(token)\tservice=nosuch\n")
                #expect(try await client.readLine() == "NO\t5\treason=unknown_service")
                try await client.send("VERIFY\t6\t\(token)\tcolour=red\n")
                #expect(try await client.readLine() == "BAD\t6\treason=unknown_argument")
                try await client.send("VERIFY\t7\t\(token)x\tservice=mail\n")
                #expect(try await client.readLine() == "NO\t7\treason=invalid_token")
            }
        }
    }
}

@Suite("line protocol AUTH with lockout")
struct LineLockoutTests {
    @Test("locked, unknown and wrong-password AUTH replies are byte-identical")
    func lockedLooksWrong() async throws {
        let stack = try await TestStack(
            backing: .memory,
            stacks: TestStack.stack(
                "imap",
                "auth required lockout attempts=2 window=15m lock=15m\nauth required password\nauth required active"))
        try await withLineServer(stack: stack) { port, stack in
            let name = TestDatabase.uniqueName()
            _ = try await stack.service.register(
                username: name, email: "\(name)@example.com", password: "long enough pw")
            let right = Base64.standard.encode(Array("long enough pw".utf8))
            let wrong = Base64.standard.encode(Array("wrong password".utf8))
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                var replies: [String?] = []
                for (user, resp) in [(name, wrong), ("nobody-\(name)", right), (name, wrong), (name, right)] {
                    try await client.send("AUTH\tx\tservice=imap\tuser=\(user)\tresp=\(resp)\n")
                    replies.append(try await client.readLine())
                }
                #expect(replies.allSatisfy { $0 == "NO\tx\treason=auth_failed" }, "\(replies)")
            }
        }
    }
}

@Suite("line protocol TEMP replies")
struct LineTempTests {
    @Test("a full hashing queue answers TEMP busy, never a hang")
    func busy() async throws {
        let stack = try await TestStack(
            backing: .memory, scrypt: .init(logN: 14, r: 8, p: 1), hashing: .init(threads: 1, queueLimit: 0))
        try await withLineServer(stack: stack) { port, stack in
            let name = TestDatabase.uniqueName()
            _ = try await stack.service.register(
                username: name, email: "\(name)@example.com", password: "long enough pw")
            let resp = Base64.standard.encode(Array("long enough pw".utf8))
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                var batch = ""
                for index in 0..<8 { batch += "AUTH\t\(index)\tservice=imap\tuser=\(name)\tresp=\(resp)\n" }
                try await client.send(batch)
                var statuses: [LineReply.Status] = []
                for _ in 0..<8 { statuses.append(try #require(try await client.reply()).status) }
                #expect(statuses.contains(.ok))
                #expect(statuses.contains(.temp))
                #expect(statuses.allSatisfy { $0 == .ok || $0 == .temp })
            }
        }
    }

    // A revocation state that could never be loaded counts as stale: VERIFY fails closed.
    @Test("with the database away, AUTH and VERIFY answer TEMP unavailable, not NO")
    func databaseAway() async throws {
        let healthy = try await TestStack(backing: .memory)
        let name = TestDatabase.uniqueName()
        _ = try await healthy.service.register(username: name, email: "\(name)@example.com", password: "long enough pw")
        let token = try await healthy.service.login(username: name, password: "long enough pw").accessToken
        await healthy.shutdown()

        let away = try await TestStack(databaseURL: TestStack.unreachableDatabase)
        try await withLineServer(stack: away) { port, _ in
            let resp = Base64.standard.encode(Array("long enough pw".utf8))
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("AUTH\t1\tservice=imap\tuser=\(name)\tresp=\(resp)\n")
                #expect(try await client.readLine() == "TEMP\t1\treason=unavailable")
                try await client.send("VERIFY\t2\t\(token)\n")
                #expect(try await client.readLine() == "TEMP\t2\treason=unavailable")
            }
        }
    }
}

@Suite("line protocol AUTH with a second factor")
struct LineSecondFactorTests {
    @Test("otp= feeds the totp module: each code and each recovery code is accepted once")
    func otp() async throws {
        let now: Int64 = 1_800_000_015
        let stack = try await TestStack(
            backing: .memory,
            clock: { now },
            stacks: .files([
                "http": ("stacks/http", "auth required password"),
                "ssh": ("stacks/ssh", "auth required password\nauth required active\nauth required totp if=enrolled"),
            ]))
        try await withLineServer(stack: stack) { port, stack in
            let plain = TestDatabase.uniqueName()
            let name = TestDatabase.uniqueName()
            for user in [plain, name] {
                _ = try await stack.service.register(
                    username: user, email: "\(user)@example.com", password: TestStack.password)
            }
            let token = try await stack.service.login(username: name, password: TestStack.password).accessToken
            let setup = try await stack.service.mfa.setup(accessToken: token)
            let secret = try #require(Base32.decode(setup.secret))
            let recovery = try await stack.service.mfa.confirm(
                accessToken: token, code: try OneTimePassword().totp(secret: secret, at: now))
            let next = try OneTimePassword().totp(secret: secret, at: now + 30)
            let resp = Base64.standard.encode(Array(TestStack.password.utf8))
            let exchanges: [(user: String, otp: String?, reply: String)] = [
                (plain, nil, "OK"),
                (name, nil, "NO"),
                (name, "000000", "NO"),
                (name, next, "OK"),
                (name, next, "NO"),
                (name, recovery[0], "OK"),
                (name, recovery[0], "NO"),
            ]
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                for (index, exchange) in exchanges.enumerated() {
                    let otp = exchange.otp.map { "\totp=\($0)" } ?? ""
                    try await client.send("AUTH\t\(index)\tservice=ssh\tuser=\(exchange.user)\(otp)\tresp=\(resp)\n")
                    let reply = try #require(try await client.readLine())
                    let expected = exchange.reply == "OK" ? "OK\t\(index)" : "NO\t\(index)\treason=auth_failed"
                    #expect(reply.hasPrefix(expected), "exchange \(index): \(reply)")
                }
            }
        }
    }
}
