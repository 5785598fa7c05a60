import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP API: register, login, protected")
struct FlowTests {
    @Test("register → login → protected → me")
    func happyPath() async throws {
        try await withServer { client in
            let name = TestDatabase.uniqueName()
            let registered = try await client.register(name, email: "\(name)@Example.COM")
            #expect(registered.status == .created)
            let user = try #require(registered.json["user"] as? [String: Any])
            #expect(user["username"] as? String == name)
            #expect(user["email"] as? String == "\(name)@example.com")
            #expect(user["roles"] as? [String] == ["user"])
            #expect(user["mfa_enabled"] as? Bool == false)
            #expect(!registered.bodyText.contains("scrypt"), "the hash never leaves the server")

            let login = try await client.login(name)
            #expect(login.status == .ok)
            #expect(login.json["token_type"] as? String == "Bearer")
            #expect(login.json["expires_in"] as? Int == 900)
            #expect(login.headers[.cacheControl] == "no-store", "tokens are never cached")
            let token = try #require(login.json["access_token"] as? String)

            let protected = try await client.get("/protected", token: token)
            #expect(protected.status == .ok)
            #expect(protected.json["logged_in_as"] as? String == name)
            #expect(protected.json["user_id"] as? Int == user["id"] as? Int)
            #expect(protected.json["roles"] as? [String] == ["user"])

            let me = try await client.get("/me", token: token)
            #expect(me.status == .ok)
            #expect(me.json["username"] as? String == name)
            #expect(me.json["id"] as? Int == user["id"] as? Int)
            #expect(me.headers[.cacheControl] == "no-store")
            let keys = try await client.get("/.well-known/jwks.json", token: nil)
            #expect(keys.headers[.cacheControl] == "public, max-age=300", "a route's own caching stands")
        }
    }

    @Test("duplicate usernames (any case) and e-mails are 409")
    func duplicates() async throws {
        try await withServer { client in
            let name = TestDatabase.uniqueName()
            #expect(try await client.register(name).status == .created)
            let sameName = try await client.register(name.uppercased(), email: "other-\(name)@example.com")
            #expect(sameName.status == .conflict)
            #expect(sameName.errorCode == "username_taken")
            let sameEmail = try await client.register("x" + name, email: "\(name.uppercased())@EXAMPLE.com")
            #expect(sameEmail.status == .conflict)
            #expect(sameEmail.errorCode == "email_taken")
        }
    }

    @Test("20 concurrent registrations of one name: exactly one 201, the rest 409")
    func registrationRace() async throws {
        try await withServer { client in
            let port = try #require(client.port)
            let name = TestDatabase.uniqueName()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await TestClient.withClient(host: "127.0.0.1", port: port) { own in
                            let body =
                                #"{"username":"\#(name)","email":"\#(name)-\#(index)@example.com","password":"long enough pw"}"#
                            return try await own.post("/register", headers: jsonHeaders, body: ByteBuffer(string: body))
                                .status
                        }
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 19)
        }
    }

    @Test("unknown user and wrong password get byte-identical 401s")
    func noEnumeration() async throws {
        try await withServer { client in
            let name = TestDatabase.uniqueName()
            #expect(try await client.register(name).status == .created)
            let wrong = try await client.login(name, password: "not the password")
            let unknown = try await client.login("nobody-" + name)
            #expect(wrong.status == .unauthorized)
            #expect(wrong.errorCode == "invalid_credentials")
            #expect(wrong.bodyText == unknown.bodyText)
            #expect(wrong.status == unknown.status)
            #expect(wrong.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test("protected routes want a valid bearer token")
    func bearerTokens() async throws {
        try await withServer { client in
            let missing = try await client.get("/protected", token: nil)
            #expect(missing.status == .unauthorized)
            #expect(missing.errorCode == "missing_token")
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")

            for bad in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", ""] {
                let response = try await client.get("/protected", token: bad)
                #expect(response.status == .unauthorized, "\(bad)")
            }
            let invalid = try await client.get("/protected", token: "a.b.c")
            #expect(invalid.errorCode == "invalid_token")
            #expect(invalid.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)

            let basic = try await client.execute(uri: "/me", method: .get, headers: [.authorization: "Basic YTpi"])
            #expect(basic.status == .unauthorized)
            #expect(basic.errorCode == "missing_token")
        }
    }

    @Test("a lower-case bearer scheme is accepted")
    func schemeCase() async throws {
        try await withServer { client in
            let name = TestDatabase.uniqueName()
            _ = try await client.register(name)
            let token = try #require(try await client.login(name).json["access_token"] as? String)
            let response = try await client.execute(
                uri: "/protected", method: .get, headers: [.authorization: "bearer \(token)"])
            #expect(response.status == .ok)
        }
    }
}
