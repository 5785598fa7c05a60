import Testing

@testable import AuthCore

@Suite("AuthorizationRules: which authorization requests get a code, a redirected error or an error page")
struct AuthorizationRulesTests {
    static let redirect = "https://rp.example.com/callback"
    static let scopes: Set<String> = ["openid", "profile", "email", "reports:read"]
    /// RFC 7636 Appendix B's verifier and its S256 challenge.
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    /// A client; confidential ones opted out of PKCE unless `pkce`, so the other rules are checked alone.
    static func client(
        _ type: ClientType = .confidential, grants: [GrantType] = [.authorizationCode], pkce: Bool = false
    ) -> OAuthClient {
        OAuthClient(
            id: "rp", name: "Relying party", type: type, grantTypes: grants, scopes: ["openid", "profile", "email"],
            redirectURIs: [redirect, "com.example.app:/cb"], requiresPKCE: pkce, createdAt: 0)
    }

    static func parameters(_ edit: (inout AuthorizationParameters) -> Void = { _ in }) -> AuthorizationParameters {
        var parameters = AuthorizationParameters(
            responseType: "code", clientID: "rp", redirectURI: redirect, scope: "openid profile", state: "s-1",
            nonce: "n-1")
        edit(&parameters)
        return parameters
    }

    static func check(_ parameters: AuthorizationParameters, client: OAuthClient? = client())
        -> Result<AuthorizationRequest, AuthorizationRefusal>
    {
        AuthorizationRules.check(parameters, client: client, configuredScopes: scopes)
    }

    /// The redirected error's code and echoed state, nil when the request passed or got a page.
    static func redirected(_ result: Result<AuthorizationRequest, AuthorizationRefusal>) -> (String, String?)? {
        guard case .failure(.redirect(let error)) = result else { return nil }
        #expect(error.redirectURI == redirect, "errors go only to the registered URI")
        return (error.code.rawValue, error.state)
    }

    @Test("a good request: the exact registered URI, scopes sorted, state and nonce kept, OpenID")
    func accepted() throws {
        let request = try Self.check(Self.parameters()).get()
        #expect(request.redirectURI == Self.redirect && request.scopes == ["openid", "profile"])
        #expect(request.state == "s-1" && request.nonce == "n-1" && request.isOpenID && request.prompts.isEmpty)
        let plain = try Self.check(Self.parameters { $0.scope = nil }).get()
        #expect(plain.scopes == ["email", "openid", "profile"], "no scope: all the client may have")
        #expect(try !Self.check(Self.parameters { $0.scope = "profile" }).get().isOpenID)
        let unknownIgnored = try Self.check(
            Self.parameters {
                $0.loginHint = "alice"; $0.maxAge = "0"
            }
        ).get()
        #expect(unknownIgnored.loginHint == "alice" && unknownIgnored.maxAge == 0)
    }

    @Test(
        "no trustworthy redirect URI is an error page, never a redirect",
        arguments: [
            (nil, redirect), ("", redirect), ("other", redirect), ("rp", nil), ("rp", redirect + "/extra"),
            ("rp", redirect + "?x=1"), ("rp", "https://RP.example.com/callback"), ("rp", "https://evil.example/cb"),
        ] as [(String?, String?)])
    func errorPages(clientID: String?, redirectURI: String?) {
        let result = Self.check(
            Self.parameters {
                $0.clientID = clientID
                $0.redirectURI = redirectURI
            }, client: clientID == "rp" ? Self.client() : nil)
        guard case .failure(.page) = result else {
            Issue.record("expected an error page for client \(clientID ?? "nil") and \(redirectURI ?? "nil")")
            return
        }
    }

    @Test("a disabled client gets an error page")
    func disabledClient() {
        var client = Self.client()
        client.disabled = true
        guard case .failure(.page(let error)) = Self.check(Self.parameters(), client: client) else {
            Issue.record("a disabled client redirected")
            return
        }
        #expect(error.code == .invalidClient)
    }

