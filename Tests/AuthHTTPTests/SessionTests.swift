import AuthCore
import AuthCrypto
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// An access and refresh token pair as a client holds it.
struct Pair: Hashable {
    let access: String
    let refresh: String

    init?(_ response: TestResponse) {
        guard response.status == .ok, let access = response.json["access_token"] as? String,
            let refresh = response.json["refresh_token"] as? String
        else { return nil }
        self.access = access
        self.refresh = refresh
    }
}

extension TestClientProtocol {
    func refresh(_ token: String) async throws -> TestResponse {
        try await post("/token/refresh", json: #"{"refresh_token":"\#(token)"}"#)
    }

    /// Registers `name` and logs in: the first session's pair.
    func newSession(_ name: String) async throws -> Pair {
        #expect(try await register(name).status == .created)
        return try #require(Pair(try await login(name)))
    }
}

@Suite("HTTP sessions: refresh rotation, logout, password change")
struct SessionTests {
    static func stack(_ sessions: SessionPolicy = .init(), time: TestClock? = nil) async throws -> TestStack {
        try await TestStack(backing: .memory, configuration: .init(sessions: sessions), time: time)
    }

    @Test("login returns a 256-bit refresh token; refreshing rotates it and the old one gets the same pair again")
    func rotation() async throws {
        try await withServer(stack: try await Self.stack()) { client in
            let login = try await client.login(
                try await { () async throws -> String in
                    let name = TestDatabase.uniqueName()
                    #expect(try await client.register(name).status == .created)
                    return name
                }())
            #expect(login.json["token_type"] as? String == "Bearer")
            #expect(login.json["expires_in"] as? Int == 900)
            let first = try #require(Pair(login))
            #expect(Base64.url.decode(first.refresh)?.count == 32)

            let second = try #require(Pair(try await client.refresh(first.refresh)))
            #expect(second.refresh != first.refresh && second.access != first.access)
            #expect(try await client.get("/protected", token: second.access).status == .ok)
            #expect(try await client.get("/protected", token: first.access).status == .ok, "rotation ends no token")

            let retried = try await client.refresh(first.refresh)
            #expect(Pair(retried) == second, "a retry within the grace window gets the same pair")
            let third = try #require(Pair(try await client.refresh(second.refresh)))
            #expect(third != second)
        }
    }

    @Test("an old refresh token after the grace window revokes the whole session")
    func reuseAfterGrace() async throws {
        let time = TestClock()
        try await withServer(stack: try await Self.stack(.init(refreshGrace: 1), time: time)) { client in
            let first = try await client.newSession(TestDatabase.uniqueName())
            let second = try #require(Pair(try await client.refresh(first.refresh)))
            time.advance(by: .milliseconds(2100))
            let replay = try await client.refresh(first.refresh)
            #expect(replay.status == .unauthorized)
            #expect(replay.errorCode == "invalid_refresh_token")
            #expect(try await client.refresh(second.refresh).status == .unauthorized, "the newest token dies too")
            let protected = try await client.get("/protected", token: second.access)
            #expect(protected.status == .unauthorized)
            #expect(protected.errorCode == "token_revoked")
        }
    }

    @Test("an idle session and a session past its lifetime cannot be refreshed")
    func timeouts() async throws {
        let idle = TestClock()
        try await withServer(stack: try await Self.stack(.init(idleTimeout: 1), time: idle)) { client in
            let pair = try await client.newSession(TestDatabase.uniqueName())
            idle.advance(by: .milliseconds(2100))
            #expect(try await client.refresh(pair.refresh).errorCode == "invalid_refresh_token")
        }
        let aged = TestClock()
        try await withServer(stack: try await Self.stack(.init(lifetime: 1), time: aged)) { client in
            let pair = try await client.newSession(TestDatabase.uniqueName())
            aged.advance(by: .milliseconds(2100))
            #expect(try await client.refresh(pair.refresh).errorCode == "invalid_refresh_token")
        }
    }

