import AuthCore
import AuthCrypto
import AuthLineProtocol
import AuthPostgres
import AuthTestSupport
import Foundation
import Synchronization
import Testing

@Suite("line protocol server")
struct LineServerTests {
    @Test("greeting, PING, unknown commands and garbage")
    func basics() async throws {
        try await withLineServer { port, _ in
            try await LineClient.with(port: port, skipGreeting: false) { (client: LineClient) async throws in
                #expect(try await client.readLine() == "VERSION\t1\t0")
                #expect(
                    try await client.readLine()
                        == "CAPS\tcommands=PING,VERIFY,HASROLE,HASPERM,HASSCOPE,AUTH,CLIENT,QUIT\tmax_line=16384\tmax_inflight=64"
                )
                try await client.send("PING\tp1\n")
                #expect(try await client.readLine() == "OK\tp1")
                try await client.send("FROB\tf1\targ\n")
                #expect(try await client.readLine() == "BAD\tf1\treason=unknown_command")
                try await client.send("this is not a request\n")
                #expect(try await client.readLine() == "BAD\t*\treason=bad_command")
                try await client.send("PING\tbad id\n")
                #expect(try await client.readLine() == "BAD\t*\treason=bad_id")
                try await client.send("PING\tp2\n")
                #expect(try await client.readLine() == "OK\tp2", "the connection stays open after BAD")
                try await client.send("QUIT\tq\n")
                #expect(try await client.readLine() == "OK\tq")
                #expect(try await client.readLine() == nil)
            }
        }
    }

    @Test("VERIFY and HASROLE answer from the token")
    func verify() async throws {
        try await withLineServer { port, stack in
            let (name, token) = try await stack.userWithToken()
            let claims = try stack.service.tokens.authorize(accessToken: token, for: .account)
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("VERIFY\tv1\t\(token)\n")
                #expect(
                    try await client.readLine()
                        == "OK\tv1\tuser=\(name)\tuid=\(claims.subject)\troles=user\texp=\(claims.expiresAt)\tsid=\(claims.sessionID ?? "none")"
                )
                try await client.send("VERIFY\tv2\t\(token)x\n")
                #expect(try await client.readLine() == "NO\tv2\treason=invalid_token")
                try await client.send("VERIFY\tv3\n")
                #expect(try await client.readLine() == "BAD\tv3\treason=wrong_argument_count")
                try await client.send("HASROLE\th1\t\(token)\tuser\n")
                #expect(try await client.readLine() == "OK\th1")
                try await client.send("HASROLE\th2\t\(token)\tadmin\n")
                #expect(try await client.readLine() == "NO\th2\treason=forbidden")
                try await client.send("HASROLE\th3\tgarbage\tuser\n")
                #expect(try await client.readLine() == "NO\th3\treason=invalid_token")
            }
        }
    }

    @Test("an expired token is NO reason=expired")
    func expired() async throws {
        let past = try await TestStack(backing: .memory, clock: { UnixTime.now() - 3600 })
        let (_, token) = try await past.userWithToken()
        await past.shutdown()
        try await withLineServer { port, _ in
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("VERIFY\te\t\(token)\n")
                #expect(try await client.readLine() == "NO\te\treason=expired")
            }
        }
    }

    @Test("AUTH: OK for the right password, byte-identical NO for wrong password and unknown user")
    func auth() async throws {
        try await withLineServer { port, stack in
            let (name, _) = try await stack.userWithToken(password: "line password 1")
            let good = Base64.standard.encode(Array("line password 1".utf8))
            let bad = Base64.standard.encode(Array("line password 2".utf8))
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("AUTH\ta1\tservice=imap\tuser=\(name)\tresp=\(good)\n")
                let ok = try #require(try await client.reply())
                #expect(ok.status == .ok)
                #expect(ok.attributes.first { $0.key == "user" }?.value == name)
                #expect(ok.attributes.first { $0.key == "roles" }?.value == "user")
                try await client.send("AUTH\tsame\tservice=imap\tuser=\(name)\tresp=\(bad)\n")
                let wrong = try await client.readLine()
                try await client.send("AUTH\tsame\tservice=imap\tuser=nobody-\(name)\tresp=\(good)\n")
                let unknown = try await client.readLine()
                #expect(wrong == "NO\tsame\treason=auth_failed")
                #expect(wrong == unknown)
                try await client.send("AUTH\tb1\tservice=imap\tuser=\(name)\tresp=%%%\n")
                #expect(try await client.readLine() == "BAD\tb1\treason=bad_resp")
                try await client.send("AUTH\tb2\tservice=imap\tresp=\(good)\tuser=\(name)\n")
                #expect(try await client.readLine() == "BAD\tb2\treason=resp_not_last")
                try await client.send("AUTH\tb3\tuser=\(name)\tresp=\(good)\n")
                #expect(try await client.readLine() == "BAD\tb3\treason=missing_argument")
                try await client.send("AUTH\tb4\tservice=imap\tuser=\(name)\tcolour=red\tresp=\(good)\n")
                #expect(try await client.readLine() == "BAD\tb4\treason=unknown_argument")
            }
        }
    }

    @Test("1,000 pipelined requests on one connection are all answered, each ID once")
    func pipelining() async throws {
        try await withLineServer { port, stack in
            let (name, token) = try await stack.userWithToken()
            let resp = Base64.standard.encode(Array("long enough pw".utf8))
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                var batch = ""
                var expected = Set<String>()
                for index in 0..<1000 {
                    let id = "r\(index)"
                    expected.insert(id)
                    switch index % 50 {
                    case 0: batch += "AUTH\t\(id)\tservice=imap\tuser=\(name)\tresp=\(resp)\n"
                    case 1: batch += "PING\t\(id)\n"
                    default: batch += "VERIFY\t\(id)\t\(token)\n"
                    }
                }
                try await client.send(batch)
                var seen: [String] = []
                for _ in 0..<1000 {
                    let reply = try #require(try await client.reply())
                    #expect(reply.status == .ok)
                    seen.append(reply.id)
                }
                #expect(seen.count == 1000)
                #expect(Set(seen) == expected)
            }
        }
    }

    @Test("requests split byte by byte or coalesced in one write are framed right")
    func framing() async throws {
        try await withLineServer { port, _ in
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                for byte in Array("PING\tsplit\n".utf8) {
                    try await client.sendBytes([byte])
                    try await Task.sleep(for: .milliseconds(2))
                }
                #expect(try await client.readLine() == "OK\tsplit")
                try await client.send("PING\tc1\nPING\tc2\r\nPING\tc3\n")
                #expect(try await client.readLine() == "OK\tc1")
                #expect(try await client.readLine() == "OK\tc2")
                #expect(try await client.readLine() == "OK\tc3")
            }
        }
    }

    @Test("16 KiB lines are read; one byte more is BAD line_too_long and closes")
    func lineLimit() async throws {
        try await withLineServer { port, _ in
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                let prefix = "VERIFY\tbig\t"
                try await client.send(prefix + String(repeating: "a", count: 16384 - prefix.utf8.count) + "\n")
                #expect(try await client.readLine() == "NO\tbig\treason=invalid_token")
                try await client.send(prefix + String(repeating: "a", count: 16385 - prefix.utf8.count) + "\n")
                #expect(try await client.readLine() == "BAD\t*\treason=line_too_long")
                #expect(try await client.readLine() == nil)
            }
        }
    }

    @Test("a slow-loris client does not hold up others")
    func slowLoris() async throws {
        try await withLineServer { port, _ in
            let lorisDone = Mutex(false)
            // 40 bytes of one line, one every 100 ms: the line is still unfinished 4 s later.
            let loris = Task {
                try await LineClient.with(port: port) { (client: LineClient) async throws in
                    for byte in Array("PING\t\(String(repeating: "s", count: 60))\n".utf8).prefix(40) {
                        try await client.sendBytes([byte])
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                lorisDone.withLock { $0 = true }
            }
            try await Task.sleep(for: .milliseconds(250))
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("PING\tquick\n")
                #expect(try await client.readLine() == "OK\tquick")
            }
            #expect(!lorisDone.withLock { $0 }, "answered while the slow client was still sending")
            try await loris.value
        }
    }

    @Test("10,000 random garbage lines never crash the server; a garbage-only connection is closed")
    func garbage() async throws {
        try await withLineServer { port, _ in
            var generator = SystemRandomNumberGenerator()
            var payload: [UInt8] = []
            for _ in 0..<10_000 {
                let length = Int.random(in: 0..<80, using: &generator)
                payload += (0..<length).map { _ in
                    let byte = UInt8.random(in: 0...255, using: &generator)
                    return byte == UInt8(ascii: "\n") ? UInt8(ascii: "\t") : byte
                }
                payload.append(UInt8(ascii: "\n"))
            }
            let socket = try await RawSocket(port: port)
            defer { socket.close() }
            _ = socket.writeNonBlocking(payload)
            let lines = try await socket.readLines(10_000)
            #expect(lines.count <= 2 + 16 + 1, "closed after 16 lines that did not parse")
            #expect(lines.dropFirst(2).dropLast().allSatisfy { $0.hasPrefix("BAD\t") })
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                try await client.send("PING\tnew\n")
                #expect(try await client.readLine() == "OK\tnew")
            }
        }
    }

    @Test("idle connections are closed after the idle timeout")
    func idleTimeout() async throws {
        try await withLineServer(.init(port: 0, idleTimeout: .milliseconds(300))) { port, _ in
            try await LineClient.with(port: port) { (client: LineClient) async throws in
                let start = ContinuousClock.now
                #expect(try await client.readLine() == nil)
                #expect(ContinuousClock.now - start < .seconds(3))
            }
        }
    }

    @Test("connections beyond the maximum get TEMP too_many_connections")
    func maximumConnections() async throws {
        try await withLineServer(.init(port: 0, maximumConnections: 2)) { port, _ in
            try await LineClient.with(port: port) { (first: LineClient) async throws in
                try await LineClient.with(port: port) { (second: LineClient) async throws in
                    try await LineClient.with(port: port, skipGreeting: false) { (third: LineClient) async throws in
                        #expect(try await third.readLine() == "TEMP\t*\treason=too_many_connections")
                        #expect(try await third.readLine() == nil)
                    }
                    try await second.send("PING\ts\n")
                    #expect(try await second.readLine() == "OK\ts")
                }
                try await first.send("PING\tf\n")
                #expect(try await first.readLine() == "OK\tf")
            }
        }
    }

    @Test("shutdown with 50 open idle connections finishes within 5 s and closes them")
    func shutdownWithIdleConnections() async throws {
        let (opened, openedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let clients = Task {
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        try await LineClient.with(port: port) { (client: LineClient) async throws in
                            openedContinuation.yield()
                            return try await client.readLine() == nil
                        }
                    }
                }
                for try await closedByServer in group { #expect(closedByServer) }
            }
        }
        let elapsed = try await withLineServer { port, _ in
            portContinuation.yield(port)
            var count = 0
            for await _ in opened {
                count += 1
                if count == 50 { break }
            }
        }
        #expect(elapsed < .seconds(5))
        try await clients.value
    }
}