    @Test("once the redirect URI is trusted, every other fault goes back to it with its code and the state")
    func redirectedErrors() {
        let cases: [(String, (inout AuthorizationParameters) -> Void)] = [
            ("invalid_request", { $0.responseType = nil }),
            ("unsupported_response_type", { $0.responseType = "token" }),
            ("unsupported_response_type", { $0.responseType = "code id_token" }),
            ("invalid_scope", { $0.scope = "openid admin" }),
            ("invalid_scope", { $0.scope = "reports:read" }),  // configured, but not this client's
            ("invalid_scope", { $0.scope = "openid  profile" }),
            ("request_not_supported", { $0.request = "eyJhbGciOiJub25lIn0.e30." }),
            ("request_uri_not_supported", { $0.requestURI = "https://rp.example.com/request.jwt" }),
            ("invalid_request", { $0.prompt = "none login" }),
            ("invalid_request", { $0.prompt = "sometimes" }),
            ("invalid_request", { $0.maxAge = "-1" }),
            ("invalid_request", { $0.maxAge = "soon" }),
            ("invalid_request", { $0.nonce = String(repeating: "n", count: 513) }),
            ("invalid_request", { $0.codeChallenge = Self.challenge }),  // no method: plain
            (
                "invalid_request",
                {
                    $0.codeChallenge = Self.verifier; $0.codeChallengeMethod = "plain"
                }
            ),
            (
                "invalid_request",
                {
                    $0.codeChallenge = "short"; $0.codeChallengeMethod = "S256"
                }
            ),
            ("invalid_request", { $0.codeChallengeMethod = "S256" }),
        ]
        for (code, edit) in cases {
            let result = Self.redirected(Self.check(Self.parameters(edit)))
            #expect(result?.0 == code && result?.1 == "s-1", "\(code): got \(String(describing: result))")
        }
        let unauthorized = Self.redirected(
            Self.check(Self.parameters(), client: Self.client(grants: [.clientCredentials])))
        #expect(unauthorized?.0 == "unauthorized_client")
        let longState = Self.redirected(Self.check(Self.parameters { $0.state = String(repeating: "s", count: 1025) }))
        #expect(longState?.0 == "invalid_request" && longState?.1 == nil, "a state too long is not echoed")
    }

    @Test(
        "PKCE: every client must send S256 but a confidential one opted out; the verifier is checked by RFC 7636's example"
    )
    func pkce() throws {
        let public_ = Self.client(.public)
        #expect(public_.requiresPKCE, "a public client cannot opt out")
        #expect(Self.redirected(Self.check(Self.parameters(), client: public_))?.0 == "invalid_request")
        let confidential = Self.client(pkce: true)
        #expect(Self.redirected(Self.check(Self.parameters(), client: confidential))?.0 == "invalid_request")
        let request = try Self.check(
            Self.parameters {
                $0.codeChallenge = Self.challenge
                $0.codeChallengeMethod = "S256"
            }, client: public_
        ).get()
        #expect(request.codeChallenge == Self.challenge)
        #expect(try Self.check(Self.parameters()).get().codeChallenge == nil, "a confidential client opted out")

        #expect(AuthorizationRules.verifierMatches(Self.verifier, challenge: Self.challenge))
        #expect(!AuthorizationRules.verifierMatches(Self.verifier + "x", challenge: Self.challenge))
        #expect(!AuthorizationRules.verifierMatches(Self.challenge, challenge: Self.challenge))
        #expect(!AuthorizationRules.verifierMatches("too-short", challenge: Self.challenge))
        #expect(!AuthorizationRules.verifierMatches(String(repeating: "a", count: 129), challenge: Self.challenge))
        #expect(
            !AuthorizationRules.verifierMatches(
                "dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk", challenge: Self.challenge))
    }

    @Test("prompt values: none alone; login, consent and select_account together")
    func prompts() throws {
        let request = try Self.check(Self.parameters { $0.prompt = "login consent select_account" }).get()
        #expect(request.prompts == [.login, .consent, .selectAccount])
        #expect(try Self.check(Self.parameters { $0.prompt = "none" }).get().prompts == [.none])
    }
}
