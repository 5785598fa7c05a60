import AuthCore
import AuthTestSupport
import Testing

@Suite("store contract: clients, authorization codes and the portal")
struct OAuthStoreContractTests {
    @Test(
        "clients: one id, roles that exist, a change that cuts off returns its revocation, a delete takes its rows",
        arguments: TestStack.Backing.allCases)
    func clients(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let client = try await Contract.client(stack, roles: [Role.user])
            #expect(client.roles == [Role.user] && client.requiresPKCE && !client.disabled && client.notBefore == nil)
            #expect(try await stack.clients.credential(id: client.id)?.secretHash == Contract.hash)
            #expect(try await stack.clients.clients().contains { $0.id == client.id })
            #expect(
                await Contract.code {
                    try await stack.clients.create(
                        NewClient(id: client.id), secretHash: Contract.hash, by: Contract.actor)
                } == .clientExists)
            #expect(
                await Contract.code {
                    try await stack.clients.create(
                        NewClient(id: "r\(client.id)", roles: ["no-such-role"]), secretHash: Contract.hash,
                        by: Contract.actor)
                } == .unknownRole)
            #expect(try await stack.clients.client(id: "r\(client.id)") == nil, "nothing half-written")
            let renamed = try await stack.clients.update(
                clientID: client.id, ClientChange(name: "Renamed"), by: Contract.actor)
            #expect(renamed.value.name == "Renamed" && renamed.revocations.isEmpty)
            let narrowed = try await stack.clients.update(
                clientID: client.id, ClientChange(scopes: []), by: Contract.actor)
            #expect(narrowed.value.scopes.isEmpty && narrowed.revocations.map(\.kind) == [.client])
            #expect(narrowed.value.notBefore == narrowed.revocations.first?.cutOff)
            let rotated = try await stack.clients.setSecret(
                clientID: client.id, hash: Contract.otherHash, by: Contract.actor)
            #expect(try #require(rotated.revocations.first?.cutOff) > (narrowed.value.notBefore ?? .max) - 1)
            #expect(try await stack.clients.credential(id: client.id)?.secretHash == Contract.otherHash)
            let publicClient = try await stack.clients.create(
                NewClient(id: "p\(client.id)", type: .public, requiresPKCE: false), secretHash: nil, by: Contract.actor)
            #expect(publicClient.requiresPKCE, "a public client always needs PKCE")
            #expect(
                await Contract.code {
                    try await stack.clients.setSecret(clientID: publicClient.id, hash: "x", by: Contract.actor)
                } == .notFound)
            let revoked = try await stack.clients.revoke(tokenID: "jti-\(client.id)", expiresAt: 1000)
            #expect(revoked.revocations.map(\.kind) == [.token])
            let user = try await Contract.user(stack)
            try await stack.stores.portal.recordConsent(userID: user.id, clientID: client.id, scopes: ["openid"])
            let deleted = try await stack.clients.delete(clientID: client.id, by: Contract.actor)
            #expect(deleted.revocations.map(\.cutOff) == [.max])
            #expect(try await stack.clients.client(id: client.id) == nil)
            #expect(try await stack.stores.portal.consents(userID: user.id).isEmpty, "cascaded")
            #expect(
                await Contract.code { try await stack.clients.delete(clientID: client.id, by: Contract.actor) }
                    == .notFound)
        }
    }

    @Test(
        "a code is redeemed once, by its client, before it expires; a replay names the session; attach loses to it",
        arguments: TestStack.Backing.allCases)
    func codes(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let user = try await Contract.user(stack)
            let client = try await Contract.client(stack)
            let grant = AuthorizationGrant(
                clientID: client.id, userID: user.id, redirectURI: "https://rp.example/cb", scopes: ["openid"],
                nonce: "n", codeChallenge: nil, authTime: 1000, methods: ["pwd"])
            let codes = stack.stores.codes
            let (code, expired) = (try Contract.digest("c-\(user.id)"), try Contract.digest("e-\(user.id)"))
            try await codes.save(codeHash: code, grant: grant, lifetime: 60)
            #expect(try await codes.redeem(codeHash: code, clientID: "other") == .invalid)
            #expect(try await codes.redeem(codeHash: code, clientID: client.id) == .redeemed(grant))
            let session = try await Contract.session(stack, of: user, token: "code-\(user.id)", client: client.id)
            #expect(try await codes.attach(sessionID: session, toCodeHash: code))
            #expect(
                try await codes.redeem(codeHash: code, clientID: client.id)
                    == .replayed(sessionID: session, userID: user.id))
            #expect(!(try await codes.attach(sessionID: session, toCodeHash: code)), "after a replay")
            try await codes.save(codeHash: expired, grant: grant, lifetime: -1)
            #expect(try await codes.redeem(codeHash: expired, clientID: client.id) == .invalid, "expired")
            #expect(
                try await codes.redeem(codeHash: try Contract.digest("none-\(user.id)"), clientID: client.id)
                    == .invalid)
        }
    }

    @Test(
        "an SSO session lives while its session and account do; consents add up, are listed by client and withdrawn",
        arguments: TestStack.Backing.allCases)
    func portal(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let portal = stack.stores.portal
            let user = try await Contract.user(stack)
            let (first, other) = (try Contract.digest("h-\(user.id)"), try Contract.digest("i-\(user.id)"))
            let session = try await Contract.session(stack, of: user, token: "sso-\(user.id)")
            try await portal.create(
                ssoHash: first, SSOSession(sessionID: session, userID: user.id, authTime: 1000, methods: ["pwd"]))
            let found = try #require(try await portal.sso(hash: first))
            #expect(found.user.id == user.id && found.session.methods == ["pwd"] && found.session.authTime == 1000)
            try await portal.touch(ssoHash: first)
            #expect(try await portal.sso(hash: first)?.session.lastSeen ?? 0 >= found.session.lastSeen)
            _ = try await stack.sessions.revoke(sessionID: session, of: user.id, tokenID: nil)
            #expect(try await portal.sso(hash: first) == nil, "its session ended")
            let second = try await Contract.session(stack, of: user, token: "sso2-\(user.id)")
            try await portal.create(
                ssoHash: other, SSOSession(sessionID: second, userID: user.id, authTime: 1000, methods: ["pwd"]))
            _ = try await stack.directory.update(userID: user.id, UserChange(disabled: true), by: Contract.actor)
            #expect(try await portal.sso(hash: other) == nil, "a disabled account")
            try await portal.delete(ssoHash: other)

            let a = try await Contract.client(stack)
            let b = try await Contract.client(stack)
            #expect(try await portal.consent(userID: user.id, clientID: a.id) == nil)
            try await portal.recordConsent(userID: user.id, clientID: a.id, scopes: ["openid"])
            try await portal.recordConsent(userID: user.id, clientID: a.id, scopes: ["email", "openid"])
            try await portal.recordConsent(userID: user.id, clientID: b.id, scopes: ["profile"])
            #expect(try await portal.consent(userID: user.id, clientID: a.id)?.scopes == ["openid", "email"])
            #expect(try await portal.consents(userID: user.id).map(\.clientID) == [a.id, b.id].sorted())
            #expect(try await portal.consent(userID: user.id, clientID: b.id)?.clientName == b.name)
            #expect(try await portal.revokeConsent(userID: user.id, clientID: a.id))
            #expect(!(try await portal.revokeConsent(userID: user.id, clientID: a.id)))
            #expect(try await portal.consents(userID: user.id).map(\.clientID) == [b.id])
        }
    }
}
