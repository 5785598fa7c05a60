import AuthCore
import AuthPostgres
import AuthTestSupport
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What ending an SSO session does in the stores (OpenID Connect Back-Channel Logout): the sessions
/// clients were issued in it end with it, and each such client with a back-channel URI gets one
/// notice in the outbox, in the same transaction. Each case on a database of its own, since it
/// reads the whole outbox.
@Suite("store contract: SSO sessions end with their clients' sessions, and tell them")
struct LogoutContractTests {
    static func stack(_ backing: TestStack.Backing, portal: PortalPolicy = .init()) async throws -> TestStack {
        try await TestStack(
            backing: backing, databaseURL: backing == .postgres ? try TestDatabase.freshMigratedURL() : nil,
            portal: portal)
    }

    /// A client of the code grant, with a back-channel logout URI when `backChannel`.
    static func client(_ stack: TestStack, backChannel: Bool) async throws -> OAuthClient {
        try await stack.clients.create(
            NewClient(
                id: TestDatabase.uniqueName("k"), grantTypes: [.authorizationCode, .refreshToken], scopes: ["openid"],
                redirectURIs: ["https://rp.example/cb"],
                logout: LogoutChannels(
                    backChannel: backChannel ? "https://rp.example/backchannel" : nil,
                    frontChannel: "https://rp.example/frontchannel?x=1")),
            secretHash: Contract.hash, by: Contract.actor)
    }

    /// A session `client` was issued in the SSO session `parent`; nil when refused.
    static func child(_ stack: TestStack, of user: User, parent: String, client: OAuthClient) async throws -> String? {
        let id = TestDatabase.uniqueName("c")
        let created = try await stack.sessions.create(
            NewSession(
                id: id, userID: user.id, tokenHash: "t-\(id)", lifetime: 3600, clientAddress: "", userAgent: "",
                clientID: client.id, scope: "openid", parentID: parent),
            passwordHash: user.passwordHash)
        return created == nil ? nil : id
    }

    /// The back-channel notices waiting in the outbox, as their handler reads them.
    static func notices(_ stack: TestStack) async throws -> [BackChannelLogoutNotice] {
        try await stack.stores.outbox.claim(limit: 100, lease: 60_000).filter { $0.message.kind == .backChannelLogout }
            .map { try JSONDecoder().decode(BackChannelLogoutNotice.self, from: Data($0.message.payload.utf8)) }
    }

    @Test(
        "ending an SSO session ends its children and queues one notice per client with a back-channel URI",
        arguments: TestStack.Backing.allCases)
    func endsChildren(_ backing: TestStack.Backing) async throws {
        let stack = try await Self.stack(backing)
        let user = try await Contract.user(stack)
        let parent = try await Contract.session(stack, of: user, token: "p-\(user.id)")
        let told = try await Self.client(stack, backChannel: true)
        let silent = try await Self.client(stack, backChannel: false)
        let first = try #require(try await Self.child(stack, of: user, parent: parent, client: told))
        let second = try #require(try await Self.child(stack, of: user, parent: parent, client: told))
        let other = try #require(try await Self.child(stack, of: user, parent: parent, client: silent))
        let unrelated = try await Contract.session(stack, of: user, token: "u-\(user.id)")
        #expect(try await stack.stores.portal.clients(issuedIn: parent) == [told.id, silent.id].sorted())

        let ended = try await stack.sessions.revoke(sessionID: parent, of: user.id, tokenID: nil)
        #expect(ended.value)
        #expect(Set(ended.revocations.map(\.subject)) == [parent, first, second, other])
        #expect(try await stack.sessions.sessions(of: user.id).map(\.id) == [unrelated])
        let notices = try await Self.notices(stack)
        #expect(
            notices == [BackChannelLogoutNotice(clientID: told.id, userID: user.id, ssoSessionID: parent)],
            "one notice for the client told, whatever its number of sessions; none for the one without a URI")
        #expect(notices.first?.sessionID == SSOSession.sid(of: parent) && notices.first?.sessionID != parent)

