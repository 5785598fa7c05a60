import AuthCore
import AuthCrypto
import HTTPTypes
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The browser front end: `GET|POST /oauth2/authorize` and the portal's pages under `/ui/`
/// (sign-in, one-time code, consent, consents, sign-out). Thin over `PortalService` and its
/// `PortalFlow`, which decide every step; these routes read forms, check the CSRF token, set
/// cookies (Hummingbird's `Cookie`) and render each step (`answer`).
///
/// Cookies: `authd_sso` (the SSO session; opaque, HttpOnly, SameSite=Lax, host-only, Secure unless
/// `oauth.issuer` is an http://localhost or loopback URL) and `__Host-authd_csrf` (`authd_csrf`
/// on such a URL): the pre-session value every form's CSRF token is signed over, with the SSO
/// cookie (`CSRFGuard`). Every page: the headers of every answer (`SecurityHeaders`) and a
/// Content-Security-Policy without scripts and with `frame-ancestors 'none'`.
extension HTTPFrontEnd {
    static let ssoCookie = "authd_sso"
    static let csrfCookie = "authd_csrf"
    /// The nginx portal flow's cookie, which `/authz` reads.
    static let accessTokenCookie = "access_token"
    static let authorizeParameters: Set<String> = [
        "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
        "code_challenge_method", "prompt", "max_age", "login_hint", "request", "request_uri", "response_mode", "authz",
    ]

    func addPortalRoutes(to router: MethodTable, portal: PortalService) {
        router.get("/oauth2/authorize") { request, _ in
            await portalAnswer {
                try await authorize(request, try query(request, Self.authorizeParameters), portal)
            }
        }
        router.post("/oauth2/authorize") { request, _ in
            await portalAnswer {
                try await authorize(request, try await form(request, Self.authorizeParameters), portal)
            }
        }
        router.get("/ui/style.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: PortalPages.stylesheet)))
        }
        router.get("/ui/login") { request, _ in
            await portalAnswer {
                let flow = try flow(try query(request, ["authz", "rd"]), portal)
                if let returnTo = flow.returnTo,
                    let back = try await backToApplication(returnTo, sso: cookie(request, Self.ssoCookie), portal)
                {
                    return back
                }
                return try await signInPage(request, flow, portal)
            }
        }
        router.post("/ui/login") { request, context in
            await portalAnswer { try await signIn(request, context, portal) }
        }
        router.post("/ui/login/otp") { request, context in
            await portalAnswer { try await secondStep(request, context, portal) }
        }
        router.get("/ui/consent") { request, _ in
            await portalAnswer {
                let pending = try pending(request.uri.queryParameters.get("authz"), portal)
                return try await consentPage(request, pending, portal)
            }
        }
        router.post("/ui/consent") { request, _ in
            await portalAnswer { try await consent(request, portal) }
        }
        router.get("/ui/consents") { request, _ in
            await portalAnswer { try await consentsPage(request, portal) }
        }
        router.post("/ui/consents/revoke") { request, _ in
            await portalAnswer {
                let form = try await form(request, ["csrf", "client_id"])
                try checkCSRF(request, form)
                try await portal.revokeConsent(
                    clientID: form["client_id"] ?? "", cookie: cookie(request, Self.ssoCookie))
                return Self.seeOther("/ui/consents")
            }
        }
        router.get("/oauth2/logout") { request, _ in
            await portalAnswer {
                try await endSession(request, try query(request, Self.logoutParameters), portal)
            }
        }
        router.post("/oauth2/logout") { request, _ in
            await portalAnswer { try await endSession(request, try await form(request, Self.logoutParameters), portal) }
        }
        router.post("/ui/logout") { request, _ in
            await portalAnswer {
                let form = try await form(request, ["csrf", "client_id", "post_logout_redirect_uri", "state"])
                try checkCSRF(request, form)
                // Checked again: the hidden fields came back from the browser.
                let logout = try await portal.checkLogout(
                    clientID: form["client_id"], idTokenHint: nil,
                    postLogoutRedirectURI: form["post_logout_redirect_uri"], state: form["state"])
                let frames = try await portal.signOut(cookie: cookie(request, Self.ssoCookie))
                var response = signedOut(logout, frames: frames)
                response.setCookie(expiredCookie(Self.ssoCookie))
                response.setCookie(expiredCookie(Self.accessTokenCookie, domain: portal.policy.cookieDomain))
                return response
            }
        }
    }

    static let logoutParameters: Set<String> = [
        "id_token_hint", "client_id", "post_logout_redirect_uri", "state", "logout_hint", "ui_locales",
    ]

