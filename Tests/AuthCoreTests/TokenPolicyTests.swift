import AuthCrypto
import Testing

@testable import AuthCore

@Suite("TokenPolicy: which kinds of token each endpoint family accepts, without a database")
struct TokenPolicyTests {
    /// The README's table ("Token kinds"): first-party, client, delegated (no scope), delegated with
    /// the scope that names the use.
    static let table: [TokenUse: (firstParty: Bool, client: Bool, delegated: Bool, named: Bool)] = [
        .account: (true, false, false, false),
        .admin: (true, true, false, true),
        .gateway: (true, true, false, false),
        .mail: (true, false, false, true),
        .userInfo: (false, false, true, true),
        .introspection: (true, true, false, false),
    ]

    @Test("the table, use by use", arguments: TokenUse.allCases)
    func table(use: TokenUse) throws {
        let row = try #require(Self.table[use])
        #expect(TokenPolicy.accepts(.firstParty, scopes: [], for: use) == row.firstParty)
        #expect(TokenPolicy.accepts(.client, scopes: [], for: use) == row.client)
        #expect(TokenPolicy.accepts(.delegated, scopes: ["openid", "profile", "roles"], for: use) == row.delegated)
        let named = TokenPolicy.unlockingScope(for: use).map { [Substring($0)] } ?? []
        #expect(TokenPolicy.accepts(.delegated, scopes: named, for: use) == (row.named || row.delegated))
    }

    @Test("the kind comes from client_id and sub: none, the same, or a user's id beside a client")
    func kinds() {
        func claims(sub: String, client: String?) -> AccessTokenClaims {
            AccessTokenClaims(
                issuer: "i", audience: "a", subject: sub, name: "n", roles: [], issuedAt: 0, expiresAt: 1, id: "j",
                clientID: client)
        }
        #expect(claims(sub: "7", client: nil).kind == .firstParty)
        #expect(claims(sub: "svc", client: "svc").kind == .client)
        #expect(claims(sub: "7", client: "rp").kind == .delegated)
        #expect(claims(sub: "7", client: "rp").expectedAudience(authd: "authd") == "rp")
        #expect(claims(sub: "svc", client: "svc").expectedAudience(authd: "authd") == "authd")
        #expect(claims(sub: "7", client: nil).expectedAudience(authd: "authd") == "authd")
    }

    @Test("a delegated token carries the user's roles only with the roles or admin scope")
    func delegatedRoles() {
        #expect(TokenPolicy.delegatedRoles(["user", "admin"], scopes: ["openid", "profile"]).isEmpty)
        #expect(TokenPolicy.delegatedRoles(["user", "admin"], scopes: ["roles"]) == ["user", "admin"])
        #expect(TokenPolicy.delegatedRoles(["user", "admin"], scopes: ["admin"]) == ["user", "admin"])
    }
}
