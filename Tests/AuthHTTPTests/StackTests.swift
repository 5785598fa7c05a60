import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP login through the http stack")
struct HTTPStackTests {
    static let lockout = TestStack.stack(
        "http", "auth required lockout attempts=2 window=15m lock=15m\nauth required password\nauth required active")

    @Test("locked, unknown and wrong-password logins get byte-identical 401s")
    func lockedLooksWrong() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.lockout)
        try await withServer(stack: stack) { client in
            let name = TestDatabase.uniqueName()
            #expect(try await client.register(name).status == .created)
            let wrong = try await client.login(name, password: "wrong password")
            let unknown = try await client.login("nobody-" + name)
            _ = try await client.login(name, password: "wrong again")
            let locked = try await client.login(name)
            #expect(wrong.status == .unauthorized)
            #expect(locked.bodyText == wrong.bodyText)
            #expect(unknown.bodyText == wrong.bodyText)
            #expect(locked.headers[.wwwAuthenticate] == wrong.headers[.wwwAuthenticate])
        }
    }

    @Test("too many attempts from one address are 429 with Retry-After")
    func rateLimited() async throws {
        let stack = try await TestStack(
            backing: .memory, configuration: .init(attemptLimit: .init(burst: 3, perSecond: 0.01)))
        try await withServer(stack: stack) { client in
            for _ in 0..<3 {
                #expect(try await client.login("nobody", password: "whatever1").status == .unauthorized)
            }
            let limited = try await client.login("nobody", password: "whatever1")
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorCode == "rate_limited")
            #expect(limited.headers[.retryAfter] == "1")
        }
    }
}
