import AuthCore
import AuthCrypto
import HTTPTypes
import Hummingbird

extension HTTPFrontEnd {
    // MARK: Sign-in

    func signInPage(
        _ request: Request, _ flow: PortalFlow, _ portal: PortalService, notice: PortalFlow.Notice? = nil,
        username: String? = nil
    ) async throws -> Response {
        let pending = flow.pending
        let clientName = try await clientName(pending, portal)
        let error: String? =
            switch notice {
            case .invalidCredentials: "Invalid username or password."
            case .signInExpired: "The sign-in took too long. Sign in again."
            case .invalidCode, nil: nil
            }
        let status: HTTPResponse.Status = notice == nil ? .ok : .unauthorized
        return try formPage(request, status, formTarget: flow.formTarget) { csrf in
            PortalPages.signIn(
                csrf: csrf, pending: try pending?.sealed(with: portal.keyring), returnTo: flow.returnTo,
                clientName: clientName, username: username ?? pending?.parameters.loginHint ?? "", error: error,
                forgotPassword: passwordReset != nil, signInByMail: signInByMail != nil,
                selfRegistration: portal.policy.selfRegistration)
        }
    }

    func signIn(_ request: Request, _ context: AuthRequestContext, _ portal: PortalService) async throws
        -> Response
    {
        let form = try await form(request, ["csrf", "authz", "rd", "username", "password"])
        try checkCSRF(request, form)
        var flow = try self.flow(form, portal)
        let (step, cookie) = try await portal.signIn(
            &flow, username: form["username"] ?? "", password: form["password"] ?? "", source: context.client,
            userAgent: request.headers[.userAgent], replacing: self.cookie(request, Self.ssoCookie))
        return try await answer(step, flow, request, portal, signedIn: cookie, username: form["username"])
    }

    func secondStep(_ request: Request, _ context: AuthRequestContext, _ portal: PortalService) async throws
        -> Response
    {
        let form = try await form(request, ["csrf", "authz", "rd", "challenge", "code"])
        try checkCSRF(request, form)
        var flow = try self.flow(form, portal)
        let (step, cookie) = try await portal.completeSignIn(
            &flow, challenge: form["challenge"] ?? "", code: form["code"] ?? "", source: context.client,
            userAgent: request.headers[.userAgent], replacing: self.cookie(request, Self.ssoCookie))
        return try await answer(step, flow, request, portal, signedIn: cookie)
    }

    /// The flow a page's `authz` (a client's sealed request) and `rd` (the nginx flow's return
    /// URL) stand for.
    func flow(_ input: FormBody, _ portal: PortalService) throws -> PortalFlow {
        PortalFlow(
            pending: try input["authz"].map { try pending($0, portal) }, returnTo: try returnURL(input["rd"], portal))
    }

    /// The HTTP answer for a step of the flow: a page, or a redirect. `signedIn` is the SSO
    /// cookie of a sign-in that just happened, set on the answer.
    func answer(
        _ step: PortalFlow.Step, _ flow: PortalFlow, _ request: Request, _ portal: PortalService,
        signedIn cookie: String? = nil, username: String? = nil
    ) async throws -> Response {
        var response: Response
        switch step {
        case .signIn(let notice):
            response = try await signInPage(request, flow, portal, notice: notice, username: username)
        case .oneTimeCode(let challenge, let notice):
            response = try oneTimeCodePage(request, flow, portal, challenge: challenge, notice: notice)
        case .askSignIn(let pending): response = Self.seeOther(try continuation("/ui/login", pending, portal))
        case .askConsent(let pending): response = Self.seeOther(try continuation("/ui/consent", pending, portal))
        case .authorize(let pending): response = Self.seeOther(try continuation("/oauth2/authorize", pending, portal))
        case .code(let code, let checked):
            var parameters = [("code", code), ("iss", portal.issuer)]
            if let state = checked.state { parameters.append(("state", state)) }
            response = authorizationResponse(parameters, to: checked.redirectURI, mode: checked.responseMode)
        case .refuse(let error): response = redirect(error, issuer: portal.issuer)
        case .application(let url):
            let sso = cookie ?? self.cookie(request, Self.ssoCookie)
            response = try await backToApplication(url, sso: sso, portal) ?? Self.seeOther("/ui/consents")
        case .consents: response = Self.seeOther("/ui/consents")
        case .foreign: throw Self.foreignContinuation
        case .rejected(let error): response = html(.badRequest, PortalPages.error(error.message))
        }
        if let cookie { response.setCookie(ssoCookie(cookie, issuer: portal.issuer)) }
        return response
    }

    /// A portal URL carrying the sealed request.
    func continuation(_ path: String, _ pending: PendingAuthorization, _ portal: PortalService) throws -> String {
        path + "?authz=" + URLEncoding.component(try pending.sealed(with: portal.keyring))
    }

    func oneTimeCodePage(
        _ request: Request, _ flow: PortalFlow, _ portal: PortalService, challenge: String,
        notice: PortalFlow.Notice?
    ) throws -> Response {
        let pending = flow.pending
        return try formPage(request, notice == nil ? .ok : .unauthorized, formTarget: flow.formTarget) { csrf in
            PortalPages.oneTimeCode(
                csrf: csrf, pending: try pending?.sealed(with: portal.keyring), returnTo: flow.returnTo,
                challenge: challenge, error: notice == nil ? nil : "That code is not valid.")
        }
    }

    // MARK: The nginx portal flow

    /// `rd`, when given, must be on an `oidc.return_hosts` host (or be the portal's device page):
    /// anything else is an error page, never a redirect.
    func returnURL(_ rd: String?, _ portal: PortalService) throws -> String? {
        guard let rd else { return nil }
        if let device = Self.deviceReturn(rd) { return device }
        guard let url = portal.policy.returnURL(rd) else {
            logger.warning(
                "portal: a return URL outside oidc.return_hosts was refused",
                metadata: ["host": "\(PortalPolicy.host(of: rd)?.prefix(253) ?? "(not an http URL)")"])
            throw PortalRefusal.page(.badRequest, "That return address is not one authd may send you to.")
        }
        return url
    }

    /// Back to the application with a fresh `access_token` cookie for the SSO session (what
    /// nginx's `/authz` subrequest reads); nil when the browser is not signed in.
    func backToApplication(_ url: String, sso: String?, _ portal: PortalService) async throws -> Response? {
        if Self.deviceReturn(url) != nil {
            // The portal's own device page: no cookie for nginx.
            return try await portal.session(cookie: sso) == nil ? nil : Self.seeOther(url)
        }
        guard let token = try await portal.accessToken(cookie: sso) else { return nil }
        var response = Self.seeOther(url)
        response.setCookie(
            Cookie(
                name: Self.accessTokenCookie, value: token.token, maxAge: Int(token.expiresIn),
                domain: portal.policy.cookieDomain, path: "/", secure: secure(portal.issuer), httpOnly: true,
                sameSite: .lax))
        return response
    }
}

extension PortalFlow {
    /// Where a form on this flow's pages may lead, besides authd: the client's redirect URI, or
    /// the nginx flow's return URL (for the page's CSP form-action).
    var formTarget: String? { pending?.parameters.redirectURI ?? returnTo }
}
