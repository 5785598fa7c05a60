import Testing

@testable import AuthCore

@Suite("ClientRules and ClientChange: what a client registration may hold, without a database")
struct ClientRulesTests {
    @Test(
        "redirect URIs: https anywhere, http only to loopback, a native app's dotted scheme; no fragment; an authority that could write CSP (; , quotes) refused",
        arguments: [
            ("https://app.example.com/callback", true), ("https://app.example.com:8443/cb?x=1", true),
            ("http://localhost:8080/cb", true), ("http://127.0.0.1/cb", true), ("http://[::1]:9000/cb", true),
            ("com.example.app:/oauth", true), ("http://app.example.com/cb", false),
            ("https://app.example.com/cb#frag", false), ("https://user@app.example.com/cb", false),
            ("https:///cb", false), ("myapp:/cb", false), ("javascript:alert(1)", false), ("/relative", false),
            ("https://app.example.com/a b", false), ("", false),
            ("https://app.example.com;script-src/cb", false),
            ("https://app.example.com,https://evil.example/cb", false),
            ("https://app.example.com'/cb", false), ("https://app.example.com:80;x/cb", false),
            ("https://[::1];x/cb", false), ("https://app.example.com:123456/cb", false),
            ("https://app.example.com/cb;x=1", true),
        ])
    func redirectURIs(_ uri: String, _ allowed: Bool) {
        #expect(ClientRules.isRedirectURI(uri) == allowed, "\(uri)")
    }

    @Test("PKCE: a confidential client may opt out, a public one may not; a public client always requires it")
    func pkce() {
        #expect(throws: Never.self) { try ClientRules.checkPKCE(required: false, for: .confidential) }
        #expect(throws: AuthError.self) { try ClientRules.checkPKCE(required: false, for: .public) }
        let publicClient = OAuthClient(
            id: "p", name: "p", type: .public, grantTypes: [.authorizationCode], scopes: [], requiresPKCE: false,
            createdAt: 0)
        #expect(publicClient.requiresPKCE)
    }

    @Test("a public client cannot use client credentials; grant types are de-duplicated and sorted")
    func grantTypes() throws {
        #expect(throws: AuthError.self) { try ClientRules.validGrantTypes([.clientCredentials], for: .public) }
        #expect(throws: AuthError.self) { try ClientRules.validGrantTypes([], for: .confidential) }
        #expect(
            try ClientRules.validGrantTypes([.refreshToken, .clientCredentials, .refreshToken], for: .confidential)
                == [.clientCredentials, .refreshToken])
    }

    @Test("scopes come from the configured set; ids are role-like, never a number; lifetimes 60 s to a day")
    func scopesIDsLifetimes() throws {
        #expect(try ClientRules.validScopes(["b", "a", "b"], allowed: ["a", "b"]) == ["a", "b"])
        #expect(throws: AuthError.self) { try ClientRules.validScopes(["c"], allowed: ["a", "b"]) }
        #expect(try ClientRules.validID("reports.svc-1") == "reports.svc-1")
        for bad in ["42", "Reports", "", String(repeating: "a", count: 65)] {
            #expect(throws: AuthError.self) { try ClientRules.validID(bad) }
        }
        #expect(try ClientRules.validLifetime(nil) == nil && ClientRules.validLifetime(60) == 60)
        #expect(throws: AuthError.self) { try ClientRules.validLifetime(59) }
        #expect(throws: AuthError.self) { try ClientRules.validLifetime(86401) }
    }

    @Test(
        "every change but a new name, ID-token algorithm or consent, introspection and PKCE policy cuts off the client's tokens"
    )
    func cutsOff() {
        #expect(!ClientChange(name: "Renamed").cutsOff)
        #expect(!ClientChange(skipConsent: true, mayIntrospect: true, requiresPKCE: false).cutsOff)
        #expect(!ClientChange(skipConsent: false).isEmpty)
        #expect(ClientChange(disabled: false).cutsOff)
        #expect(ClientChange(name: "Renamed", scopes: []).cutsOff)
        #expect(ClientChange(tokenLifetime: .some(nil)).cutsOff)
        #expect(!ClientChange().cutsOff && ClientChange().isEmpty)
    }
}
