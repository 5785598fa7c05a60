import AuthCore
import AuthTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AuthHTTP

@Suite("GET /mail/auth for nginx's mail proxy")
struct MailAuthTests {
    static let backends = MailBackends(["imap": .init(address: IPAddress("192.0.2.143")!, port: 143)])
    /// imap with a lockout after two failures; http (the test accounts' logins) with the password.
    static let lockout = AuthService.StackSource.files([
        "imap": (
            file: "stacks/imap",
            text: "auth required lockout attempts=2 window=15m lock=15m\nauth required password\nauth required active"
        ),
        "http": (file: "stacks/http", text: "auth required password"),
    ])

    /// nginx's request for `user` with `password` (URL-escaped as nginx sends them).
    func headers(_ user: String, _ password: String, client: String = "198.51.100.7", method: String = "plain")
        -> HTTPFields
    {
        var fields = HTTPFields()
        fields[MailHeader.method] = method
        fields[MailHeader.user] = URLEncoding.component(user)
        fields[MailHeader.password] = URLEncoding.component(password)
        fields[MailHeader.protocolName] = "imap"
        fields[HTTPFields.Element.Name("Auth-Login-Attempt")!] = "1"
        fields[MailHeader.clientIP] = client
        return fields
    }

    @Test("OK names the protocol's backend; a wrong password, an unknown user and a locked account are alike")
    func answers() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.lockout)
        let (user, _) = try await stack.account()
        try await withServer(stack: stack, mailBackends: Self.backends) { client in
            let ok = try await client.execute(
                uri: "/mail/auth", method: .get, headers: headers(user.username, TestStack.password))
            #expect(ok.status == .ok)
            #expect(ok.headers[MailHeader.status] == "OK")
            #expect(ok.headers[MailHeader.server] == "192.0.2.143" && ok.headers[MailHeader.port] == "143")
            var refusals: [HTTPFields] = []
            for (name, password) in [(user.username, "wrong"), ("nobody-\(user.username)", TestStack.password)] {
                let refused = try await client.execute(
                    uri: "/mail/auth", method: .get, headers: headers(name, password))
                #expect(refused.status == .ok)
                refusals.append(refused.headers)
            }
            _ = try await client.execute(uri: "/mail/auth", method: .get, headers: headers(user.username, "wrong"))
            let locked = try await client.execute(
                uri: "/mail/auth", method: .get, headers: headers(user.username, TestStack.password))
            refusals.append(locked.headers)
            for refusal in refusals {
                #expect(refusal[MailHeader.status] == "Invalid login or password")
                #expect(refusal[MailHeader.wait] == "3")
                #expect(refusal[MailHeader.server] == nil)
            }
        }
    }

    @Test(
        "Client-IP is the lockout's address only from a configured nginx mail proxy (nginx_mail.proxies), not from an HTTP trusted proxy"
    )
    func clientAddress() async throws {
        let everyProxy = ForwardedClient(trustedProxies: [IPNetwork("127.0.0.1/32")!])
        for trusted in [false, true] {
            let stack = try await TestStack(backing: .memory, stacks: Self.lockout)
            let (user, _) = try await stack.account()
            var backends = Self.backends
            backends.proxies = trusted ? [IPNetwork("127.0.0.1/32")!] : []
            try await withServer(stack: stack, forwarded: everyProxy, mailBackends: backends) { client in
                for _ in 0..<2 {
                    _ = try await client.execute(
                        uri: "/mail/auth", method: .get, headers: headers(user.username, "wrong", client: "192.0.2.9"))
                }
                let elsewhere = try await client.execute(
                    uri: "/mail/auth", method: .get,
                    headers: headers(user.username, TestStack.password, client: "192.0.2.10"))
                #expect(elsewhere.headers[MailHeader.status] == (trusted ? "OK" : "Invalid login or password"))
            }
        }
    }

    @Test("the per-address attempt limit counts the mail client nginx names, not nginx")
    func attemptLimitByClient() async throws {
        let stack = try await TestStack(
            backing: .memory,
            stacks: Self.lockout, configuration: .init(attemptLimit: .init(burst: 2, perSecond: 0.001)))
        let (user, _) = try await stack.account()
        var backends = Self.backends
        backends.proxies = [IPNetwork("127.0.0.1/32")!]
        try await withServer(stack: stack, mailBackends: backends) { client in
            var statuses: [String?] = []
            for _ in 0..<3 {
                let answer = try await client.execute(
                    uri: "/mail/auth", method: .get, headers: headers("nobody-x", "wrong", client: "192.0.2.9"))
                statuses.append(answer.headers[MailHeader.status])
            }
            #expect(statuses.last == "Temporary server problem, try again later", "\(statuses)")
            let other = try await client.execute(
                uri: "/mail/auth", method: .get,
                headers: headers(user.username, TestStack.password, client: "192.0.2.10"))
            #expect(other.headers[MailHeader.status] == "OK", "another mail client behind the same nginx")
        }
    }

    @Test(
        "bad requests: missing headers 400, another method or an undecodable login refused, no route without backends")
    func badInput() async throws {
        let stack = try await TestStack(backing: .memory)
        let (user, _) = try await stack.account()
        try await withServer(stack: stack, mailBackends: Self.backends) { client in
            var missing = headers(user.username, TestStack.password)
            missing[MailHeader.password] = nil
            #expect(try await client.execute(uri: "/mail/auth", method: .get, headers: missing).status == .badRequest)
            var smtps = headers(user.username, TestStack.password)
            smtps[MailHeader.protocolName] = "smtps"
            #expect(try await client.execute(uri: "/mail/auth", method: .get, headers: smtps).status == .badRequest)
            let unknownMethod = headers(user.username, TestStack.password, method: "digest")
            #expect(
                try await client.execute(uri: "/mail/auth", method: .get, headers: unknownMethod).status == .badRequest)
            let apop = try await client.execute(
                uri: "/mail/auth", method: .get, headers: headers(user.username, TestStack.password, method: "apop"))
            #expect(apop.headers[MailHeader.status] == "Unsupported authentication method")
            var undecodable = headers(user.username, TestStack.password)
            undecodable[MailHeader.password] = "%zz"
            let refused = try await client.execute(uri: "/mail/auth", method: .get, headers: undecodable)
            #expect(refused.headers[MailHeader.status] == "Invalid login or password")
            var pop3 = headers(user.username, TestStack.password)
            pop3[MailHeader.protocolName] = "pop3"
            let noBackend = try await client.execute(uri: "/mail/auth", method: .get, headers: pop3)
            #expect(noBackend.headers[MailHeader.status] == "Temporary server problem, try again later")
        }
        try await withServer { client in
            let response = try await client.execute(
                uri: "/mail/auth", method: .get, headers: headers("x", "y"))
            #expect(response.status == .notFound)
        }
    }
}
