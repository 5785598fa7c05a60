/// The portal's pages over `PortalFlow`: each use case does its I/O (the login, the stores) and
/// feeds what happened to the flow, which decides the next step.
extension PortalService {
    /// The sign-in form. The SSO cookie is set only when it returns one: the browser is signed in.
    public func signIn(
        _ flow: inout PortalFlow, username: String, password: String, source: String?, userAgent: String?,
        replacing previous: String?
    ) async throws -> (step: PortalFlow.Step, cookie: String?) {
        let outcome: PortalSignIn
        do {
            outcome = try await signIn(
                username: username, password: password, source: source, userAgent: userAgent, replacing: previous)
        } catch let error as AuthError where error.code == .invalidCredentials || error.code == .accountDenied {
            return (flow.next(after: .signInRefused), nil)
        }
        return proceed(&flow, outcome)
    }

    /// The one-time-code form for the challenge the sign-in form gave.
    public func completeSignIn(
        _ flow: inout PortalFlow, challenge: String, code: String, source: String?, userAgent: String?,
        replacing previous: String?
    ) async throws -> (step: PortalFlow.Step, cookie: String?) {
        let outcome: PortalSignIn
        do {
            outcome = try await completeSignIn(
                challenge: challenge, code: code, source: source, userAgent: userAgent, replacing: previous)
        } catch let error as AuthError where error.code == .invalidCredentials {
            return (flow.next(after: .codeRefused(challenge: challenge)), nil)
        } catch let error as AuthError where error.code == .invalidMFAToken {
            return (flow.next(after: .challengeExpired), nil)
        }
        return proceed(&flow, outcome)
    }

    /// A login another use case made (sign-in by mail), continuing the flow as a sign-in does.
    public func signIn(
        _ flow: inout PortalFlow, _ outcome: LoginOutcome, methods: [String], replacing previous: String?
    )
        async throws -> (step: PortalFlow.Step, cookie: String?)
    {
        proceed(&flow, try await signIn(outcome, methods: methods, replacing: previous))
    }

    private func proceed(_ flow: inout PortalFlow, _ outcome: PortalSignIn) -> (
        step: PortalFlow.Step, cookie: String?
    ) {
        switch outcome {
        case .secondFactorRequired(let challenge):
            (flow.next(after: .secondFactorRequired(challenge: challenge)), nil)
        case .signedIn(let cookie, let session):
            (flow.next(after: .signedIn(session)), cookie)
        }
    }

    /// The authorization endpoint for the flow's request in this browser: checked against its
    /// client again (it may have changed since), then a sign-in, consent, or a code.
    public func authorize(_ flow: inout PortalFlow, cookie: String?) async throws -> PortalFlow.Step {
        guard let pending = flow.pending else { return .foreign }
        let request: AuthorizationRequest
        switch try await check(pending.parameters) {
        case .failure(.page(let error)): return .rejected(error)
        case .failure(.redirect(let error)): return .refuse(error)
        case .success(let checked): request = checked
        }
        let (decision, code) = try await authorize(request, cookie: cookie, interaction: pending.interaction)
        return flow.next(after: .authorizationDecided(decision, request, code: code))
    }

    /// The consent page's answer, given in the browser's SSO session; an allowed one is
    /// remembered for the user and client. `invalidCredentials` when not signed in.
    public func consent(_ flow: inout PortalFlow, allowed: Bool, cookie: String?) async throws -> PortalFlow.Step {
        guard let pending = flow.pending else { return .foreign }
        guard case .success(let request) = try await check(pending.parameters) else {
            return .rejected(AuthError(.invalidClient, "This application can no longer sign you in."))
        }
        guard let (session, user) = try await session(cookie: cookie) else {
            throw AuthError(.invalidCredentials, "sign in first")
        }
        let step = flow.next(after: .consentAnswered(request, allowed: allowed, session: session))
        if case .authorize = step {
            try await store.recordConsent(userID: user.id, clientID: request.client.id, scopes: request.scopes)
            logger.info("consent given", metadata: ["user_id": "\(user.id)", "client_id": "\(request.client.id)"])
        }
        return step
    }
}
