import AuthCore
import AuthHTTP
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting

/// Runs `body` against a live server on a free loopback port, backed by the test database.
func withServer(
    maximumBodySize: Int = 64 * 1024, stack: TestStack? = nil, readiness: (any ReadinessProbe)? = nil,
    forwarded: ForwardedClient = .init(), maximumImportSize: Int = 1 << 30,
    mailBackends: MailBackends = .init(), issuer: String = "http://127.0.0.1:5000",
    _ body: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    let stack = try await { () async throws -> TestStack in
        if let stack { return stack }
        return try await TestStack(backing: .memory)
    }()
    let app = Application(
        router: HTTPFrontEnd(
            service: stack.service, admin: stack.admin,
            configuration: .init(
                maximumBodySize: maximumBodySize, forwarded: forwarded, issuer: issuer,
                maximumImportSize: maximumImportSize, mailBackends: mailBackends),
            readiness: readiness, portal: stack.portal, passwordReset: stack.assembly.passwordReset,
            emailVerification: stack.assembly.emailVerification, signInByMail: stack.assembly.signInByMail,
            proofs: stack.assembly.proofs
        ).router(),
        configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    do {
        try await app.test(.live) { client in try await body(client) }
    } catch {
        await stack.shutdown()
        throw error
    }
    await stack.shutdown()
}

let jsonHeaders: HTTPFields = [.contentType: "application/json"]

extension TestClientProtocol {
    func post(_ uri: String, json: String, headers: HTTPFields = jsonHeaders) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    /// A request with an optional bearer token and an optional JSON body.
    func send(_ method: HTTPRequest.Method, _ uri: String, token: String?, json: String? = nil) async throws
        -> TestResponse
    {
        var headers: HTTPFields = json == nil ? [:] : jsonHeaders
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    func get(_ uri: String, token: String?) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: token.map { [.authorization: "Bearer \($0)"] } ?? [:])
    }

    func register(_ name: String, password: String = "long enough pw", email: String? = nil) async throws
        -> TestResponse
    {
        try await post(
            "/register",
            json: #"{"username":"\#(name)","email":"\#(email ?? name + "@example.com")","password":"\#(password)"}"#)
    }

    func login(_ name: String, password: String = "long enough pw") async throws -> TestResponse {
        try await post("/login", json: #"{"username":"\#(name)","password":"\#(password)"}"#)
    }
}

extension TestResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// `error.code` of an error response.
    var errorCode: String? {
        (json["error"] as? [String: Any])?["code"] as? String
    }

    var bodyText: String { String(buffer: body) }
}
