import AuthLineProtocol
import AuthTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("line protocol: what a client cannot make the server hold")
struct LineLimitsTests {
    @Test("a connection sending only lines that do not parse is closed after 16")
    func garbage() async throws {
        try await withLineServer { port, _ in
            let socket = try await RawSocket(port: port)
            defer { socket.close() }
            _ = socket.writeNonBlocking(Array(repeating: UInt8(ascii: "\n"), count: 64 * 1024))
            let lines = try await socket.readLines(100)
            #expect(lines.prefix(2).map { $0.prefix(4) } == ["VERS", "CAPS"])
            #expect(lines.dropFirst(2).prefix(16).allSatisfy { $0 == "BAD\t*\treason=empty_line" })
            #expect(lines.last == "BAD\t*\treason=too_many_errors")
            #expect(lines.count == 2 + 16 + 1, "then nothing more: the connection is closed")
        }
    }

    @Test("a valid request resets the count of lines that did not parse")
    func garbageInterleaved() async throws {
        try await withLineServer { port, _ in
            let socket = try await RawSocket(port: port)
            defer { socket.close() }
            let batch = String(repeating: String(repeating: "\n", count: 15) + "PING\tp\n", count: 10)
            _ = socket.writeNonBlocking(Array(batch.utf8))
            let lines = try await socket.readLines(2 + 160)
            #expect(lines.filter { $0 == "OK\tp" }.count == 10)
            #expect(socket.isOpen())
        }
    }

    @Test("pipelining into a client that does not read: the server stops reading, then answers every line")
    func backpressure() async throws {
        try await withLineServer { port, _ in
            let socket = try await RawSocket(port: port, bufferSize: 16 * 1024)
            defer { socket.close() }
            // Long IDs: as many bytes as short ones would take, in a tenth of the requests.
            let id = String(repeating: "p", count: 60)
            let line = "PING\t\(id)\n"
            let chunk = Array(String(repeating: line, count: 1024).utf8)
            let size = line.utf8.count
            var written = 0
            var refusedSince: ContinuousClock.Instant?
            let deadline = ContinuousClock.now + .seconds(60)
            // Write until the kernel has taken nothing for half a second: the server stopped reading.
            while ContinuousClock.now < deadline {
                let count = socket.writeNonBlocking(Array(chunk[(written % size)...]))
                if count > 0 {
                    written += count
                    refusedSince = nil
                } else if let since = refusedSince {
                    if ContinuousClock.now - since > .milliseconds(500) { break }
                } else {
                    refusedSince = .now
                }
                if count <= 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(ContinuousClock.now < deadline, "the server stopped taking requests")
            let sent = written / size
            let replies = try await socket.readLines(2 + sent).dropFirst(2)
            #expect(replies.count == sent, "every complete line is answered once the client reads")
            #expect(replies.allSatisfy { $0 == "OK\t\(id)" })
        }
    }
}
