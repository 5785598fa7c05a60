import AuthCrypto
import AuthPostgres
import AuthTestSupport
import Testing

@testable import AuthCore

@Suite("AuthorizationPolicy: sign in, consent, or a code, without a database")
struct AuthorizationPolicyTests {
    static let client = OAuthClient(
        id: "rp", name: "RP", type: .confidential, grantTypes: [.authorizationCode], scopes: ["openid", "email"],
        redirectURIs: ["https://rp.example.com/cb"], createdAt: 0)

    static func request(prompts: Set<Prompt> = [], maxAge: Int64? = nil) -> AuthorizationRequest {
        AuthorizationRequest(
            client: client, redirectURI: "https://rp.example.com/cb", scopes: ["email", "openid"], state: "st",
            nonce: nil, codeChallenge: nil, prompts: prompts, maxAge: maxAge, loginHint: nil)
    }

    static let session = SSOSession(sessionID: "s", userID: 7, authTime: 1000, methods: ["pwd"])
    static let consent = Consent(clientID: "rp", clientName: "RP", scopes: ["openid", "email", "profile"])

    static func step(
        _ request: AuthorizationRequest, session: SSOSession? = session, consent: Consent? = consent,
        interaction: Interaction = .init(), mode: PortalPolicy.ConsentMode = .remember, now: Int64 = 1200
    ) -> String {
        switch AuthorizationPolicy.next(
            for: request, session: session, consent: consent, interaction: interaction, consentMode: mode, now: now)
        {
        case .signIn: "sign in"
        case .consent: "consent"
        case .issueCode: "code"
        case .refuse(let error):
            "\(error.code.rawValue) state=\(error.state ?? "-")"
        case .foreign: "foreign"
        }
    }

    @Test("signed in and consented: a code; otherwise the page that is missing, or an error for prompt=none")
    func steps() {
        #expect(Self.step(Self.request()) == "code")
        #expect(Self.step(Self.request(), session: nil) == "sign in")
        #expect(Self.step(Self.request(prompts: [.none]), session: nil) == "login_required state=st")
        #expect(Self.step(Self.request(), consent: nil) == "consent")
        let partial = Consent(clientID: "rp", clientName: "RP", scopes: ["openid"])
        #expect(Self.step(Self.request(), consent: partial) == "consent", "a scope not consented to yet")
        #expect(Self.step(Self.request(prompts: [.none]), consent: nil) == "consent_required state=st")
        #expect(Self.step(Self.request(prompts: [.none])) == "code")
    }

