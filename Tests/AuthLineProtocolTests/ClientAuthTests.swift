import AuthCore
import AuthCrypto
import AuthLineProtocol
import AuthTestSupport
import Testing

@Suite("line protocol: CLIENT handshake for non-loopback listeners")
struct ClientAuthTests {
    static let key = "k3y-that-is-long-and-random-0123456789abcdef"

    func configuration() throws -> LineServer.Configuration {
        LineServer.Configuration(
            port: 0,
            clients: [
                try LineClientKey(name: "mail", key: Self.key, services: ["imap"]),
                try LineClientKey(name: "any", key: Self.key + "-2"),
            ],
            requiresClient: true)
    }

    @Test("nothing but CLIENT and QUIT before CLIENT; a wrong key or name is refused alike")
    func handshake() async throws {
        try await withLineServer(try configuration()) { port, stack in
            let (name, token) = try await stack.userWithToken(password: "client password 1")
            let resp = Base64.standard.encode(Array("client password 1".utf8))
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("VERIFY\t1\t\(token)\n")
                #expect(try await client.readLine() == "NO\t1\treason=client_auth_required")
                try await client.send("PING\t2\n")
                #expect(try await client.readLine() == "NO\t2\treason=client_auth_required")
            }
            let wrongKey = try await Self.failedHandshake(port: port, "CLIENT\t3\tname=mail\tkey=wrong\n")
            let wrongName = try await Self.failedHandshake(port: port, "CLIENT\t3\tname=nobody\tkey=\(Self.key)\n")
            #expect(wrongKey == "NO\t3\treason=client_auth_failed")
            #expect(wrongKey == wrongName)
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("CLIENT\t4\tname=mail\tkey=\(Self.key)\n")
                #expect(try await client.readLine() == "OK\t4")
                try await client.send("VERIFY\t5\t\(token)\n")
                #expect(try await client.reply()?.status == .ok)
                try await client.send("AUTH\t6\tservice=imap\tuser=\(name)\tresp=\(resp)\n")
                #expect(try await client.reply()?.status == .ok)
                try await client.send("AUTH\t7\tservice=ssh\tuser=\(name)\tresp=\(resp)\n")
                #expect(try await client.readLine() == "NO\t7\treason=service_not_allowed")
            }
        }
    }

    /// The reply to one CLIENT line on a new connection, which must then be closed.
    static func failedHandshake(port: Int, _ line: String) async throws -> String? {
        try await LineClient.with(port: port) { (client: LineClient) async throws in
            try await client.send(line)
            let reply = try await client.readLine()
            #expect(try await client.readLine() == nil, "a failed CLIENT closes the connection")
            return reply
        }
    }

    @Test("successful CLIENT handshakes cost nothing: a helper connecting per login never runs out")
    func successesFree() async throws {
        let slow = RateLimiter.Configuration(burst: 2, perSecond: 0.001)
        try await withLineServer(try configuration(), clientAttempts: slow) { port, _ in
            for attempt in 0..<12 {
                let reply = try await LineClient.with(port: port) { (client: LineClient) async throws in
                    try await client.send("CLIENT\t\(attempt)\tname=mail\tkey=\(Self.key)\n")
                    return try await client.readLine()
                }
                #expect(reply == "OK\t\(attempt)")
            }
        }
    }

    @Test("failed CLIENT attempts from one address are limited: past the burst, TEMP without a look at the key")
    func throttled() async throws {
        let slow = RateLimiter.Configuration(burst: 10, perSecond: 0.001)
        try await withLineServer(try configuration(), clientAttempts: slow) { port, _ in
            var replies: [String] = []
            for attempt in 0..<12 {
                replies.append(
                    try await Self.failedHandshake(port: port, "CLIENT\t\(attempt)\tname=mail\tkey=guess\(attempt)\n")
                        ?? "closed")
            }
            #expect(replies.prefix(10).allSatisfy { $0.hasSuffix("reason=client_auth_failed") })
            #expect(replies.suffix(2) == ["TEMP\t10\treason=rate_limited", "TEMP\t11\treason=rate_limited"])
            let good = try await Self.failedHandshake(port: port, "CLIENT\tg\tname=mail\tkey=\(Self.key)\n")
            #expect(good == "TEMP\tg\treason=rate_limited", "the right key too, until the bucket refills")
        }
    }

    @Test("a connection that does not send CLIENT in time is closed")
    func deadline() async throws {
        var configuration = try configuration()
        configuration.clientDeadline = .seconds(2)
        try await withLineServer(configuration) { port, _ in
            let start = ContinuousClock.now
            let socket = try await RawSocket(port: port)
            defer { socket.close() }
            #expect(try await socket.readLines(4).dropFirst(2) == ["NO\t*\treason=client_auth_timeout"], "then closed")
            #expect(ContinuousClock.now - start < .seconds(8))
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                // A twin opened after it that never authenticates: once the deadline has closed the
                // twin, the client's own deadline has passed too, with no fixed wait.
                let twin = try await RawSocket(port: port)
                defer { twin.close() }
                try await client.send("CLIENT\t1\tname=mail\tkey=\(Self.key)\n")
                #expect(try await client.readLine() == "OK\t1")
                #expect(try await twin.readLines(4).dropFirst(2) == ["NO\t*\treason=client_auth_timeout"])
                try await client.send("PING\t2\n")
                #expect(try await client.readLine() == "OK\t2", "an authenticated connection has no deadline")
            }
        }
    }

    @Test("idle unauthenticated sockets cannot lock a real client out: the oldest makes way")
    func unauthenticatedCap() async throws {
        var configuration = try configuration()
        configuration.maximumUnauthenticated = 4
        configuration.maximumConnections = 8
        try await withLineServer(configuration) { port, _ in
            // Eight idle sockets: the limit of connections, but only four may wait for CLIENT.
            let idle = try await (0..<8).asyncMap { _ in try await RawSocket(port: port) }
            var open = idle
            for _ in 0..<100 where open.count > 4 {
                try await Task.sleep(for: .milliseconds(50))
                open = idle.filter { $0.isOpen() }
            }
            #expect(open.count == 4, "the four oldest were closed to make room")
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("CLIENT\t1\tname=mail\tkey=\(Self.key)\n")
                #expect(try await client.readLine() == "OK\t1")
                try await client.send("PING\t2\n")
                #expect(try await client.readLine() == "OK\t2")
            }
            idle.forEach { $0.close() }
        }
    }

    @Test("rip= is the address the stack sees, from an authenticated client only")
    func remoteAddress() async throws {
        let ssh =
            "auth requisite source cidr=10.0.0.0/8\nauth required password\naccount required source cidr=10.0.0.0/8"
        let stack = try await TestStack(
            backing: .memory,
            stacks: .files([
                "ssh": (file: "stacks/ssh", text: ssh),
                "http": (file: "stacks/http", text: "auth required password"),
            ]))
        var configuration = try configuration()
        configuration.requiresClient = false
        try await withLineServer(configuration, stack: stack) { port, stack in
            let (name, token) = try await stack.userWithToken(password: "client password 1")
            let resp = Base64.standard.encode(Array("client password 1".utf8))
            func line(_ id: String, _ extra: String) -> String {
                "AUTH\t\(id)\tservice=ssh\tuser=\(name)\(extra)\tresp=\(resp)\n"
            }
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send(line("1", "\trip=10.1.2.3"))
                #expect(
                    try await client.readLine() == "NO\t1\treason=client_auth_required", "nobody's rip= before CLIENT")
                try await client.send("VERIFY\t2\t\(token)\tservice=ssh\trip=10.1.2.3\n")
                #expect(try await client.readLine() == "NO\t2\treason=client_auth_required")
                try await client.send("CLIENT\t3\tname=any\tkey=\(Self.key)-2\n")
                #expect(try await client.readLine() == "OK\t3")
                try await client.send(line("4", ""))
                #expect(
                    try await client.readLine() == "NO\t4\treason=auth_failed", "the peer, 127.0.0.1, is not allowed")
                try await client.send(line("5", "\trip=10.1.2.3"))
                #expect(try await client.reply()?.status == .ok)
                try await client.send(line("6", "\trip=::ffff:10.9.9.9"))
                #expect(try await client.reply()?.status == .ok)
                try await client.send(line("7", "\trip=10.1.2.3:22"))
                #expect(try await client.readLine() == "BAD\t7\treason=bad_rip")
                try await client.send(line("8", "\trip=1.2.3.4\trip=10.1.2.3"))
                #expect(try await client.readLine() == "BAD\t8\treason=unknown_argument")
                try await client.send("VERIFY\t9\t\(token)\tservice=ssh\n")
                #expect(try await client.readLine() == "NO\t9\treason=forbidden")
                try await client.send("VERIFY\t10\t\(token)\trip=10.1.2.3\tservice=ssh\n")
                #expect(try await client.reply()?.status == .ok)
                try await client.send("HASROLE\t11\t\(token)\tuser\tservice=ssh\trip=10.1.2.3\n")
                #expect(try await client.readLine() == "OK\t11")
                try await client.send("VERIFY\t12\t\(token)\trip=10.1.2.3\n")
                #expect(try await client.readLine() == "BAD\t12\treason=unknown_argument", "rip= without a service")
            }
        }
    }

    @Test("configured entries parse as name:sha256:services")
    func configuredEntries() throws {
        let hash = try Digest.sha256Hex(Array(Self.key.utf8))
        #expect(LineClientKey(configured: "mail:\(hash):imap+smtp")?.services == ["imap", "smtp"])
        #expect(LineClientKey(configured: "mail:\(hash)")?.services == nil)
        #expect(LineClientKey(configured: "mail:abc") == nil)
        #expect(LineClientKey(configured: "mail:" + String(repeating: "+f", count: 32)) == nil, "no signs in hex")
        #expect(LineClientKey(configured: ":\(hash)") == nil)
        #expect(LineClientKey(configured: "mail:\(String(repeating: "z", count: 64))") == nil)
    }
}
