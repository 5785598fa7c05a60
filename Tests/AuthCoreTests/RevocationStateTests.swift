import AuthCore
import AuthCrypto
import Testing

@Suite("in-memory revocation state")
struct RevocationStateTests {
    static func claims(id: String = "jti-1", session: String? = "sid-1", issuedAt: Int64 = 1_000) -> AccessTokenClaims {
        AccessTokenClaims(
            issuer: "i", audience: "a", subject: "7", name: "alice", roles: ["user"], issuedAt: issuedAt,
            expiresAt: issuedAt + 900, id: id, sessionID: session)
    }

    static func loaded(_ revocations: [Revocation] = [], configuration: RevocationState.Configuration = .init())
        -> RevocationState
    {
        let state = RevocationState(configuration: configuration, now: 1_000)
        state.replaceAll(revocations, permissions: ["admin": ["users:read"]])
        state.feedConnected()
        return state
    }

    @Test("a revoked token, a revoked session and a user's cut-off each refuse; nothing else does")
    func refusals() throws {
        let state = Self.loaded([
            Revocation(kind: .token, subject: "jti-bad", expiresAt: 2_000),
            Revocation(kind: .session, subject: "sid-bad", expiresAt: 2_000),
            Revocation(kind: .user, subject: "8", cutOff: 1_500, expiresAt: 2_500),
        ])
        let revoked = AuthError(.tokenRevoked, "access token has been revoked")
        #expect(throws: revoked) { try state.check(Self.claims(id: "jti-bad"), userID: 7, now: 1_100) }
        #expect(throws: revoked) { try state.check(Self.claims(session: "sid-bad"), userID: 7, now: 1_100) }
        #expect(throws: revoked) { try state.check(Self.claims(issuedAt: 1_499), userID: 8, now: 1_600) }
        try state.check(Self.claims(issuedAt: 1_500), userID: 8, now: 1_600)
        try state.check(Self.claims(), userID: 7, now: 1_100)
        try state.check(Self.claims(session: nil), userID: 7, now: 1_100)
    }

    @Test("ids as authd issues them (16 random bytes, base64url) are kept compact and found")
    func compactIDs() throws {
        let jti = Base64.url.encode(try SecureRandom.bytes(16))
        let sid = Base64.url.encode(try SecureRandom.bytes(16))
        let state = Self.loaded([
            Revocation(kind: .token, subject: jti, expiresAt: 2_000),
            Revocation(kind: .session, subject: sid, expiresAt: 2_000),
        ])
        #expect(throws: AuthError.self) { try state.check(Self.claims(id: jti), userID: 7, now: 1_100) }
        #expect(throws: AuthError.self) { try state.check(Self.claims(session: sid), userID: 7, now: 1_100) }
        let neighbour = Base64.url.encode(Base64.url.decode(jti)!.dropLast() + [0])
        try state.check(Self.claims(id: neighbour == jti ? "x" : neighbour), userID: 7, now: 1_100)
        #expect(state.count == (tokens: 1, sessions: 1, users: 0))
    }

    @Test("entries merge to the stricter value and are pruned once every token they refuse expired")
    func mergeAndPrune() throws {
        let state = Self.loaded()
        state.apply([
            Revocation(kind: .user, subject: "7", cutOff: 1_200, expiresAt: 2_000),
            Revocation(kind: .user, subject: "7", cutOff: 1_100, expiresAt: 3_000),
            Revocation(kind: .token, subject: "jti-1", expiresAt: 2_000),
        ])
        #expect(throws: AuthError.self) {
            try state.check(Self.claims(id: "other", issuedAt: 1_150), userID: 7, now: 1_200)
        }
        state.prune(now: 2_500)
        #expect(state.count == (tokens: 0, sessions: 0, users: 1), "the cut-off lives until its latest expiry")
        state.prune(now: 3_000)
        #expect(state.count == (tokens: 0, sessions: 0, users: 0))
    }

    @Test("a reload replaces everything; permissions come from the loaded roles")
    func reload() {
        let state = Self.loaded([Revocation(kind: .token, subject: "jti-1", expiresAt: 2_000)])
        #expect(state.permissions(of: ["admin", "user"]) == ["users:read"])
        state.replaceAll([], permissions: ["user": ["mail:send"]])
        #expect((try? state.check(Self.claims(), userID: 7, now: 1_100)) != nil)
        #expect(state.permissions(of: ["admin", "user"]) == ["mail:send"])
        state.setPermissions(nil, of: "user")
        #expect(state.permissions(of: ["user"]).isEmpty)
    }

    @Test("never loaded, or disconnected beyond the staleness limit: unavailable, unless failing open")
    func staleness() throws {
        let unavailable = AuthError(.unavailable, "revocation state is out of date, retry shortly")
        let never = RevocationState(now: 1_000)
        #expect(throws: unavailable) { try never.check(Self.claims(), userID: 7, now: 1_000) }
        #expect(never.problem(now: 1_000) == "revocation state not loaded yet")

        let state = Self.loaded(configuration: .init(maximumStaleness: 30))
        #expect(state.problem(now: 1_000) == nil)
        state.feedDisconnected(since: 1_000)
        try state.check(Self.claims(), userID: 7, now: 1_030)
        #expect(throws: unavailable) { try state.check(Self.claims(), userID: 7, now: 1_031) }
        #expect(state.problem(now: 1_031) == "revocation listener disconnected for 31 s")
        state.feedDisconnected(since: 1_031)
        #expect(throws: unavailable, "a second report keeps the first moment") {
            try state.check(Self.claims(), userID: 7, now: 1_031)
        }
        state.feedConnected()
        try state.check(Self.claims(), userID: 7, now: 1_031)

        let open = Self.loaded(configuration: .init(maximumStaleness: 30, failOpen: true))
        open.feedDisconnected(since: 1_000)
        try open.check(Self.claims(), userID: 7, now: 5_000)
    }

    @Test(
        "notification payloads round-trip; malformed ones are refused",
        arguments: ["", "token", "token  1 2", "bogus x 1 2", "token x one 2", "token x 1 2 3", "user 7 1"])
    func payloads(malformed: String) {
        let revocation = Revocation(kind: .user, subject: "7", cutOff: 1_700_000_001, expiresAt: 1_700_000_931)
        #expect(Revocation(payload: revocation.payload) == revocation)
        #expect(Revocation(payload: malformed) == nil)
    }
}
