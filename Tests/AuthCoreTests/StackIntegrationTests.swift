import AuthCore
import AuthPostgres
import AuthTestSupport
import Foundation
import Testing

@Suite("stacks against PostgreSQL, two instances on one database")
struct StackIntegrationTests {
    static func lockoutStack(attempts: Int, lock: String = "15m") -> AuthService.StackSource {
        TestStack.stack(
            "http",
            """
            auth required lockout attempts=\(attempts) window=15m lock=\(lock) by=account
            auth required password
            auth required active
            """)
    }

    func code(_ body: () async throws -> Void) async -> AuthError.Code? {
        do {
            try await body()
            return nil
        } catch let error as AuthError {
            return error.code
        } catch {
            return .internal
        }
    }

    func register(_ stack: TestStack) async throws -> String {
        let name = TestDatabase.uniqueName()
        _ = try await stack.service.register(username: name, email: "\(name)@example.com", password: "long enough pw")
        return name
    }

    @Test("failures spread over two instances lock the account on both; unlock lets it in again")
    func sharedLockout() async throws {
        let a = try await TestStack(stacks: Self.lockoutStack(attempts: 3))
        let b = try await TestStack(stacks: Self.lockoutStack(attempts: 3))
        let name = try await register(a)
        for (instance, password) in [(a, "wrong 1"), (b, "wrong 2"), (a, "wrong 3")] {
            #expect(
                await code { _ = try await instance.service.login(username: name, password: password) }
                    == .invalidCredentials)
        }
        #expect(
            await code { _ = try await a.service.login(username: name, password: "long enough pw") }
                == .invalidCredentials)
        #expect(
            await code { _ = try await b.service.login(username: name, password: "long enough pw") }
                == .invalidCredentials)
        try await a.admin.unlock(username: name, by: TestStack.testOperator)
        let audit = try await a.directory.auditEntries(before: nil, limit: 20)
        #expect(
            audit.contains { $0.action == "user.unlock" && $0.target == "username:\(name.lowercased())" },
            "the unlock is audited")
        #expect(await code { _ = try await b.service.login(username: name, password: "long enough pw") } == nil)
        await a.shutdown()
        await b.shutdown()
    }

    @Test("the lock expires by itself")
    func lockExpires() async throws {
        let stack = try await TestStack(stacks: Self.lockoutStack(attempts: 1, lock: "1s"))
        let name = try await register(stack)
        _ = await code { _ = try await stack.service.login(username: name, password: "wrong") }
        #expect(
            await code { _ = try await stack.service.login(username: name, password: "long enough pw") }
                == .invalidCredentials)
        // 1.5 s on the database's clock: the counter's times moved back by as much.
        let moved = try await stack.pool.withConnection { connection in
            try connection.query(
                """
                UPDATE login_failures SET window_start = window_start - interval '1.5 seconds',
                    locked_until = locked_until - interval '1.5 seconds', expires_at = expires_at - interval '1.5 seconds'
                WHERE username = lower($1)
                """, [name]
            ).affectedRows
        }
        #expect(moved >= 1)
        #expect(await code { _ = try await stack.service.login(username: name, password: "long enough pw") } == nil)
        await stack.shutdown()
    }

    @Test("50 concurrent wrong attempts over two instances count exactly 50")
    func concurrentFailuresCount() async throws {
        let a = try await TestStack(stacks: Self.lockoutStack(attempts: 1000))
        let b = try await TestStack(stacks: Self.lockoutStack(attempts: 1000))
        let name = try await register(a)
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<50 {
                let instance = index % 2 == 0 ? a : b
                group.addTask { _ = try? await instance.service.login(username: name, password: "wrong \(index)") }
            }
        }
        let failures = try await a.pool.withConnection { connection in
            try connection.query("SELECT failures FROM login_failures WHERE username = lower($1)", [name]).single()
                .int64("failures")
        }
        #expect(failures == 50)
        await a.shutdown()
        await b.shutdown()
    }

    @Test("locked, unknown and wrong-password attempts fail alike; success resets the counter")
    func noEnumeration() async throws {
        let stack = try await TestStack(stacks: Self.lockoutStack(attempts: 2))
        let name = try await register(stack)
        let wrong = await code { _ = try await stack.service.login(username: name, password: "wrong") }
        let unknown = await code { _ = try await stack.service.login(username: "nobody-\(name)", password: "wrong") }
        _ = await code { _ = try await stack.service.login(username: name, password: "wrong") }
        let locked = await code { _ = try await stack.service.login(username: name, password: "long enough pw") }
        #expect(wrong == .invalidCredentials)
        #expect(unknown == wrong)
        #expect(locked == wrong)

        let other = try await register(stack)
        _ = await code { _ = try await stack.service.login(username: other, password: "wrong") }
        #expect(await code { _ = try await stack.service.login(username: other, password: "long enough pw") } == nil)
        _ = await code { _ = try await stack.service.login(username: other, password: "wrong") }
        #expect(
            await code { _ = try await stack.service.login(username: other, password: "long enough pw") } == nil,
            "the success in between reset the count")
        await stack.shutdown()
    }

    @Test("account modules, unknown services and sources")
    func accountAndSource() async throws {
        let stack = try await TestStack(
            stacks: .files([
                "admin": (
                    "stacks/admin",
                    "auth required password\nauth required active\naccount required role any=admin"
                ),
                "lan": ("stacks/lan", "auth requisite source cidr=10.0.0.0/8\nauth required password"),
            ]))
        let name = try await register(stack)
        #expect(
            await code {
                _ = try await stack.service.authenticate(service: "admin", username: name, password: "long enough pw")
            }
                == .accountDenied)
        #expect(
            await code { _ = try await stack.service.authenticate(service: "admin", username: name, password: "wrong") }
                == .invalidCredentials)
        #expect(
            await code { _ = try await stack.service.authenticate(service: "mail", username: name, password: "x") }
                == .unknownService)
        #expect(
            await code {
                _ = try await stack.service.authenticate(
                    service: "lan", username: name, password: "long enough pw", source: "10.1.2.3")
            } == nil)
        #expect(
            await code {
                _ = try await stack.service.authenticate(
                    service: "lan", username: name, password: "long enough pw", source: "192.168.1.1")
            } == .invalidCredentials)
        await stack.shutdown()
    }

    @Test("unknown-user and wrong-password attempts take the same time (means within 10 % over 200 each)")
    func timing() async throws {
        let stack = try await TestStack(
            scrypt: .init(logN: 13, r: 8, p: 1),
            stacks: TestStack.stack("http", "auth requisite active\nauth required password"))
        let name = try await register(stack)
        let clock = ContinuousClock()
        var unknown: [Duration] = []
        var wrong: [Duration] = []
        for index in 0..<200 {
            let tryWrong = {
                wrong.append(
                    await clock.measure {
                        _ = try? await stack.service.login(username: name, password: "wrong \(index)")
                    })
            }
            let tryUnknown = {
                unknown.append(
                    await clock.measure {
                        _ = try? await stack.service.login(username: "nobody-\(index)-\(name)", password: "wrong")
                    })
            }
            // Interleaved, alternating which goes first, so drift in machine load hits both alike.
            if index.isMultiple(of: 2) {
                await tryWrong()
                await tryUnknown()
            } else {
                await tryUnknown()
                await tryWrong()
            }
        }
        // Means without the slowest 5 % of each side: other suites run in parallel on two cores,
        // and one scheduling stall would otherwise decide the result. The raw means are printed too.
        func mean(_ samples: [Duration], trimmed: Bool) -> Duration {
            let kept = trimmed ? Array(samples.sorted().dropLast(samples.count / 20)) : samples
            return kept.reduce(.zero, +) / kept.count
        }
        let ratio = mean(unknown, trimmed: true) / mean(wrong, trimmed: true)
        print(
            "timing: unknown user \(mean(unknown, trimmed: false)) (trimmed \(mean(unknown, trimmed: true))),",
            "wrong password \(mean(wrong, trimmed: false)) (trimmed \(mean(wrong, trimmed: true))), ratio \(ratio)")
        #expect(abs(ratio - 1) < 0.10)
        await stack.shutdown()
    }
}
