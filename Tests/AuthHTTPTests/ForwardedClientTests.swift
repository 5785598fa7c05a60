import AuthCore
import AuthHTTP
import AuthTestSupport
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@Suite("HTTP client address behind trusted proxies")
struct ForwardedClientTests {
    static let proxies = ForwardedClient(trustedProxies: [IPNetwork("127.0.0.0/8")!, IPNetwork("10.0.0.0/8")!])

    @Test("the header is believed from trusted peers only, walked from the nearest hop")
    func resolution() {
        let proxies = Self.proxies
        #expect(proxies.client(peer: "192.0.2.9", values: ["203.0.113.5"]) == "192.0.2.9", "an untrusted peer")
        #expect(proxies.client(peer: "127.0.0.1", values: []) == "127.0.0.1", "a trusted peer without a header")
        #expect(proxies.client(peer: "127.0.0.1", values: ["203.0.113.5"]) == "203.0.113.5")
        #expect(
            proxies.client(peer: "127.0.0.1", values: ["198.51.100.1, 203.0.113.5, 10.1.1.1"]) == "203.0.113.5",
            "what a client wrote at the left of the list is not believed")
        #expect(proxies.client(peer: "127.0.0.1", values: ["198.51.100.1", "203.0.113.5, 10.1.1.1"]) == "203.0.113.5")
        #expect(proxies.client(peer: "127.0.0.1", values: ["10.2.2.2, 10.1.1.1"]) == "10.2.2.2", "all trusted")
        #expect(proxies.client(peer: "127.0.0.1", values: ["203.0.113.5, garbage, 10.1.1.1"]) == "10.1.1.1")
        #expect(proxies.client(peer: "127.0.0.1", values: ["[2001:db8::1]:4711"]) == "2001:db8::1")
        #expect(proxies.client(peer: "127.0.0.1", values: ["203.0.113.5:8080"]) == "203.0.113.5")
        #expect(proxies.client(peer: "::ffff:127.0.0.1", values: ["::ffff:203.0.113.5"]) == "203.0.113.5")
        #expect(ForwardedClient().client(peer: "127.0.0.1", values: ["203.0.113.5"]) == "127.0.0.1", "none trusted")
    }

    @Test("RFC 7239 Forwarded: for= of each element, quoted, bracketed, with ports; other parameters ignored")
    func forwarded() {
        var proxies = Self.proxies
        proxies.header = .forwarded
        #expect(
            proxies.client(peer: "127.0.0.1", values: [#"for=192.0.2.60;proto=http;by=203.0.113.43"#])
                == "192.0.2.60")
        #expect(
            proxies.client(peer: "127.0.0.1", values: [#"for=198.51.100.1, For="[2001:db8:cafe::17]:4711""#])
                == "2001:db8:cafe::17")
        #expect(proxies.client(peer: "127.0.0.1", values: ["proto=https;for=10.9.9.9, for=10.1.1.1"]) == "10.9.9.9")
        #expect(proxies.client(peer: "127.0.0.1", values: ["for=unknown"]) == "127.0.0.1")
        #expect(proxies.client(peer: "127.0.0.1", values: ["by=10.1.1.1"]) == "127.0.0.1", "an element without for=")
    }

    /// Logins naming `forwardedFor` in X-Forwarded-For: the status of each.
    static func logins(_ forwarded: ForwardedClient, _ forwardedFor: [String]) async throws -> [HTTPResponse.Status] {
        let stack = try await TestStack(
            backing: .memory, configuration: .init(attemptLimit: .init(burst: 2, perSecond: 0.001)))
        let statuses = StatusList()
        try await withServer(stack: stack, forwarded: forwarded) { client in
            for address in forwardedFor {
                var headers = jsonHeaders
                headers[HTTPFields.Element.Name("X-Forwarded-For")!] = address
                let response = try await client.post(
                    "/login", json: #"{"username":"nobody","password":"wrong password"}"#, headers: headers)
                statuses.append(response.status)
            }
        }
        return statuses.all
    }

    final class StatusList: Sendable {
        private let list = Mutex<[HTTPResponse.Status]>([])
        func append(_ status: HTTPResponse.Status) { list.withLock { $0.append(status) } }
        var all: [HTTPResponse.Status] { list.withLock { $0 } }
    }

    @Test(
        "behind a trusted proxy each forwarded client has its own attempt limit; untrusted, the header changes nothing")
    func limitsPerForwardedClient() async throws {
        let clients = ["203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.2", "203.0.113.1"]
        #expect(
            try await Self.logins(Self.proxies, clients)
                == [.unauthorized, .unauthorized, .unauthorized, .unauthorized, .tooManyRequests])
        #expect(
            try await Self.logins(ForwardedClient(), clients)
                == [.unauthorized, .unauthorized, .tooManyRequests, .tooManyRequests, .tooManyRequests])
    }

    @Test("a session records the forwarded client's address")
    func sessionAddress() async throws {
        try await withServer(forwarded: Self.proxies) { client in
            let name = TestDatabase.uniqueName()
            #expect(try await client.register(name).status == .created)
            var headers = jsonHeaders
            headers[HTTPFields.Element.Name("X-Forwarded-For")!] = "2001:db8::77"
            let login = try await client.post(
                "/login", json: #"{"username":"\#(name)","password":"long enough pw"}"#, headers: headers)
            let token = try #require(login.json["access_token"] as? String)
            let sessions = try #require(
                try await client.get("/sessions", token: token).json["sessions"] as? [[String: Any]])
            #expect(sessions.first?["client_address"] as? String == "2001:db8::77")
        }
    }
}