        #expect(
            try await Self.child(stack, of: user, parent: parent, client: told) == nil,
            "a code exchanged after its SSO session ended opens nothing")
        #expect(!(try await stack.sessions.revoke(sessionID: parent, of: user.id, tokenID: nil).value))
        #expect(try await Self.notices(stack).isEmpty, "an ended session tells nobody twice")
        await stack.shutdown()
    }

    @Test(
        "logout everywhere and a stolen refresh token end SSO sessions as a sign-out does",
        arguments: TestStack.Backing.allCases)
    func otherPaths(_ backing: TestStack.Backing) async throws {
        let stack = try await Self.stack(backing)
        let client = try await Self.client(stack, backChannel: true)
        let user = try await Contract.user(stack)
        let parent = try await Contract.session(stack, of: user, token: "p-\(user.id)")
        _ = try #require(try await Self.child(stack, of: user, parent: parent, client: client))
        _ = try await stack.sessions.revokeAll(of: user.id)
        #expect(try await Self.notices(stack).map(\.subject) == [String(user.id)])

        let thief = try await Contract.user(stack)
        let stolen = try await Contract.session(stack, of: thief, token: "q-\(thief.id)")
        let child = try #require(try await Self.child(stack, of: thief, parent: stolen, client: client))
        let reused = try await stack.sessions.stale(sessionID: stolen, presented: "q-\(thief.id)") { _ in
            .revoke(.reused)
        }
        #expect(Set(reused.revocations.map(\.subject)) == [stolen, child])
        #expect(try await Self.notices(stack).map(\.subject) == [String(thief.id)])
        await stack.shutdown()
    }

    @Test(
        "lapsed SSO sessions (past their end) are ended once, by one sweep, with their clients told",
        arguments: TestStack.Backing.allCases)
    func lapsed(_ backing: TestStack.Backing) async throws {
        // Time moves by the memory database's clock, or by moving the row's end in PostgreSQL.
        let time = TestClock()
        let stack =
            backing == .memory
            ? try await TestStack(backing: .memory, time: time)
            : try await Self.stack(.postgres)
        let client = try await Self.client(stack, backChannel: true)
        let user = try await Contract.user(stack)
        let live = try await Contract.session(stack, of: user, token: "l-\(user.id)")
        try await stack.stores.portal.create(
            ssoHash: try Contract.digest("live-\(user.id)"),
            SSOSession(sessionID: live, userID: user.id, authTime: 0, methods: ["pwd"]))
        let expiring = TestDatabase.uniqueName("e")
        _ = try await stack.sessions.create(
            NewSession(
                id: expiring, userID: user.id, tokenHash: "e-\(user.id)", lifetime: 60, clientAddress: "",
                userAgent: ""),
            passwordHash: user.passwordHash)
        try await stack.stores.portal.create(
            ssoHash: try Contract.digest("expiring-\(user.id)"),
            SSOSession(sessionID: expiring, userID: user.id, authTime: 0, methods: ["pwd"]))
        let child = try #require(try await Self.child(stack, of: user, parent: expiring, client: client))
        #expect(try await stack.stores.portal.endLapsed(idleTimeout: 3600, limit: 10).value == 0)
        if backing == .memory {
            time.advance(by: .seconds(61))
        } else {
            _ = try await stack.pool.withConnection { connection in
                try connection.query(
                    "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [expiring])
            }
        }

        let swept = try await stack.stores.portal.endLapsed(idleTimeout: 3600, limit: 10)
        #expect(swept.value == 1 && Set(swept.revocations.map(\.subject)) == [expiring, child])
        #expect(try await Self.notices(stack).map(\.sessionID) == [SSOSession.sid(of: expiring)])
        #expect(try await stack.stores.portal.endLapsed(idleTimeout: 3600, limit: 10).value == 0, "once")
        #expect(try await stack.stores.portal.sso(hash: try Contract.digest("live-\(user.id)")) != nil)

        let idle = try await stack.stores.portal.endLapsed(idleTimeout: 0, limit: 10)
        #expect(idle.value == 1 && idle.revocations.map(\.subject) == [live], "unused for longer than the timeout")
        #expect(try await Self.notices(stack).isEmpty, "no client was issued anything in it")
        await stack.shutdown()
    }
}
