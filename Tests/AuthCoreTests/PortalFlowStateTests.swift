import AuthTestSupport
import Testing

@testable import AuthCore

@Suite("PortalFlow: sign-in, one-time code, consent and back, every transition without a database")
struct PortalFlowStateTests {
    static let parameters = AuthorizationParameters(
        responseType: "code", clientID: "rp", redirectURI: "https://rp.example.com/cb", scope: "openid email",
        state: "st", codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", codeChallengeMethod: "S256")
    static let pending = PendingAuthorization(parameters: parameters, requestedAt: 1000)
    static let request = AuthorizationPolicyTests.request()
    static let mine = SSOSession(sessionID: "mine", userID: 7, authTime: 1100, methods: ["pwd"])
    static let theirs = SSOSession(sessionID: "theirs", userID: 9, authTime: 1100, methods: ["pwd"])

    /// What the authorization endpoint decides for the flow's request now (`AuthorizationPolicy`,
    /// as `PortalService.authorize` runs it), fed back to the flow.
    static func authorize(
        _ flow: inout PortalFlow, session: SSOSession?, consent: Consent?, prompts: Set<Prompt> = []
    ) -> PortalFlow.Step {
        let request = AuthorizationPolicyTests.request(prompts: prompts)
        let decision = AuthorizationPolicy.next(
            for: request, session: session, consent: consent,
            interaction: flow.pending?.interaction ?? .init(), now: 1200)
        let code = if case .issueCode = decision { "the-code" } else { String?.none }
        return flow.next(after: .authorizationDecided(decision, request, code: code))
    }

    @Test(
        "what the browser came for: a client's request wins over rd; rd alone is the nginx flow; neither is the portal")
    func purposes() {
        #expect(
            PortalFlow(pending: Self.pending, returnTo: "https://app.example.com/").purpose
                == .authorization(Self.pending))
        #expect(PortalFlow(pending: nil, returnTo: "https://app.example.com/").returnTo == "https://app.example.com/")
        #expect(PortalFlow(pending: nil).purpose == .portal)
        #expect(PortalFlow(pending: nil).pending == nil && PortalFlow(pending: Self.pending).returnTo == nil)
    }

    @Test("the sign-in form and the one-time code: refused, a second step, a wrong code, an expired challenge")
    func signInSteps() {
        for start in [PortalFlow(pending: Self.pending), PortalFlow(pending: nil, returnTo: "https://a.example/")] {
            var flow = start
            #expect(flow.next(after: .signInRefused) == .signIn(.invalidCredentials))
            #expect(flow.next(after: .secondFactorRequired(challenge: "c")) == .oneTimeCode(challenge: "c", nil))
            #expect(flow.next(after: .codeRefused(challenge: "c")) == .oneTimeCode(challenge: "c", .invalidCode))
            #expect(flow.next(after: .challengeExpired) == .signIn(.signInExpired))
            #expect(flow == start, "nothing is noted before a sign-in succeeds")
        }
    }

    @Test(
        "signed in: back to the authorization endpoint (noted in the continuation), to the application, or the consents page"
    )
    func signedIn() {
        var authorization = PortalFlow(pending: Self.pending)
        var expected = Self.pending
        expected.interaction.signedIn(as: "mine")
        #expect(authorization.next(after: .signedIn(Self.mine)) == .authorize(expected))
        #expect(authorization.pending?.interaction == Interaction(session: "mine", signedIn: true))

        var application = PortalFlow(pending: nil, returnTo: "https://app.example.com/x")
        #expect(application.next(after: .signedIn(Self.mine)) == .application("https://app.example.com/x"))
        var portal = PortalFlow(pending: nil)
        #expect(portal.next(after: .signedIn(Self.mine)) == .consents)
    }

    @Test("the whole sequence: sign-in asked, signed in, consent asked, consented, a code; prompt=login asks once")
    func wholeSequence() {
        for prompts: Set<Prompt> in [[], [.login], [.consent], [.login, .consent]] {
            var flow = PortalFlow(pending: Self.pending)
            #expect(Self.authorize(&flow, session: nil, consent: nil, prompts: prompts) == .askSignIn(Self.pending))
            guard case .authorize = flow.next(after: .signedIn(Self.mine)) else {
                Issue.record("a sign-in did not go back to the authorization endpoint")
                return
            }
            let pending = flow.pending!
            #expect(Self.authorize(&flow, session: Self.mine, consent: nil, prompts: prompts) == .askConsent(pending))
            guard case .authorize = flow.next(after: .consentAnswered(Self.request, allowed: true, session: Self.mine))
            else {
                Issue.record("consent did not go back to the authorization endpoint")
                return
            }
            let stored = Consent(clientID: "rp", clientName: "RP", scopes: ["openid", "email"])
            let step = Self.authorize(&flow, session: Self.mine, consent: stored, prompts: prompts)
            #expect(step == .code("the-code", AuthorizationPolicyTests.request(prompts: prompts)), "\(prompts)")
        }
    }

