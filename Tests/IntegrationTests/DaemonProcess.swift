import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// A real `authd` process on free loopback ports, logging to a file, stopped with SIGTERM.
final class DaemonProcess: @unchecked Sendable {
    // Safe to share: every stored property is set once in `start` and never mutated; `Process`
    // is only touched again by `stop`, which the owning test calls once.
    let process: Process
    let log: URL
    let httpPort: Int
    let linePort: Int

    private init(process: Process, log: URL, httpPort: Int, linePort: Int) {
        self.process = process
        self.log = log
        self.httpPort = httpPort
        self.linePort = linePort
    }

    /// One secret shared by every daemon of a test, as instances behind one load balancer share it.
    static func secretFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("authd-it-\(UUID())").path
        try Data(try randomBytes(48)).base64EncodedString().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func randomBytes(_ count: Int) throws -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255) }
    }

    /// Starts authd on ports it picks itself and waits until both front ends and the revocation
    /// listener are up (read from its log).
    static func start(
        databaseURL: String, secretFile: String, environment extra: [String: String] = [:]
    ) async throws -> DaemonProcess {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("authd-it-\(UUID()).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = executable("authd")
        process.environment = [
            "PATH": "/usr/bin:/bin", "AUTHD_DATABASE_URL": databaseURL, "AUTHD_JWT_SECRET_FILE": secretFile,
            "AUTHD_HTTP_ADDR": "127.0.0.1:0", "AUTHD_LINE_ADDR": "127.0.0.1:0",
            "AUTHD_DATABASE_MIGRATIONS_PATH": TestDatabase.migrationsDirectory,
            "AUTHD_PASSWORD_SCRYPT_LN": "10", "AUTHD_LIMITS_ATTEMPTS_BURST": "0", "AUTHD_LIMITS_REGISTER_BURST": "0",
            "AUTHD_LIMITS_ACCOUNT_FAILURES_BURST": "0",
        ].merging(extra) { _, new in new }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try output.close()

        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, process.isRunning {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let http = port(in: text, after: "HTTP API listening"),
                let line = port(in: text, after: "line protocol listening"),
                text.contains("revocation listener connected")
            {
                return DaemonProcess(process: process, log: log, httpPort: http, linePort: line)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw DaemonError("authd did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    /// The port of the `"address":"…:PORT"` of the JSON log line whose message is `marker`.
    private static func port(in log: String, after marker: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains(marker) {
            guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                event["message"] as? String == marker, let address = event["address"] as? String,
                let port = address.split(separator: ":").last
            else { continue }
            return Int(port)
        }
        return nil
    }

    func stop() async {
        process.terminate()
        let process = self.process
        await Task.detached { process.waitUntilExit() }.value
        try? FileManager.default.removeItem(at: log)
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    // MARK: Talking to it

    struct HTTPResult: Sendable {
        let status: Int
        let body: String

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    /// One HTTP request on a connection of its own.
    func http(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: String? = nil) async throws
        -> HTTPResult
    {
        var headers: HTTPFields = json == nil ? [:] : [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await http(method, path, headers: headers, body: json)
    }

    /// An OAuth form request, the client authenticated with HTTP Basic.
    func oauth(_ path: String, client: String, secret: String, form: String) async throws -> HTTPResult {
        let basic = "Basic " + Data("\(client):\(secret)".utf8).base64EncodedString()
        return try await http(
            .post, path, headers: [.contentType: "application/x-www-form-urlencoded", .authorization: basic],
            body: form)
    }

    func http(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields, body: String?) async throws
        -> HTTPResult
    {
        let request = TestClient.Request(
            path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        let response = try await TestClient.withClient(host: "127.0.0.1", port: httpPort) { client in
            try await client.execute(request)
        }
        return HTTPResult(status: Int(response.status.code), body: response.body.map { String(buffer: $0) } ?? "")
    }

    /// One line-protocol request and its reply, on a connection of its own.
    func line(_ request: String) throws -> String {
        try LineSocket(port: linePort).exchange(request)
    }
}

struct DaemonError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A blocking TCP client for one line-protocol exchange: reads the greeting, sends one line,
/// returns the reply line.
struct LineSocket {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw DaemonError("socket failed") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw DaemonError("connect failed")
        }
    }

    func exchange(_ request: String) throws -> String {
        defer { close(descriptor) }
        var received: [UInt8] = []
        func readLine() throws -> String {
            while true {
                if let newline = received.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: received[..<newline], as: UTF8.self)
                    received.removeSubrange(...newline)
                    return line
                }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = recv(descriptor, &chunk, chunk.count, 0)
                guard count > 0 else { throw DaemonError("connection closed before a reply") }
                received += chunk[..<count]
            }
        }
        _ = try readLine()  // greeting
        _ = try readLine()  // capabilities
        let bytes = Array((request + "\n").utf8)
        guard send(descriptor, bytes, bytes.count, 0) == bytes.count else { throw DaemonError("send failed") }
        return try readLine()
    }
}