    @Test("prompt=login and prompt=consent ask once per request: a sign-in or consent on its pages satisfies them")
    func promptsAskOnce() {
        #expect(Self.step(Self.request(prompts: [.login])) == "sign in", "signed in before the request")
        #expect(Self.step(Self.request(prompts: [.login]), interaction: .init(session: "s", signedIn: true)) == "code")
        #expect(Self.step(Self.request(prompts: [.consent])) == "consent")
        #expect(
            Self.step(Self.request(prompts: [.consent]), interaction: .init(session: "s", consented: true)) == "code")
        #expect(
            Self.step(Self.request(prompts: [.login, .consent]), interaction: .init(session: "s", signedIn: true))
                == "consent")
    }

    @Test(
        "a continuation belongs to the SSO session its sign-in or consent happened in: from another session or none it is foreign; a sign-in in another session drops what the old one did"
    )
    func continuationsAreBound() {
        let attackers = Interaction(session: "attacker", signedIn: true, consented: true)
        #expect(Self.step(Self.request(), interaction: attackers) == "foreign", "a victim's signed-in browser")
        #expect(Self.step(Self.request(), session: nil, interaction: attackers) == "foreign", "a signed-out browser")
        #expect(Self.step(Self.request(prompts: [.none]), interaction: attackers) == "foreign")
        #expect(Self.step(Self.request(), consent: nil, interaction: .init()) == "consent", "untouched: anywhere")
        var carried = attackers
        carried.signedIn(as: "s")
        #expect(carried == Interaction(session: "s", signedIn: true), "the attacker's consent is dropped")
        #expect(Self.step(Self.request(), consent: nil, interaction: carried) == "consent")
        #expect(Interaction(signedIn: true, consented: true) == Interaction(), "nothing done outside a session")
    }

    @Test(
        "consent given on the pages counts only with the stored record covering the scopes: a record withdrawn or narrower meanwhile asks again"
    )
    func consentNeedsTheRecord() {
        let given = Interaction(session: "s", consented: true)
        #expect(Self.step(Self.request(), consent: nil, interaction: given) == "consent")
        let narrower = Consent(clientID: "rp", clientName: "RP", scopes: ["openid"])
        #expect(Self.step(Self.request(), consent: narrower, interaction: given) == "consent")
        #expect(Self.step(Self.request(), interaction: given, mode: .always) == "code")
        #expect(Self.step(Self.request(), consent: nil, interaction: given, mode: .always) == "consent")
    }

    @Test(
        "every third-party client asks, even one with no scopes; a client marked skip_consent does not, but prompt=consent still asks"
    )
    func thirdPartyClientsAsk() {
        var noScopes = Self.request()
        noScopes.scopes = []
        #expect(Self.step(noScopes, consent: nil) == "consent", "no scopes, nothing recorded")
        #expect(Self.step(noScopes, consent: Consent(clientID: "rp", clientName: "RP", scopes: [])) == "code")
        var firstParty = Self.request()
        firstParty.client.skipConsent = true
        #expect(Self.step(firstParty, consent: nil) == "code")
        #expect(Self.step(firstParty, consent: nil, mode: .always) == "code")
        firstParty.prompts = [.consent]
        #expect(Self.step(firstParty, consent: nil) == "consent")
    }

    @Test(
        "max_age: a sign-in older than it asks again (login_required with prompt=none); max_age=0 right after is fine")
    func maxAge() {
        #expect(Self.step(Self.request(maxAge: 10000)) == "code")
        #expect(Self.step(Self.request(maxAge: 1)) == "sign in")
        #expect(Self.step(Self.request(prompts: [.none], maxAge: 1)) == "login_required state=st")
        #expect(Self.step(Self.request(maxAge: 0), now: 1000) == "code")
    }

    @Test("oidc.consent: always asks every request, implicit never (but prompt=consent still asks)")
    func consentModes() {
        #expect(Self.step(Self.request(), mode: .always) == "consent", "remembered consent does not count")
        #expect(Self.step(Self.request(), interaction: .init(session: "s", consented: true), mode: .always) == "code")
        #expect(Self.step(Self.request(prompts: [.none]), mode: .always) == "consent_required state=st")
        #expect(Self.step(Self.request(), consent: nil, mode: .implicit) == "code")
        #expect(Self.step(Self.request(prompts: [.none]), consent: nil, mode: .implicit) == "code")
        #expect(Self.step(Self.request(prompts: [.consent]), consent: nil, mode: .implicit) == "consent")
        #expect(Self.step(Self.request(), session: nil, mode: .implicit) == "sign in", "never skips the sign-in")
    }
}

@Suite("SSOSession: idle and touched, without a database")
struct SSOIdleTests {
    @Test("idle once unused longer than the timeout; a use is recorded at most once a minute")
    func idle() {
        let session = SSOSession(sessionID: "s", userID: 1, authTime: 1000, methods: ["pwd"], lastSeen: 2000)
        #expect(!session.isIdle(now: 3800, timeout: 1800) && session.isIdle(now: 3801, timeout: 1800))
        #expect(!session.needsTouch(now: 2059) && session.needsTouch(now: 2060))
        #expect(SSOSession(sessionID: "s", userID: 1, authTime: 1000, methods: []).lastSeen == 1000, "new: signed in")
    }
}

@Suite("PortalPolicy.returnURL: the nginx portal flow's rd= goes only to an allowed host")
struct ReturnURLTests {
    let policy = PortalPolicy(returnHosts: ["app.example.com", ".apps.example.com", "[::1]"])

    @Test("allowed: the listed host (any port, any case, path, query), hosts under a .domain entry, an IPv6 literal")
    func allowed() {
        for url in [
            "https://app.example.com/", "http://app.example.com:8080/x?y=1&z=%2F#f", "HTTPS://APP.Example.com/a",
            "https://app.example.com", "https://grafana.apps.example.com/d/1", "https://a.b.apps.example.com/",
            "http://[::1]:8000/app/",
        ] {
            #expect(policy.returnURL(url) == url, "\(url)")
        }
    }

    @Test("refused: other hosts, look-alikes, user info, backslashes, relative and scheme-relative URLs, other schemes")
    func refused() {
        for url in [
            "https://evil.example/", "https://app.example.com.evil.example/", "https://evilapp.example.com/",
            "https://apps.example.com/", "https://xapps.example.com/", "https://app.example.com@evil.example/",
            "https://evil.example@app.example.com/", "https://evil.example\\@app.example.com/",
            "https://evil.example\\.app.example.com/", "//app.example.com/", "/app/", "app.example.com",
            "javascript:alert(1)//app.example.com", "ftp://app.example.com/", "https:/app.example.com/",
            "https://app.example.com:80a/", "https://app.example.com:/", "https://app.example.com./",
            "https://app.example.com/\tx", "https://app.example.com/ x", "https://app.example.com/\u{e9}",
            "https://app.example.com/\0", "https://[::2]/", "https://[::1/", "", "https://",
            "https://app.example.com/" + String(repeating: "a", count: 2048),
        ] {
            #expect(policy.returnURL(url) == nil, "\(url)")
        }
        #expect(PortalPolicy().returnURL("https://app.example.com/") == nil, "no hosts listed: nowhere")
    }
}

