import AuthHooks
import AuthLineProtocol
import Dispatch
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("a server helper's link to authd")
struct HelperLinkTests {
    /// Runs blocking socket code off Swift's cooperative pool (the server under test runs on it too).
    func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }

    @Test("pipelined requests of every kind get their own replies, in order")
    func pipelined() async throws {
        try await withLineServer { port, stack in
            let (name, token) = try await stack.userWithToken(password: "helper password 1")
            let replies = await blocking {
                let link = HelperLink(.init(address: "127.0.0.1:\(port)")) { _ in }
                return link.exchange([
                    LineRequest(command: "AUTH", id: "x", fields: []),
                    .auth(service: "imap", user: name, password: Array("helper password 1".utf8)),
                    LineRequest(command: "VERIFY", id: "x", fields: [token]),
                    LineRequest(command: "VERIFY", id: "x", fields: [token + "x"]),
                    LineRequest(command: "PING", id: "x"),
                ])
            }
            #expect(replies.map { $0?.status } == [.bad, .ok, .ok, .no, .ok])
            #expect(replies[1]?.attributes.first?.value == name)
            #expect(replies[2]?.attributes.first?.value == name)
        }
    }

    @Test("a connection the server closed while idle is replaced before the next request, which is answered")
    func idleClose() async throws {
        var configuration = LineServer.Configuration(port: 0)
        configuration.idleTimeout = .milliseconds(300)
        try await withLineServer(configuration) { port, _ in
            let logged = Mutex<[String]>([])
            let (first, second) = await blocking {
                let link = HelperLink(.init(address: "127.0.0.1:\(port)")) { line in logged.withLock { $0.append(line) }
                }
                let ping = [LineRequest(command: "PING", id: "1")]
                let first = link.exchange(ping)
                usleep(800_000)
                return (first, link.exchange(ping))
            }
            #expect(first.map { $0?.status } == [.ok])
            #expect(second.map { $0?.status } == [.ok])
            #expect(logged.withLock { $0 }.isEmpty)
        }
    }

    @Test("while authd is unreachable every request gets nil, with one log line, and no new attempt within the backoff")
    func unreachable() async throws {
        let logged = Mutex<[String]>([])
        let replies = await blocking {
            // Port 1 on loopback: nothing listens there, the connection is refused at once.
            let link = HelperLink(.init(address: "127.0.0.1:1", initialBackoff: .seconds(30))) { line in
                logged.withLock { $0.append(line) }
            }
            let ping = [LineRequest(command: "PING", id: "1"), LineRequest(command: "PING", id: "2")]
            let start = ContinuousClock.now
            let replies = (0..<100).flatMap { _ in link.exchange(ping) }
            return (replies, ContinuousClock.now - start)
        }
        #expect(replies.0.count == 200)
        #expect(replies.0.allSatisfy { $0 == nil })
        #expect(replies.1 < .seconds(1), "within the backoff nothing is tried")
        #expect(logged.withLock { $0 }.count == 1)
    }
}
