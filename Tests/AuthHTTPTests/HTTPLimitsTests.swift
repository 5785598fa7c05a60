import AuthCore
import AuthHTTP
import AuthTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP listener limits and registration")
struct HTTPLimitsTests {
    @Test("100 parallel registrations of a taken name are 409 without hashing: logins meanwhile are not 503 busy")
    func takenNamesSpendNoHash() async throws {
        let stack = try await TestStack(
            backing: .memory,
            scrypt: .init(logN: 12, r: 8, p: 1), hashing: .init(threads: 1, queueLimit: 4))
        let (user, _) = try await stack.account()
        try await withServer(stack: stack) { client in
            let port = try #require(client.port)
            // Each request on a connection of its own, so they really run at once.
            @Sendable func post(_ path: String, _ json: String) async throws -> Int {
                let request = TestClient.Request(
                    path, method: .post, headers: jsonHeaders, body: ByteBuffer(string: json))
                return Int(
                    try await TestClient.withClient(host: "127.0.0.1", port: port) { try await $0.execute(request) }
                        .status.code)
            }
            let statuses = try await withThrowingTaskGroup(of: (Bool, Int).self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        let email = "\(TestDatabase.uniqueName())@example.com"
                        let body = #"{"username":"\#(user.username)","email":"\#(email)","password":"long enough pw"}"#
                        return (false, try await post("/register", body))
                    }
                }
                for _ in 0..<3 {
                    group.addTask {
                        (
                            true,
                            try await post("/login", #"{"username":"\#(user.username)","password":"long enough pw"}"#)
                        )
                    }
                }
                return try await group.reduce(into: [(Bool, Int)]()) { $0.append($1) }
            }
            #expect(statuses.filter { !$0.0 }.allSatisfy { $0.1 == 409 })
            #expect(statuses.filter { $0.0 }.map(\.1) == [200, 200, 200])
        }
    }

    @Test("registrations are rate-limited per address")
    func registrationLimit() async throws {
        let stack = try await TestStack(
            backing: .memory,
            configuration: .init(registrationLimit: .init(burst: 3, perSecond: 0.001)))
        try await withServer(stack: stack) { client in
            for _ in 0..<3 { #expect(try await client.register(TestDatabase.uniqueName()).status == .created) }
            let limited = try await client.register(TestDatabase.uniqueName())
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorCode == "rate_limited")
        }
    }

    @Test("connections beyond http.max_connections are closed, and a place freed serves again")
    func connectionCap() async throws {
        let stack = try await TestStack(backing: .memory)
        let limit = HTTPConnectionLimit(maximum: 3)
        // The idle timeout is far past the test's length: only the cap closes anything here (with a
        // short one, a suite loading the machine let it close connections before the cap was
        // checked; it has a test of its own below).
        let app = Application(
            router: HTTPFrontEnd(service: stack.service).router(),
            server: .http1(
                configuration: .init(additionalChannelHandlers: [limit.handler()], idleTimeout: .seconds(120))),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let healthz = try await TestClient.withClient(host: "127.0.0.1", port: port) {
                try await $0.execute(TestClient.Request("/healthz", method: .get, headers: [:], body: ByteBuffer()))
            }
            #expect(healthz.status == .ok)
            // That request's connection is closed; its place follows once the server tore it down.
            // The test client's own connection may still hold one.
            for _ in 0..<50 where limit.count > 1 { try await Task.sleep(for: .milliseconds(100)) }
            let held = limit.count
            #expect(held <= 1, "only the test client's own connection, if any, holds a place")
            // Four raw sockets against the places left: those beyond the cap are closed.
            var sockets: [RawSocket] = []
            for _ in 0..<4 { sockets.append(try await RawSocket(port: port)) }
            let expected = 3 - held
            var open = sockets.filter { $0.isOpen() }
            for _ in 0..<100 where open.count > expected {
                try await Task.sleep(for: .milliseconds(50))
                open = sockets.filter { $0.isOpen() }
            }
            #expect(open.count == expected, "beyond the cap, connections are closed (\(open.count) open, \(held) held)")
            // Each connection kept is served.
            for socket in open {
                _ = socket.writeNonBlocking(Array("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n".utf8))
                #expect(try await socket.readLines(1).first == "HTTP/1.1 200 OK\r")
            }
            sockets.forEach { $0.close() }
            for _ in 0..<50 where limit.count > held { try await Task.sleep(for: .milliseconds(100)) }
            #expect(limit.count <= held, "the places are free again")
            let fresh = try await RawSocket(port: port)
            defer { fresh.close() }
            _ = fresh.writeNonBlocking(Array("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n".utf8))
            #expect(try await fresh.readLines(1).first == "HTTP/1.1 200 OK\r", "a new connection is served")
        }
        await stack.shutdown()
    }

    @Test("idle connections close after the idle timeout, and their places are freed")
    func idleTimeout() async throws {
        let stack = try await TestStack(backing: .memory)
        let limit = HTTPConnectionLimit(maximum: 100)
        let app = Application(
            router: HTTPFrontEnd(service: stack.service).router(),
            server: .http1(
                configuration: .init(additionalChannelHandlers: [limit.handler()], idleTimeout: .seconds(1))),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let sockets = [try await RawSocket(port: port), try await RawSocket(port: port)]
            defer { sockets.forEach { $0.close() } }
            for _ in 0..<100 where sockets.contains(where: { $0.isOpen() }) {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(!sockets.contains { $0.isOpen() }, "idle past the timeout")
            // The test client's own connection is idle too, so every place comes free.
            for _ in 0..<50 where limit.count != 0 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(limit.count == 0, "every place is free again")
        }
        await stack.shutdown()
    }

    @Test("slowloris: a trickled head or body closes the connection at its deadline; an idle keep-alive one is kept")
    func requestDeadlines() async throws {
        let stack = try await TestStack(backing: .memory)
        let deadlines = HTTPRequestDeadlines(head: .milliseconds(800), body: .milliseconds(800))
        let app = Application(
            router: HTTPFrontEnd(service: stack.service).router(),
            server: .http1(
                configuration: .init(additionalChannelHandlers: [deadlines.handler()], idleTimeout: .seconds(10))),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            /// Sends `start`, then one byte of `trickle` every 200 ms while the server keeps the
            /// connection; the seconds it stayed open after `start`.
            func heldOpen(_ start: String, trickle: String) async throws -> Double {
                let socket = try await RawSocket(port: port)
                defer { socket.close() }
                let began = ContinuousClock.now
                _ = socket.writeNonBlocking(Array(start.utf8))
                for byte in trickle.utf8 {
                    try await Task.sleep(for: .milliseconds(200))
                    guard socket.isOpen() else { break }
                    _ = socket.writeNonBlocking([byte])
                }
                for _ in 0..<50 where socket.isOpen() { try await Task.sleep(for: .milliseconds(100)) }
                let held = ContinuousClock.now - began
                return Double(held.components.seconds) + Double(held.components.attoseconds) / 1e18
            }
            // 60 header bytes at 5 a second would take 12 s; the head's deadline is 0.8 s (the
            // bound leaves room for a loaded machine's late sleeps).
            let head = try await heldOpen(
                "GET /healthz HTTP/1.1\r\n", trickle: "X-Slow: " + String(repeating: "a", count: 52))
            #expect(head < 5, "a trickled head is cut off (held \(head) s)")
            let body = try await heldOpen(
                "POST /register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{",
                trickle: String(repeating: " ", count: 59))
            #expect(body < 5, "a trickled body is cut off (held \(body) s)")

            // Served, then idle past both deadlines: still open, and it serves the next request.
            let socket = try await RawSocket(port: port)
            defer { socket.close() }
            let request = Array("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n".utf8)
            _ = socket.writeNonBlocking(request)
            #expect(try await socket.readLines(1).first == "HTTP/1.1 200 OK\r")
            try await Task.sleep(for: .milliseconds(1000))
            #expect(socket.isOpen(), "an idle keep-alive connection is the idle timeout's")
            _ = socket.writeNonBlocking(request)
            #expect(try await socket.readLines(1).first == "HTTP/1.1 200 OK\r")
        }
        await stack.shutdown()
    }
}