    /// OpenID Connect RP-Initiated Logout 1.0: a page asking the signed-in user to confirm (so a
    /// link on another site cannot sign anybody out), or, with no SSO session, straight on to the
    /// client's post-logout redirect URI or the signed-out page. A request that cannot be sent back
    /// (an unregistered URI, a forged hint) still offers the sign-out and ends on the signed-out
    /// page, saying why: an error page would leave the SSO session signing the next visit in.
    func endSession(_ request: Request, _ input: FormBody, _ portal: PortalService) async throws -> Response {
        let logout = try await portal.checkLogout(
            clientID: input["client_id"], idTokenHint: input["id_token_hint"],
            postLogoutRedirectURI: input["post_logout_redirect_uri"], state: input["state"])
        guard let (_, user) = try await portal.session(cookie: cookie(request, Self.ssoCookie)) else {
            return signedOut(logout)
        }
        var fields: [(String, String)] = []
        if let client = logout.client { fields.append(("client_id", client.id)) }
        if let uri = logout.postLogoutRedirectURI { fields.append(("post_logout_redirect_uri", uri)) }
        if let state = logout.state { fields.append(("state", state)) }
        return try formPage(request, .ok, formTarget: logout.postLogoutRedirectURI) { csrf in
            PortalPages.confirmSignOut(
                csrf: csrf, username: user.username, clientName: logout.client?.name, fields: fields,
                refusal: logout.refusal)
        }
    }

    /// The signed-out page, or the client's post-logout redirect URI. With `frames` (the
    /// applications' front-channel logout URIs) the page loads them first, and goes on to the
    /// redirect URI after a moment.
    func signedOut(_ logout: LogoutRequest, frames: [String] = []) -> Response {
        let next = logout.postLogoutRedirectURI.map { uri in
            logout.state.map { URLEncoding.adding([("state", $0)], to: uri) } ?? uri
        }
        guard let next, frames.isEmpty else {
            return html(
                .ok, PortalPages.signedOut(refusal: logout.refusal, frames: frames, continueTo: next), frames: frames)
        }
        return Self.seeOther(next)
    }

    // MARK: The authorization endpoint

    func authorize(_ request: Request, _ input: FormBody, _ portal: PortalService) async throws -> Response {
        var pending = try input["authz"].map { try self.pending($0, portal) }
        if pending == nil {
            do {
                pending = PendingAuthorization(
                    parameters: try await portal.resolve(Self.parameters(input)), requestedAt: portal.now)
            } catch let error as AuthError where error.code == .invalidInput {
                throw PortalRefusal.page(
                    .badRequest,
                    "This sign-in request has expired or was already used. Go back to the application and start again.")
            }
        }
        guard let pending else { throw PortalRefusal.page(.badRequest, "This sign-in request is not valid.") }
        var flow = PortalFlow(pending: pending)
        let step = try await portal.authorize(&flow, cookie: cookie(request, Self.ssoCookie))
        return try await answer(step, flow, request, portal)
    }

    /// A continuation another sign-in made (sent by somebody else, or left from before a new sign-in).
    static let foreignContinuation = PortalRefusal.page(
        .badRequest, "This sign-in link was started by another sign-in. Go back to the application and start again.")

    static func parameters(_ input: FormBody) -> AuthorizationParameters {
        AuthorizationParameters(
            responseType: input["response_type"], clientID: input["client_id"], redirectURI: input["redirect_uri"],
            scope: input["scope"], state: input["state"], nonce: input["nonce"], codeChallenge: input["code_challenge"],
            codeChallengeMethod: input["code_challenge_method"], prompt: input["prompt"], maxAge: input["max_age"],
            loginHint: input["login_hint"], request: input["request"], requestURI: input["request_uri"],
            responseMode: input["response_mode"])
    }

    /// The sealed request a page carries; nil when the page was opened without one. A broken or
    /// expired one is an error page.
    func pending(_ sealed: String?, _ portal: PortalService) throws -> PendingAuthorization {
        guard let sealed, let pending = PendingAuthorization(sealed: sealed, keyring: portal.keyring, now: portal.now)
        else { throw PortalRefusal.page(.badRequest, "This sign-in link has expired or is not valid.") }
        return pending
    }

    /// RFC 6749 §4.1.2.1 with RFC 9207's `iss`.
    func redirect(_ error: AuthorizationError, issuer: String) -> Response {
        var parameters = [("error", error.code.rawValue), ("error_description", error.description), ("iss", issuer)]
        if let state = error.state { parameters.append(("state", state)) }
        return authorizationResponse(parameters, to: error.redirectURI, mode: error.responseMode)
    }

    /// The authorization response to the client: a redirect with `parameters` in the query, or
    /// (`form_post`) a page whose form posts them, submitted by a script the page's CSP allows by
    /// its hash alone, and by its button without one.
    func authorizationResponse(_ parameters: [(String, String)], to redirectURI: String, mode: ResponseMode)
        -> Response
    {
        switch mode {
        case .query:
            return Self.found(URLEncoding.adding(parameters, to: redirectURI))
        case .formPost:
            return html(
                .ok, PortalPages.formPost(parameters, to: redirectURI), formTarget: redirectURI,
                scriptHash: PortalPages.formPostScriptHash)
        }
    }
}