    @Test(
        "bad refresh requests are 400 or 401 with a code",
        arguments: [
            (#"{}"#, 400, "missing_field"),
            (#"{"refresh_token":5}"#, 400, "wrong_type"),
            (#"{"refresh_token":"x","extra":1}"#, 400, "unknown_field"),
            (#"{"refresh_token":"not a token"}"#, 401, "invalid_refresh_token"),
            (#"{"refresh_token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#, 401, "invalid_refresh_token"),
            (#"["refresh_token"]"#, 400, "invalid_body"),
        ])
    func badRefresh(body: String, status: Int, code: String) async throws {
        try await withServer { client in
            let response = try await client.post("/token/refresh", json: body)
            #expect(response.status.code == status, "\(response.bodyText)")
            #expect(response.errorCode == code)
        }
    }

    @Test("logout ends this session only; logout/all ends every session")
    func logout() async throws {
        try await withServer(stack: try await Self.stack()) { client in
            let name = TestDatabase.uniqueName()
            let phone = try await client.newSession(name)
            let laptop = try #require(Pair(try await client.login(name)))
            #expect(try await client.send(.post, "/logout", token: phone.access).status == .noContent)
            #expect(try await client.get("/protected", token: phone.access).errorCode == "token_revoked")
            #expect(try await client.refresh(phone.refresh).errorCode == "invalid_refresh_token")
            #expect(try await client.get("/protected", token: laptop.access).status == .ok)
            #expect(try await client.send(.post, "/logout", token: phone.access).status == .unauthorized)

            let tablet = try #require(Pair(try await client.login(name)))
            let fresh = try #require(Pair(try await client.refresh(laptop.refresh)))
            #expect(try await client.send(.post, "/logout/all", token: tablet.access).status == .noContent)
            for pair in [laptop, fresh, tablet] {
                #expect(try await client.get("/protected", token: pair.access).status == .unauthorized)
                #expect(try await client.refresh(pair.refresh).status == .unauthorized)
            }
            let again = try #require(Pair(try await client.login(name)), "a new login works at once")
            #expect(try await client.get("/protected", token: again.access).status == .ok)
        }
    }

    @Test("GET /sessions lists the user's own live sessions; DELETE ends one of them, nobody else's")
    func listAndDelete() async throws {
        try await withServer(stack: try await Self.stack()) { client in
            let name = TestDatabase.uniqueName()
            let first = try await client.newSession(name)
            let second = try #require(Pair(try await client.login(name)))
            let stranger = try await client.newSession(TestDatabase.uniqueName())

            let listed = try await client.get("/sessions", token: second.access)
            #expect(listed.status == .ok)
            let sessions = try #require(listed.json["sessions"] as? [[String: Any]])
            #expect(sessions.count == 2)
            #expect(sessions.filter { $0["current"] as? Bool == true }.count == 1)
            let keys = Set(sessions[0].keys)
            #expect(
                keys == ["id", "created_at", "last_used_at", "expires_at", "client_address", "user_agent", "current"])
            let firstID = try #require(sessions.first { $0["current"] as? Bool == false }?["id"] as? String)

            let strangers = try await client.get("/sessions", token: stranger.access)
            let strangerID = try #require(
                (strangers.json["sessions"] as? [[String: Any]])?.first?["id"] as? String)
            let foreign = try await client.send(.delete, "/sessions/\(strangerID)", token: second.access)
            #expect(foreign.status == .notFound, "another user's session is not found, not forbidden")
            #expect(try await client.get("/protected", token: stranger.access).status == .ok)
            #expect(try await client.send(.delete, "/sessions/bad%20id", token: second.access).status == .badRequest)

            #expect(try await client.send(.delete, "/sessions/\(firstID)", token: second.access).status == .noContent)
            #expect(try await client.get("/protected", token: first.access).errorCode == "token_revoked")
            #expect(try await client.refresh(first.refresh).status == .unauthorized)
            let after = try await client.get("/sessions", token: second.access)
            #expect((after.json["sessions"] as? [[String: Any]])?.count == 1)
            #expect(try await client.send(.delete, "/sessions/\(firstID)", token: second.access).status == .notFound)
            #expect(try await client.get("/sessions", token: nil).status == .unauthorized)
        }
    }

    @Test("a password change needs the old password and ends every other session")
    func passwordChange() async throws {
        try await withServer(stack: try await Self.stack()) { client in
            let name = TestDatabase.uniqueName()
            let other = try await client.newSession(name)
            let current = try #require(Pair(try await client.login(name)))
            func change(_ body: String) async throws -> TestResponse {
                try await client.send(.post, "/password", token: current.access, json: body)
            }
            let wrong = try await change(#"{"old_password":"not it at all","new_password":"a new long pw 1"}"#)
            #expect(wrong.status == .forbidden)
            #expect(wrong.errorCode == "wrong_password")
            let weak = try await change(#"{"old_password":"long enough pw","new_password":"password"}"#)
            #expect(weak.status == .unprocessableContent)
            #expect(try await change(#"{"old_password":"long enough pw"}"#).status == .badRequest)
            #expect(try await client.get("/protected", token: other.access).status == .ok, "refusals change nothing")

            #expect(
                try await change(#"{"old_password":"long enough pw","new_password":"a new long pw 1"}"#).status
                    == .noContent)
            #expect(try await client.get("/protected", token: other.access).errorCode == "token_revoked")
            #expect(try await client.refresh(other.refresh).status == .unauthorized)
            #expect(try await client.get("/protected", token: current.access).status == .ok, "this session stays")
            #expect(Pair(try await client.refresh(current.refresh)) != nil)
            #expect(try await client.login(name).status == .unauthorized)
            #expect(try await client.login(name, password: "a new long pw 1").status == .ok)
        }
    }

    @Test("an account disabled by an admin cannot refresh, even after it is enabled again")
    func disabledAccount() async throws {
        let stack = try await Self.stack()
        let (user, _) = try await stack.account()
        try await withServer(stack: stack) { client in
            let pair = try #require(Pair(try await client.login(user.username, password: TestStack.password)))
            _ = try await stack.admin.update(userID: user.id, UserChange(disabled: true), by: TestStack.testOperator)
            #expect(try await client.refresh(pair.refresh).status == .unauthorized)
            _ = try await stack.admin.update(userID: user.id, UserChange(disabled: false), by: TestStack.testOperator)
            #expect(try await client.refresh(pair.refresh).status == .unauthorized)
        }
    }
}