@Suite("the portal's sign-in, SSO sessions and consent, stores in memory")
struct PortalTests {
    static let stacks = AuthService.StackSource.files([
        "http": (
            file: "stacks/http",
            text: "auth required password\nauth required active\nauth required totp if=enrolled"
        )
    ])

    static func stack() async throws -> (TestStack, PortalService) {
        let stack = try await TestStack(
            backing: .memory,
            stacks: stacks, configuration: .init(scopes: ["openid", "profile", "email"]))
        return (stack, stack.portal)
    }

    static func cookie(_ signIn: PortalSignIn) throws -> String {
        guard case .signedIn(let cookie, _) = signIn else { throw AuthError(.internal, "no cookie") }
        return cookie
    }

    @Test("a sign-in gives a cookie that stands for the user; unknown user and wrong password are refused alike")
    func signIn() async throws {
        let (stack, portal) = try await Self.stack()
        let (user, _) = try await stack.account()
        let cookie = try Self.cookie(
            try await portal.signIn(username: user.username, password: TestStack.password, source: nil, userAgent: nil))
        let current = try #require(try await portal.session(cookie: cookie))
        #expect(current.user.id == user.id && current.session.methods == ["pwd"])
        #expect(try await portal.session(cookie: nil) == nil)
        #expect(try await portal.session(cookie: "not a cookie") == nil)
        #expect(try await portal.session(cookie: String(repeating: "A", count: 43)) == nil)
        let wrong = await TestStack.outcome {
            _ = try await portal.signIn(
                username: user.username, password: "wrong password", source: nil, userAgent: nil)
        }
        let unknown = await TestStack.outcome {
            _ = try await portal.signIn(username: "nobody-\(user.username)", password: "x", source: nil, userAgent: nil)
        }
        #expect(wrong == "invalid_credentials" && unknown == wrong)
        await stack.shutdown()
    }

    @Test(
        "the SSO session ends with its authd session: sign-out, logout everywhere, a password change, an admin's disable"
    )
    func endsWithTheSession() async throws {
        let (stack, portal) = try await Self.stack()
        func signedIn(_ user: User, password: String = TestStack.password) async throws -> String {
            try Self.cookie(
                try await portal.signIn(username: user.username, password: password, source: nil, userAgent: nil))
        }
        let (user, token) = try await stack.account()
        let out = try await signedIn(user)
        try await portal.signOut(cookie: out)
        #expect(try await portal.session(cookie: out) == nil, "signed out")

        let everywhere = try await signedIn(user)
        try await stack.service.sessions.logoutAll(accessToken: token)
        #expect(try await portal.session(cookie: everywhere) == nil, "logout everywhere")

        let (other, otherToken) = try await stack.account()
        let changed = try await signedIn(other)
        try await stack.service.sessions.changePassword(
            accessToken: otherToken, currentPassword: TestStack.password, newPassword: "a brand new password")
        #expect(try await portal.session(cookie: changed) == nil, "a password change")

        let (third, _) = try await stack.account()
        let disabled = try await signedIn(third)
        _ = try await stack.admin.update(userID: third.id, UserChange(disabled: true), by: TestStack.testOperator)
        #expect(try await portal.session(cookie: disabled) == nil, "an admin's disable")
        await stack.shutdown()
    }