    @Test("denied consent goes back to the client as access_denied with its state; prompt=none errors go back too")
    func refusals() {
        var flow = PortalFlow(pending: Self.pending)
        _ = flow.next(after: .signedIn(Self.mine))
        guard
            case .refuse(let denied) = flow.next(
                after: .consentAnswered(Self.request, allowed: false, session: Self.mine))
        else {
            Issue.record("a denied consent was not refused")
            return
        }
        #expect(
            denied.code == .accessDenied && denied.state == "st" && denied.redirectURI == "https://rp.example.com/cb")
        #expect(flow.pending?.interaction.consented == false)

        var silent = PortalFlow(pending: Self.pending)
        guard case .refuse(let error) = Self.authorize(&silent, session: nil, consent: nil, prompts: [.none]) else {
            Issue.record("prompt=none without a session was not refused")
            return
        }
        #expect(error.code == .loginRequired)

        var coded = PortalFlow(pending: Self.pending)
        let issued = coded.next(after: .authorizationDecided(.issueCode(Self.mine), Self.request, code: nil))
        guard case .refuse(let missing) = issued else {
            Issue.record("a decision to issue a code without one went on")
            return
        }
        #expect(missing.code == .serverError)
    }

    @Test(
        "attacks: a continuation signed in or consented by somebody else is foreign in any other session, even to deny; a sign-in here drops their consent; consent without a request is foreign"
    )
    func attacks() {
        // The attacker signs in on the pages, then sends the continuation to a victim.
        var planted = PortalFlow(pending: Self.pending)
        _ = planted.next(after: .signedIn(Self.theirs))
        var victim = planted
        #expect(victim.next(after: .consentAnswered(Self.request, allowed: true, session: Self.mine)) == .foreign)
        #expect(victim.next(after: .consentAnswered(Self.request, allowed: false, session: Self.mine)) == .foreign)
        #expect(victim == planted, "nothing the victim did was noted")
        #expect(!victim.belongs(to: Self.mine) && !victim.belongs(to: nil) && victim.belongs(to: Self.theirs))
        #expect(
            Self.authorize(&victim, session: Self.mine, consent: nil) == .foreign,
            "the authorization endpoint refuses it too")

        // The attacker also consented; the victim signs in on that continuation: nothing of theirs is kept.
        var consented = planted
        _ = consented.next(after: .consentAnswered(Self.request, allowed: true, session: Self.theirs))
        #expect(consented.pending?.interaction.consented == true)
        _ = consented.next(after: .signedIn(Self.mine))
        #expect(consented.pending?.interaction == Interaction(session: "mine", signedIn: true))

        var noRequest = PortalFlow(pending: nil, returnTo: "https://app.example.com/")
        #expect(noRequest.next(after: .consentAnswered(Self.request, allowed: true, session: Self.mine)) == .foreign)
        #expect(noRequest.next(after: .authorizationDecided(.signIn, Self.request, code: nil)) == .foreign)
        #expect(PortalFlow(pending: Self.pending).belongs(to: nil), "untouched: usable anywhere")
    }
}

@Suite("the portal's flow over the stores in memory: consent in a foreign session records nothing")
struct PortalFlowServiceTests {
    @Test("a continuation signed in by one user, answered in another's browser: foreign, and no consent stored")
    func foreignConsentRecordsNothing() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: ["openid", "profile", "email"]))
        let portal = stack.portal
        let client = try await stack.admin.createClient(
            NewClient(
                id: TestDatabase.uniqueName("rp"), grantTypes: [.authorizationCode], scopes: ["openid", "email"],
                redirectURIs: ["https://rp.example.com/cb"]), by: TestStack.testOperator
        ).client
        var parameters = PortalFlowStateTests.parameters
        parameters.clientID = client.id
        var attackers = PortalFlow(pending: PendingAuthorization(parameters: parameters, requestedAt: portal.now))
        let (attacker, _) = try await stack.account()
        let (victim, _) = try await stack.account()
        _ = try await portal.signIn(
            &attackers, username: attacker.username, password: TestStack.password, source: nil, userAgent: nil,
            replacing: nil)
        var victims = PortalFlow(pending: nil)
        let (_, victimCookie) = try await portal.signIn(
            &victims, username: victim.username, password: TestStack.password, source: nil, userAgent: nil,
            replacing: nil)
        let answered = try await portal.consent(&attackers, allowed: true, cookie: victimCookie)
        #expect(answered == .foreign, "\(answered)")
        #expect(try await portal.consents(cookie: victimCookie)?.consents == [])
        #expect(try await portal.authorize(&attackers, cookie: victimCookie) == .foreign)
        let carried = PendingAuthorization(parameters: parameters, requestedAt: portal.now)
        let signedOut = await TestStack.outcome {
            var flow = PortalFlow(pending: carried)
            _ = try await portal.consent(&flow, allowed: true, cookie: nil)
        }
        #expect(signedOut == "invalid_credentials", "signed out: sign in first")
        await stack.shutdown()
    }
}
