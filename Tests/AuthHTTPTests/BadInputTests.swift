import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP API: bad input gets a precise 4xx")
struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let body: String
        let code: String
        var testDescription: String { code + ": " + body.prefix(40) }
    }

    static let badBodies: [Case] = [
        Case(body: "", code: "malformed_json"),
        Case(body: "{", code: "malformed_json"),
        Case(body: "not json", code: "malformed_json"),
        Case(body: #"{"username":"a","username":}"#, code: "malformed_json"),
        Case(body: "[]", code: "invalid_body"),
        Case(body: #""text""#, code: "malformed_json"),
        Case(body: String(repeating: "[", count: 40) + String(repeating: "]", count: 40), code: "malformed_json"),
        Case(body: #"{"email":"a@b.co","password":"long enough pw"}"#, code: "missing_field"),
        Case(body: #"{"username":"alice","email":"a@b.co"}"#, code: "missing_field"),
        Case(body: #"{"username":42,"email":"a@b.co","password":"long enough pw"}"#, code: "wrong_type"),
        Case(body: #"{"username":null,"email":"a@b.co","password":"long enough pw"}"#, code: "wrong_type"),
        Case(body: #"{"username":"alice","email":["a@b.co"],"password":"long enough pw"}"#, code: "wrong_type"),
        Case(body: #"{"username":"alice","email":"a@b.co","password":true}"#, code: "wrong_type"),
        Case(
            body: #"{"username":"alice","email":"a@b.co","password":"long enough pw","role":"admin"}"#,
            code: "unknown_field"),
        Case(body: #"{"username":"a","email":"a@b.co","password":"long enough pw"}"#, code: "invalid_input"),
        Case(body: #"{"username":"alice smith","email":"a@b.co","password":"long enough pw"}"#, code: "invalid_input"),
        Case(body: #"{"username":"alice","email":"not-an-email","password":"long enough pw"}"#, code: "invalid_input"),
    ]

    @Test("malformed register bodies are 400 with a stable code", arguments: badBodies)
    func badRegister(_ input: Case) async throws {
        try await withServer { client in
            let response = try await client.post("/register", json: input.body)
            #expect(response.status == .badRequest)
            #expect(response.errorCode == input.code)
        }
    }

    @Test("login validates its body too")
    func badLogin() async throws {
        try await withServer { client in
            #expect(try await client.post("/login", json: #"{"username":"x"}"#).errorCode == "missing_field")
            #expect(try await client.post("/login", json: #"{"username":"x","password":1}"#).errorCode == "wrong_type")
            #expect(
                try await client.post("/login", json: #"{"username":"x","password":"y","otp":"1"}"#).errorCode
                    == "unknown_field")
            let nul = try await client.post("/login", json: #"{"username":"x\u0000y","password":"long enough pw"}"#)
            #expect(nul.status == .unauthorized || nul.status == .badRequest)
        }
    }

    @Test("weak passwords are 422", arguments: ["short", "password123", "iloveyou"])
    func weakPassword(_ password: String) async throws {
        try await withServer { client in
            let response = try await client.register(TestDatabase.uniqueName(), password: password)
            #expect(response.status == .unprocessableContent)
            #expect(response.errorCode == "weak_password")
        }
    }

    @Test("bodies over the limit are 413")
    func tooLarge() async throws {
        try await withServer(maximumBodySize: 1024) { client in
            let padding = String(repeating: "x", count: 2000)
            let response = try await client.post(
                "/register", json: #"{"username":"alice","email":"a@b.co","password":"\#(padding)"}"#)
            #expect(response.status == .contentTooLarge)
            #expect(response.errorCode == "body_too_large")
        }
    }

    @Test(
        "a missing or foreign content type is 415",
        arguments: [nil, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"])
    func contentType(_ type: String?) async throws {
        try await withServer { client in
            let headers: HTTPFields = type.map { [.contentType: $0] } ?? [:]
            let response = try await client.post("/login", json: #"{"username":"x","password":"y"}"#, headers: headers)
            #expect(response.status == .unsupportedMediaType)
            #expect(response.errorCode == "unsupported_media_type")
        }
    }

    @Test("application/json with a charset is accepted")
    func charset() async throws {
        try await withServer { client in
            let response = try await client.post(
                "/login", json: #"{"username":"nobody-here","password":"whatever1"}"#,
                headers: [.contentType: "Application/JSON; charset=utf-8"])
            #expect(response.status == .unauthorized)
        }
    }

    @Test("unknown routes are JSON 404s; a known route with another method is 405 with Allow")
    func notFound() async throws {
        try await withServer { client in
            let response = try await client.execute(uri: "/nope", method: .get)
            #expect(response.status == .notFound)
            #expect(response.errorCode == "not_found")
            let wrongMethod = try await client.execute(uri: "/register", method: .get)
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.errorCode == "method_not_allowed")
            #expect(wrongMethod.headers[.allow] == "POST")
            let user = try await client.execute(uri: "/admin/users/1", method: .put)
            #expect(user.status == .methodNotAllowed)
            #expect(user.headers[.allow] == "GET, HEAD, PATCH, DELETE")
            let head = try await client.execute(uri: "/healthz", method: .head)
            #expect(head.status == .ok, "HEAD is answered wherever GET is")
        }
    }
}

@Suite("HTTP API: client-provided strings are stored by the unit the database checks")
struct StoredStringTests {
    /// Text whose length in characters, scalars and bytes all differ.
    static let userAgents: [String] = [
        String(repeating: "e\u{301}", count: 200),
        String(repeating: "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}", count: 100),
        String(repeating: "a", count: 300),
        "",
    ]

    @Test("a crafted User-Agent starts a session and is stored clipped to 256 scalars", arguments: userAgents)
    func userAgent(_ agent: String) async throws {
        try await withServer { client in
            let name = TestDatabase.uniqueName()
            #expect(try await client.register(name).status == .created)
            let login = try await client.post(
                "/login", json: #"{"username":"\#(name)","password":"long enough pw"}"#,
                headers: [.contentType: "application/json", .userAgent: agent])
            #expect(login.status == .ok)
            let token = try #require(login.json["access_token"] as? String)
            let sessions = try await client.get("/sessions", token: token)
            let stored = try #require((sessions.json["sessions"] as? [[String: Any]])?.first?["user_agent"] as? String)
            #expect(stored.unicodeScalars.count <= 256)
            #expect(stored.unicodeScalars.elementsEqual(agent.unicodeScalars.prefix(256)))
        }
    }

    @Test("an e-mail address that lengthens when lower-cased is refused, not a 500")
    func lengtheningEmail() async throws {
        try await withServer { client in
            // 249 scalars as sent; "İ" lower-cases to two, so 257 as stored.
            let local = String(repeating: "\u{130}", count: 8) + String(repeating: "a", count: 234)
            let response = try await client.register(TestDatabase.uniqueName(), email: local + "@ex.com")
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "invalid_input")
            let fits = String(repeating: "\u{130}", count: 4) + "x"
            #expect(try await client.register(TestDatabase.uniqueName(), email: fits + "@ex.com").status == .created)
        }
    }

    @Test("role descriptions are counted in scalars: 256 combining sequences are refused, 128 stored")
    func roleDescription() async throws {
        let stack = try await TestStack(backing: .memory)
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        try await withServer(stack: stack) { client in
            for (count, status) in [(129, HTTPResponse.Status.badRequest), (128, .created)] {
                let description = String(repeating: "e\u{301}", count: count)
                let response = try await client.send(
                    .post, "/admin/roles", token: adminToken,
                    json: #"{"name":"\#(TestDatabase.uniqueName("r"))","description":"\#(description)"}"#)
                #expect(response.status == status)
            }
        }
    }
}