    @Test(
        "authorize: sign in, then consent, then a code whose exchange carries the sign-in's time; consent remembered and revocable"
    )
    func authorize() async throws {
        let (stack, portal) = try await Self.stack()
        let (user, _) = try await stack.account()
        let client = try await stack.admin.createClient(
            NewClient(
                id: TestDatabase.uniqueName("rp"), grantTypes: [.authorizationCode], scopes: ["openid", "email"],
                redirectURIs: ["https://rp.example.com/cb"]), by: TestStack.testOperator
        ).client
        let parameters = AuthorizationParameters(
            responseType: "code", clientID: client.id, redirectURI: "https://rp.example.com/cb",
            scope: "openid email", state: "st", codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            codeChallengeMethod: "S256")
        let request = try AuthorizationRules.check(
            parameters, client: client, configuredScopes: ["openid", "profile", "email"]
        ).get()
        var flow = PortalFlow(pending: PendingAuthorization(parameters: parameters, requestedAt: portal.now))
        guard case .askSignIn = try await portal.authorize(&flow, cookie: nil) else {
            Issue.record("no sign-in asked for a signed-out browser")
            return
        }
        let (signedIn, cookie) = try await portal.signIn(
            &flow, username: user.username, password: TestStack.password, source: nil, userAgent: nil, replacing: nil)
        #expect(signedIn == .authorize(try #require(flow.pending)) && cookie != nil)
        let session = try #require(try await portal.session(cookie: cookie)).session
        #expect(try await portal.authorize(&flow, cookie: cookie) == .askConsent(try #require(flow.pending)))
        #expect(
            try await portal.consent(&flow, allowed: true, cookie: cookie) == .authorize(try #require(flow.pending)))
        guard case .code(let code, let coded) = try await portal.authorize(&flow, cookie: cookie) else {
            Issue.record("no code after consent")
            return
        }
        #expect(coded == request)
        let exchanged = try await stack.service.oauth.exchange(
            code: code, redirectURI: "https://rp.example.com/cb",
            codeVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", for: client)
        #expect(exchanged.user.id == user.id && exchanged.grant.authTime == session.authTime)
        #expect(exchanged.idToken != nil)

        #expect(try await portal.consents(cookie: cookie)?.consents.map(\.clientID) == [client.id])
        try await portal.revokeConsent(clientID: client.id, cookie: cookie)
        #expect(try await portal.authorize(request, cookie: cookie).step == .consent)
        #expect(
            await TestStack.outcome { try await portal.revokeConsent(clientID: client.id, cookie: cookie) }
                == "not_found")
        await stack.shutdown()
    }

    @Test("an enrolled user signs in with a TOTP code as the second step: amr pwd and otp")
    func secondFactor() async throws {
        let (stack, portal) = try await Self.stack()
        let (user, token) = try await stack.account()
        let setup = try await stack.service.mfa.setup(accessToken: token)
        let secret = try #require(Base32.decode(setup.secret))
        _ = try await stack.service.mfa.confirm(
            accessToken: token, code: try OneTimePassword().totp(secret: secret, at: UnixTime.now()))
        let first = try await portal.signIn(
            username: user.username, password: TestStack.password, source: nil, userAgent: nil)
        guard case .secondFactorRequired(let challenge) = first else {
            Issue.record("no second step for an enrolled user")
            return
        }
        #expect(
            await TestStack.outcome {
                _ = try await portal.completeSignIn(challenge: challenge, code: "000000", source: nil, userAgent: nil)
            } == "invalid_credentials")
        // The enrolment's code was spent: the next time step's code is still accepted (one step of drift).
        let code = try OneTimePassword().totp(secret: secret, at: UnixTime.now() + 30)
        let done = try await portal.completeSignIn(challenge: challenge, code: code, source: nil, userAgent: nil)
        guard case .signedIn(_, let session) = done else {
            Issue.record("not signed in after the second step")
            return
        }
        #expect(session.methods == ["pwd", "otp"])
        await stack.shutdown()
    }
}

@Suite("CSRFGuard: a form token for one CSRF cookie and one SSO session, without a database")
struct CSRFGuardTests {
    static let cookie = String(repeating: "c", count: 43)

    @Test("the token matches its own cookie and SSO cookie only; anything malformed or missing does not")
    func binding() throws {
        let guard_ = try CSRFGuard(keyring: try TestStack.testCodec().keyring)
        let signedOut = try guard_.field(cookie: Self.cookie, sso: nil)
        let signedIn = try guard_.field(cookie: Self.cookie, sso: "sso-1")
        #expect(guard_.matches(field: signedOut, cookie: Self.cookie, sso: nil))
        #expect(guard_.matches(field: signedIn, cookie: Self.cookie, sso: "sso-1"))
        #expect(!guard_.matches(field: signedOut, cookie: Self.cookie, sso: "sso-1"), "rendered before the sign-in")
        #expect(!guard_.matches(field: signedIn, cookie: Self.cookie, sso: "sso-2"), "another SSO session")
        #expect(!guard_.matches(field: signedIn, cookie: String(repeating: "d", count: 43), sso: "sso-1"))
        #expect(!guard_.matches(field: Self.cookie, cookie: Self.cookie, sso: nil), "the cookie itself is no token")
        #expect(!guard_.matches(field: nil, cookie: Self.cookie, sso: nil))
        #expect(!guard_.matches(field: signedOut, cookie: nil, sso: nil))
        #expect(!guard_.matches(field: signedOut, cookie: "short", sso: nil))
        let other = try CSRFGuard(keyring: try TestStack.testCodec(secret: Array(repeating: 7, count: 40)).keyring)
        #expect(!other.matches(field: signedOut, cookie: Self.cookie, sso: nil), "another secret")
    }
}
