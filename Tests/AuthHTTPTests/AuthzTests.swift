import AuthTelemetry
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AuthHTTP

@Suite("GET /authz for nginx auth_request, and request ids")
struct AuthzTests {
    static let user = HTTPFields.Element.Name("X-Auth-User")!
    static let userID = HTTPFields.Element.Name("X-Auth-User-Id")!
    static let roles = HTTPFields.Element.Name("X-Auth-Roles")!
    static let required = HTTPFields.Element.Name("X-Required-Role")!
    static let requestID = HTTPFields.Element.Name("X-Request-Id")!

    @Test("204 with the user's headers for a bearer token or the access_token cookie; 401; 403 without the role")
    func authz() async throws {
        let stack = try await TestStack(backing: .memory)
        let (user, token) = try await stack.account(roles: ["user", "admin"])
        try await withServer(stack: stack) { client in
            let ok = try await client.execute(uri: "/authz", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(ok.status == .noContent)
            #expect(ok.headers[Self.user] == user.username)
            #expect(ok.headers[Self.userID] == String(user.id))
            #expect(ok.headers[Self.roles] == "admin,user")
            let cookie = try await client.execute(
                uri: "/authz", method: .get, headers: [.cookie: "a=1; access_token=\(token); b=2"])
            #expect(cookie.status == .noContent)
            #expect(cookie.headers[Self.user] == user.username)
            for headers: HTTPFields in [
                [:], [.cookie: "access_token="], [.authorization: "Bearer \(token)x"], [.authorization: "Basic eDp5"],
            ] {
                let refused = try await client.execute(uri: "/authz", method: .get, headers: headers)
                #expect(refused.status == .unauthorized, "\(headers)")
                #expect(refused.headers[Self.user] == nil)
            }
            var headers: HTTPFields = [.authorization: "Bearer \(token)"]
            headers[Self.required] = "ops"
            #expect(try await client.execute(uri: "/authz", method: .get, headers: headers).status == .forbidden)
            headers[Self.required] = "ops, admin"
            #expect(try await client.execute(uri: "/authz", method: .get, headers: headers).status == .noContent)
        }
    }

    @Test(
        "X-Request-Id: a safe one comes back unchanged, anything else is replaced",
        arguments: [
            ("req-1.2:3_x", true), ("", false), ("has space", false), (String(repeating: "a", count: 129), false),
        ])
    func requestID(sent: String, kept: Bool) async throws {
        try await withServer { client in
            var headers = HTTPFields()
            headers[Self.requestID] = sent
            let response = try await client.execute(uri: "/healthz", method: .get, headers: headers)
            let returned = try #require(response.headers[Self.requestID])
            #expect((returned == sent) == kept)
            #expect(!returned.isEmpty && returned.utf8.count <= 128)
        }
    }
}

@Suite("Authorization header parsing")
struct BearerHeaderTests {
    @Test(
        "Bearer credentials: the scheme in any case, spaces or a tab after it, nothing else",
        arguments: [
            ("Bearer abc.def", "abc.def"), ("bearer abc", "abc"), ("BEARER\tabc", "abc"), ("Bearer   abc  ", "abc"),
            ("Bearerabc", nil), ("Basic abc", nil), ("Bearer ", nil), ("Bearer a b", nil), ("Bear abc", nil), ("", nil),
        ] as [(String, String?)])
    func credentials(header: String, token: String?) {
        #expect(HTTPFrontEnd.bearerCredentials(header) == token)
    }
}

@Suite("hand-written JSON")
struct JSONTextTests {
    @Test(
        "quoted strings parse back to themselves",
        arguments: ["alice", "a\"b\\c", "\u{0}\u{1F}\n\t", "ünï ✓", "del\u{7F} ls\u{2028} ps\u{2029}"])
    func roundTrip(text: String) throws {
        let parsed = try JSONSerialization.jsonObject(
            with: Data(JSONString.quoted(text).utf8), options: .fragmentsAllowed)
        #expect(parsed as? String == text)
    }

    @Test("the byte path (the request log line) writes exactly what the String path writes")
    func bytesAsString() {
        var texts = (0..<0x100).map { "a\(Character(Unicode.Scalar(UInt8($0))))b" }
        texts += ["", "\u{2028}", "\u{2029}", "x\u{2027}y", "é ✓ 😀", String(repeating: "plain ", count: 50)]
        for text in texts {
            var bytes: [UInt8] = []
            JSONString.append(text, to: &bytes)
            #expect(bytes == Array(JSONString.quoted(text).utf8), "\(text.unicodeScalars.map(\.value))")
        }
    }

    @Test("DEL and the JavaScript line separators are escaped, as in the log lines")
    func escapesBeyondJSON() {
        #expect(JSONString.quoted("a\u{7F}\u{2028}\u{2029}") == #""a\u007f\u2028\u2029""#)
        #expect(JSONString.quoted("plain") == #""plain""#)
    }

    @Test("GET /protected answers the same bytes JSONEncoder with sorted keys would")
    func protectedBody() async throws {
        let stack = try await TestStack(backing: .memory)
        let (user, token) = try await stack.account(roles: ["user", "admin"])
        try await withServer(stack: stack) { client in
            let response = try await client.get("/protected", token: token)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            #expect(
                response.bodyText
                    == #"{"logged_in_as":"\#(user.username)","roles":["admin","user"],"user_id":\#(user.id)}"#)
        }
    }
}
