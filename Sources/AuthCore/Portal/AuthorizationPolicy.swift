/// What the authorization endpoint does next with a checked request.
public enum AuthorizationStep: Hashable, Sendable {
    /// Show the sign-in page.
    case signIn
    /// Show the consent page for the request's scopes.
    case consent
    /// Issue a code for this session's user and redirect back.
    case issueCode(SSOSession)
    /// Redirect back with this error (`prompt=none` that would need a page).
    case refuse(AuthorizationError)
    /// The continuation was made in another SSO session (another browser, person or sign-in): an
    /// error page, never a redirect.
    case foreign
}

/// OpenID Connect Core §3.1.2.1 and §3.1.2.3: whether the user must sign in, consent, or neither.
public enum AuthorizationPolicy {
    /// `session` is the browser's SSO session, if any; `consent` the user's consent to the client
    /// as stored now (the record a code is issued on); `interaction` what the pages already did for
    /// this request; `consentMode` when to ask (`oidc.consent`).
    ///
    /// A client an administrator marked first-party (`skip_consent`) is not asked about; every
    /// other client is, once (`remember`: until the stored consent covers the scopes, even none),
    /// every time (`always`), or only for `prompt=consent` (`implicit`, the operator's choice that
    /// every client is their own). When asked, a code needs both the consent given on the pages
    /// in this SSO session and the stored record covering the scopes.
    public static func next(
        for request: AuthorizationRequest, session: SSOSession?, consent: Consent?, interaction: Interaction = .init(),
        consentMode: PortalPolicy.ConsentMode = .remember, now: Int64
    ) -> AuthorizationStep {
        guard interaction.belongs(to: session?.sessionID) else { return .foreign }
        let interactive = !request.prompts.contains(.none)
        func refuse(_ code: AuthorizationError.Code, _ description: String) -> AuthorizationStep {
            .refuse(request.error(code, description))
        }
        guard let session else {
            return interactive ? .signIn : refuse(.loginRequired, "the user is not signed in")
        }
        let tooOld = request.maxAge.map { now - session.authTime > $0 } ?? false
        let reauthenticate = request.prompts.contains(.login) && !interaction.signedIn
        if tooOld || reauthenticate {
            return interactive ? .signIn : refuse(.loginRequired, "the user must sign in again")
        }
        let recorded = consent.map { Set(request.scopes).isSubset(of: $0.scopes) } ?? false
        let asked = request.prompts.contains(.consent)
        let ask =
            switch consentMode {
            case _ where request.client.skipConsent: asked
            case .remember: !recorded || asked
            case .always: true
            case .implicit: asked
            }
        if ask && !(interaction.consented && recorded) {
            return interactive ? .consent : refuse(.consentRequired, "the user has not consented to these scopes")
        }
        return .issueCode(session)
    }
}
