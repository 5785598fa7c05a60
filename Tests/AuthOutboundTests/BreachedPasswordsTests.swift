import AuthCore
import AuthCrypto
import AuthOutbound
import AuthTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// The Pwned Passwords check against a local range server (no test reaches the internet) and a
/// local copy of the ranges.
@Suite("breached passwords by k-anonymity")
struct BreachedPasswordsTests {
    static let breached = "correct horse battery staple"
    static let logger = Logger(label: "test")

    /// The password's SHA-1 in upper-case hex, as the range API lists it.
    static func sha1(_ password: String) throws -> String {
        try Digest.hash(.sha1, Array(password.utf8)).map { String(format: "%02X", $0) }.joined()
    }

    /// A range: decoys, the breached password's suffix seen 3,861 times, and a padding line (count 0).
    static func range(for prefix: String) throws -> String {
        var lines = [
            String(repeating: "0", count: 35) + ":12", String(repeating: "F", count: 35) + ":0",
        ]
        let hash = try sha1(breached)
        if hash.hasPrefix(prefix) { lines.insert(String(hash.dropFirst(5)) + ":3861", at: 1) }
        return lines.joined(separator: "\r\n")
    }

    /// What the range server was asked: each request's path and its Add-Padding header.
    final class Requests: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// Runs `body` with a range server on a free loopback port; `delay` holds each answer.
    static func withRangeServer(
        delay: Duration = .zero, _ body: @Sendable (_ url: String, _ seen: Requests) async throws -> Void
    ) async throws {
        let seen = Requests()
        let router = Router()
        router.get("/range/:prefix") { request, context -> String in
            let prefix = try context.parameters.require("prefix")
            let padding = request.headers[HTTPField.Name("Add-Padding")!] ?? ""
            seen.append("\(request.uri.path) padding=\(padding)")
            if delay > .zero { try await Task.sleep(for: delay) }
            return try Self.range(for: prefix)
        }
        router.get("/huge/:prefix") { _, _ -> String in String(repeating: "A", count: 2 << 20) }
        router.get("/moved/:prefix") { request, _ -> Response in
            let prefix = request.uri.path.split(separator: "/").last.map(String.init) ?? ""
            return Response(status: .found, headers: [.location: "/range/\(prefix)"])
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body("http://127.0.0.1:\(port)", seen)
        }
    }

    @Test("a listed password is refused, others pass; only five hex digits of the hash leave, padded")
    func api() async throws {
        try await Self.withRangeServer { url, seen in
            let check = BreachedPasswords(
                source: PwnedPasswordsAPI(url: url + "/range/"), failOpen: false, logger: Self.logger)
            await #expect {
                try await check.check(Self.breached)
            } throws: { error in
                (error as? AuthError)?.code == .weakPassword && "\(error)".contains("3861")
            }
            try await check.check("a password nobody has leaked 8f2c")
            let requests = seen.all
            #expect(requests.count == 2)
            let hash = try Self.sha1(Self.breached)
            #expect(requests.first == "/range/\(hash.prefix(5)) padding=true")
            for request in requests {
                #expect(request.range(of: #"^/range/[0-9A-F]{5} padding=true$"#, options: .regularExpression) != nil)
                #expect(!request.contains("horse") && !request.contains(String(hash.dropFirst(5).prefix(8))))
            }
            let strict = BreachedPasswords(
                source: PwnedPasswordsAPI(url: url + "/range/"), failOpen: false, minimumCount: 5000,
                logger: Self.logger)
            try await strict.check(Self.breached)
        }
    }

    @Test("a source that is down, slow or too talkative: open lets the password through, closed refuses it")
    func failures() async throws {
        try await Self.withRangeServer(delay: .milliseconds(1500)) { url, _ in
            let sources: [PwnedPasswordsAPI] = [
                // A refused connection is retried until the deadline: it costs the whole timeout.
                // (The bound below is no timing test: it catches a hang, on a busy machine too.)
                PwnedPasswordsAPI(url: "http://127.0.0.1:1/range/", timeout: .milliseconds(500)),
                PwnedPasswordsAPI(url: url + "/range/", timeout: .milliseconds(300)),
                PwnedPasswordsAPI(url: url + "/huge/"),
                PwnedPasswordsAPI(url: url + "/missing/"),
                // A redirect is not followed: the answer must come from the configured host.
                PwnedPasswordsAPI(url: url + "/moved/"),
            ]
            for source in sources {
                let started = ContinuousClock.now
                try await BreachedPasswords(source: source, failOpen: true, logger: Self.logger).check(Self.breached)
                await #expect {
                    try await BreachedPasswords(source: source, failOpen: false, logger: Self.logger)
                        .check(Self.breached)
                } throws: { ($0 as? AuthError)?.code == .unavailable }
                #expect(ContinuousClock.now - started < .seconds(10), "\(source): \(ContinuousClock.now - started)")
            }
        }
    }

    @Test("a local copy of the ranges, one file per prefix; a missing file is no clean bill")
    func directory() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pwned-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let prefix = String(try Self.sha1(Self.breached).prefix(5))
        try Self.range(for: prefix).write(
            to: directory.appendingPathComponent("\(prefix).txt"), atomically: true, encoding: .utf8)
        let check = BreachedPasswords(
            source: PwnedPasswordsDirectory(directory: directory.path), failOpen: false, logger: Self.logger)
        await #expect {
            try await check.check(Self.breached)
        } throws: { ($0 as? AuthError)?.code == .weakPassword }
        await #expect {
            try await check.check("not in the copy at all")
        } throws: { ($0 as? AuthError)?.code == .unavailable }
    }

    @Test("registration goes through the check: 422 weak_password for a breached password")
    func registration() async throws {
        try await Self.withRangeServer { url, _ in
            let policy = PasswordPolicy(
                breached: BreachedPasswords(
                    source: PwnedPasswordsAPI(url: url + "/range/"), failOpen: false, logger: Self.logger))
            let stack = try await TestStack(backing: .memory, configuration: .init(passwordPolicy: policy))
            await #expect {
                _ = try await stack.service.register(
                    username: "leaky", email: "leaky@example.com", password: Self.breached)
            } throws: { ($0 as? AuthError)?.code == .weakPassword }
            let profile = try await stack.service.register(
                username: "careful", email: "careful@example.com", password: "a password nobody has leaked 8f2c")
            #expect(profile.username == "careful")
            await stack.shutdown()
        }
    }
}
