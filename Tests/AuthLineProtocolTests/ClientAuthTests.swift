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
                try await client.send("CLIENT\t3\tname=mail\tkey=wrong\n")
                let wrongKey = try await client.readLine()
                try await client.send("CLIENT\t3\tname=nobody\tkey=\(Self.key)\n")
                let wrongName = try await client.readLine()
                #expect(wrongKey == "NO\t3\treason=client_auth_failed")
                #expect(wrongKey == wrongName)
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

    @Test("configured entries parse as name:sha256:services")
    func configuredEntries() throws {
        let hash = try Digest.sha256Hex(Array(Self.key.utf8))
        #expect(LineClientKey(configured: "mail:\(hash):imap+smtp")?.services == ["imap", "smtp"])
        #expect(LineClientKey(configured: "mail:\(hash)")?.services == nil)
        #expect(LineClientKey(configured: "mail:abc") == nil)
        #expect(LineClientKey(configured: ":\(hash)") == nil)
        #expect(LineClientKey(configured: "mail:\(String(repeating: "z", count: 64))") == nil)
    }
}
