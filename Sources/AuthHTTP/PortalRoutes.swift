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
/// (sign-in, one-time code, consent, consents, sign-out). Thin over `PortalService`, which decides
/// everything; these routes read forms, check the CSRF token, set cookies and render.
///
/// Cookies: `authd_sso` (the SSO session; opaque, HttpOnly, SameSite=Lax, host-only, Secure unless
/// `oauth.issuer` is an http://localhost or loopback URL) and `__Host-authd_csrf` (`authd_csrf`
/// on such a URL): the pre-session value every form's CSRF token is signed over, with the SSO
/// cookie (`CSRFGuard`). Every page: `Cache-Control: no-store`, a
/// Content-Security-Policy without scripts, `frame-ancestors 'none'` and `X-Frame-Options: DENY`.
extension HTTPFrontEnd {
    static let ssoCookie = "authd_sso"
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let csrfCookie = "authd_csrf"
    /// The nginx portal flow's cookie, which `/authz` reads.
    static let accessTokenCookie = "access_token"
    static let authorizeParameters: Set<String> = [
        "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
        "code_challenge_method", "prompt", "max_age", "login_hint", "request", "request_uri", "authz",
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
                let query = try query(request, ["authz", "rd"])
                let pending = try optionalPending(query["authz"], portal)
                let returnTo = try returnURL(query["rd"], portal)
                if let returnTo, pending == nil,
                    let back = try await backToApplication(returnTo, sso: cookie(request, Self.ssoCookie), portal)
                {
                    return back
                }
                return try await signInPage(request, pending, returnTo, portal, error: nil)
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
                try await portal.signOut(cookie: cookie(request, Self.ssoCookie))
                var response = signedOut(logout)
                response.headers[values: .setCookie].append(expiredCookie(Self.ssoCookie))
                response.headers[values: .setCookie].append(
                    expiredCookie(Self.accessTokenCookie, domain: portal.policy.cookieDomain))
                return response
            }
        }
    }

    static let logoutParameters: Set<String> = [
        "id_token_hint", "client_id", "post_logout_redirect_uri", "state", "logout_hint", "ui_locales",
    ]

    /// OpenID Connect RP-Initiated Logout 1.0: a page asking the signed-in user to confirm (so a
    /// link on another site cannot sign anybody out), or, with no SSO session, straight on to the
    /// client's post-logout redirect URI or the signed-out page.
    private func endSession(_ request: Request, _ input: FormBody, _ portal: PortalService) async throws -> Response {
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
                csrf: csrf, username: user.username, clientName: logout.client?.name, fields: fields)
        }
    }

    private func signedOut(_ logout: LogoutRequest) -> Response {
        guard let uri = logout.postLogoutRedirectURI else { return html(.ok, PortalPages.signedOut()) }
        return Self.seeOther(logout.state.map { URLEncoding.adding([("state", $0)], to: uri) } ?? uri)
    }

    // MARK: The authorization endpoint

    private func authorize(_ request: Request, _ input: FormBody, _ portal: PortalService) async throws -> Response {
        let pending: PendingAuthorization
        if let sealed = input["authz"] {
            pending = try self.pending(sealed, portal)
        } else {
            pending = PendingAuthorization(parameters: Self.parameters(input), requestedAt: portal.now)
        }
        let checked: AuthorizationRequest
        switch try await portal.check(pending.parameters) {
        case .failure(.page(let error)): return html(.badRequest, PortalPages.error(error.message))
        case .failure(.redirect(let error)): return redirect(error, issuer: portal.issuer)
        case .success(let request): checked = request
        }
        let (step, code) = try await portal.authorize(
            checked, cookie: cookie(request, Self.ssoCookie), interaction: pending.interaction)
        switch step {
        case .signIn:
            return Self.seeOther("/ui/login?authz=" + URLEncoding.component(try pending.sealed(with: portal.keyring)))
        case .consent:
            return Self.seeOther("/ui/consent?authz=" + URLEncoding.component(try pending.sealed(with: portal.keyring)))
        case .refuse(let error): return redirect(error, issuer: portal.issuer)
        case .foreign: throw Self.foreignContinuation
        case .issueCode:
            var parameters = [("code", code ?? ""), ("iss", portal.issuer)]
            if let state = checked.state { parameters.append(("state", state)) }
            return Self.found(URLEncoding.adding(parameters, to: checked.redirectURI))
        }
    }

    /// A continuation another sign-in made (sent by somebody else, or left from before a new sign-in).
    static let foreignContinuation = PortalRefusal.page(
        .badRequest, "This sign-in link was started by another sign-in. Go back to the application and start again.")

    private static func parameters(_ input: FormBody) -> AuthorizationParameters {
        AuthorizationParameters(
            responseType: input["response_type"], clientID: input["client_id"], redirectURI: input["redirect_uri"],
            scope: input["scope"], state: input["state"], nonce: input["nonce"], codeChallenge: input["code_challenge"],
            codeChallengeMethod: input["code_challenge_method"], prompt: input["prompt"], maxAge: input["max_age"],
            loginHint: input["login_hint"], request: input["request"], requestURI: input["request_uri"])
    }

    /// The sealed request a page carries; nil when the page was opened without one. A broken or
    /// expired one is an error page.
    private func pending(_ sealed: String?, _ portal: PortalService) throws -> PendingAuthorization {
        guard let sealed, let pending = PendingAuthorization(sealed: sealed, keyring: portal.keyring, now: portal.now)
        else { throw PortalRefusal.page(.badRequest, "This sign-in link has expired or is not valid.") }
        return pending
    }

    private func optionalPending(_ sealed: String?, _ portal: PortalService) throws -> PendingAuthorization? {
        guard let sealed else { return nil }
        return try pending(sealed, portal)
    }

    /// RFC 6749 §4.1.2.1 with RFC 9207's `iss`.
    private func redirect(_ error: AuthorizationError, issuer: String) -> Response {
        var parameters = [("error", error.code.rawValue), ("error_description", error.description), ("iss", issuer)]
        if let state = error.state { parameters.append(("state", state)) }
        return Self.found(URLEncoding.adding(parameters, to: error.redirectURI))
    }

    // MARK: Sign-in

    private func signInPage(
        _ request: Request, _ pending: PendingAuthorization?, _ returnTo: String?, _ portal: PortalService,
        error: String?, status: HTTPResponse.Status = .ok, username: String? = nil
    ) async throws -> Response {
        let clientName = try await clientName(pending, portal)
        return try formPage(request, status, formTarget: pending?.parameters.redirectURI ?? returnTo) { csrf in
            PortalPages.signIn(
                csrf: csrf, pending: try pending?.sealed(with: portal.keyring), returnTo: returnTo,
                clientName: clientName, username: username ?? pending?.parameters.loginHint ?? "", error: error)
        }
    }

    private func signIn(_ request: Request, _ context: AuthRequestContext, _ portal: PortalService) async throws
        -> Response
    {
        let form = try await form(request, ["csrf", "authz", "rd", "username", "password"])
        try checkCSRF(request, form)
        let pending = try optionalPending(form["authz"], portal)
        let returnTo = try returnURL(form["rd"], portal)
        let outcome: PortalSignIn
        do {
            outcome = try await portal.signIn(
                username: form["username"] ?? "", password: form["password"] ?? "", source: context.client,
                userAgent: request.headers[.userAgent], replacing: cookie(request, Self.ssoCookie))
        } catch let error as AuthError where error.code == .invalidCredentials || error.code == .accountDenied {
            return try await signInPage(
                request, pending, returnTo, portal, error: "Invalid username or password.", status: .unauthorized,
                username: form["username"])
        }
        return try await signedIn(request, outcome, pending, returnTo, portal)
    }

    private func secondStep(_ request: Request, _ context: AuthRequestContext, _ portal: PortalService) async throws
        -> Response
    {
        let form = try await form(request, ["csrf", "authz", "rd", "challenge", "code"])
        try checkCSRF(request, form)
        let pending = try optionalPending(form["authz"], portal)
        let returnTo = try returnURL(form["rd"], portal)
        let challenge = form["challenge"] ?? ""
        do {
            let outcome = try await portal.completeSignIn(
                challenge: challenge, code: form["code"] ?? "", source: context.client,
                userAgent: request.headers[.userAgent], replacing: cookie(request, Self.ssoCookie))
            return try await signedIn(request, outcome, pending, returnTo, portal)
        } catch let error as AuthError where error.code == .invalidCredentials {
            return try oneTimeCodePage(
                request, pending, returnTo, portal, challenge: challenge, error: "That code is not valid.")
        } catch let error as AuthError where error.code == .invalidMFAToken {
            return try await signInPage(
                request, pending, returnTo, portal, error: "The sign-in took too long. Sign in again.",
                status: .unauthorized)
        }
    }

    private func signedIn(
        _ request: Request, _ outcome: PortalSignIn, _ pending: PendingAuthorization?, _ returnTo: String?,
        _ portal: PortalService
    ) async throws -> Response {
        switch outcome {
        case .secondFactorRequired(let challenge):
            return try oneTimeCodePage(request, pending, returnTo, portal, challenge: challenge, error: nil)
        case .signedIn(let cookie, let session):
            if pending == nil, let returnTo, var back = try await backToApplication(returnTo, sso: cookie, portal) {
                back.headers[values: .setCookie].append(ssoCookie(cookie, issuer: portal.issuer))
                return back
            }
            let next =
                try pending.map { pending in
                    var pending = pending
                    pending.interaction.signedIn(as: session.sessionID)
                    return "/oauth2/authorize?authz=" + URLEncoding.component(try pending.sealed(with: portal.keyring))
                } ?? "/ui/consents"
            var response = Self.seeOther(next)
            response.headers[values: .setCookie].append(ssoCookie(cookie, issuer: portal.issuer))
            return response
        }
    }

    private func oneTimeCodePage(
        _ request: Request, _ pending: PendingAuthorization?, _ returnTo: String?, _ portal: PortalService,
        challenge: String, error: String?
    ) throws -> Response {
        let target = pending?.parameters.redirectURI ?? returnTo
        return try formPage(request, error == nil ? .ok : .unauthorized, formTarget: target) { csrf in
            PortalPages.oneTimeCode(
                csrf: csrf, pending: try pending?.sealed(with: portal.keyring), returnTo: returnTo,
                challenge: challenge, error: error)
        }
    }

    // MARK: The nginx portal flow

    /// `rd`, when given, must be on an `oidc.return_hosts` host: anything else is an error page,
    /// never a redirect.
    private func returnURL(_ rd: String?, _ portal: PortalService) throws -> String? {
        guard let rd else { return nil }
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
    private func backToApplication(_ url: String, sso: String?, _ portal: PortalService) async throws -> Response? {
        guard let token = try await portal.accessToken(cookie: sso) else { return nil }
        var response = Self.seeOther(url)
        var cookie =
            "\(Self.accessTokenCookie)=\(token.token); Path=/; Max-Age=\(token.expiresIn); HttpOnly; SameSite=Lax"
        if let domain = portal.policy.cookieDomain { cookie += "; Domain=\(domain)" }
        if secure(portal.issuer) { cookie += "; Secure" }
        response.headers[values: .setCookie].append(cookie)
        return response
    }

    // MARK: Consent

    private func consentPage(_ request: Request, _ pending: PendingAuthorization, _ portal: PortalService)
        async throws -> Response
    {
        guard case .success(let checked) = try await portal.check(pending.parameters),
            let (_, user) = try await portal.session(cookie: cookie(request, Self.ssoCookie))
        else {
            return Self.seeOther(
                "/oauth2/authorize?authz=" + URLEncoding.component(try pending.sealed(with: portal.keyring)))
        }
        return try formPage(request, .ok, formTarget: checked.redirectURI) { csrf in
            PortalPages.consent(
                csrf: csrf, pending: try pending.sealed(with: portal.keyring), clientName: checked.client.name,
                username: user.username, scopes: checked.scopes)
        }
    }

    private func consent(_ request: Request, _ portal: PortalService) async throws -> Response {
        let form = try await form(request, ["csrf", "authz", "decision"])
        try checkCSRF(request, form)
        let pending = try pending(form["authz"], portal)
        guard case .success(let checked) = try await portal.check(pending.parameters) else {
            throw PortalRefusal.page(.badRequest, "This application can no longer sign you in.")
        }
        guard form["decision"] == "allow" else {
            return redirect(
                AuthorizationError(
                    .accessDenied, "the user did not allow access", redirectURI: checked.redirectURI,
                    state: checked.state), issuer: portal.issuer)
        }
        var consented = pending
        do {
            try await portal.consent(
                to: checked, interaction: &consented.interaction, cookie: cookie(request, Self.ssoCookie))
        } catch let error as AuthError where error.code == .forbidden {
            throw Self.foreignContinuation
        }
        return Self.seeOther(
            "/oauth2/authorize?authz=" + URLEncoding.component(try consented.sealed(with: portal.keyring)))
    }

    private func consentsPage(_ request: Request, _ portal: PortalService) async throws -> Response {
        guard let (user, consents) = try await portal.consents(cookie: cookie(request, Self.ssoCookie)) else {
            return Self.seeOther("/ui/login")
        }
        let listed = consents.map { (name: $0.clientName, id: $0.clientID, scopes: $0.scopes.sorted()) }
        return try formPage(request, .ok) { csrf in
            PortalPages.consents(csrf: csrf, username: user.username, consents: listed)
        }
    }

    private func clientName(_ pending: PendingAuthorization?, _ portal: PortalService) async throws -> String? {
        guard let id = pending?.parameters.clientID else { return nil }
        return try await portal.clientName(id: id)
    }

    // MARK: Forms, cookies, CSRF, responses

    /// The query string read as a form (the same encoding, each parameter at most once).
    private func query(_ request: Request, _ parameters: Set<String>) throws -> FormBody {
        try FormBody.parse(Array((request.uri.query ?? "").utf8), parameters: parameters)
    }

    private func form(_ request: Request, _ parameters: Set<String>) async throws -> FormBody {
        try await FormBody.read(request, limit: configuration.maximumBodySize, parameters: parameters)
    }

    private func cookie(_ request: Request, _ name: String) -> String? {
        request.cookies[name]?.value
    }

    /// A page with a form: `render` gets the form's CSRF token for the browser's CSRF cookie (set
    /// when it is new) and its SSO session (`CSRFGuard`).
    private func formPage(
        _ request: Request, _ status: HTTPResponse.Status, formTarget: String? = nil,
        _ render: (String) throws -> String
    ) throws -> Response {
        let present = cookie(request, csrfCookieName).flatMap { CSRFGuard.isCookie($0) ? $0 : nil }
        let csrfCookie = try present ?? Base64.url.encode(SecureRandom.bytes(32))
        let field = try csrfGuard().field(cookie: csrfCookie, sso: cookie(request, Self.ssoCookie))
        var response = html(status, try render(field), formTarget: formTarget)
        if present == nil { response.headers[values: .setCookie].append(self.csrfCookie(csrfCookie)) }
        return response
    }

    /// The form's `csrf` is the token of the browser's CSRF cookie and SSO cookie as they are now.
    private func checkCSRF(_ request: Request, _ form: FormBody) throws {
        guard
            try csrfGuard().matches(
                field: form["csrf"], cookie: cookie(request, csrfCookieName), sso: cookie(request, Self.ssoCookie))
        else { throw PortalRefusal.page(.forbidden, "This form has expired. Go back, reload the page and try again.") }
    }

    private func csrfGuard() throws -> CSRFGuard {
        guard let portal else { throw PortalRefusal.page(.notFound, "The portal is off.") }
        return try CSRFGuard(keyring: portal.keyring)
    }

    /// `__Host-authd_csrf` (Secure, Path=/, no Domain: no other host can set it) unless the public
    /// URL is plain http on this machine, where browsers refuse a `__Host-` cookie: `authd_csrf`.
    private var csrfCookieName: String {
        secure(configuration.issuer) ? "__Host-" + Self.csrfCookie : Self.csrfCookie
    }

    /// Secure unless the public URL is plain http on this machine (development): localhost, a
    /// name under `.localhost` (RFC 6761), 127.0.0.1 or [::1].
    private func secure(_ issuer: String) -> Bool {
        guard issuer.hasPrefix("http://"), let host = PortalPolicy.host(of: issuer) else { return true }
        return !(host == "localhost" || host.hasSuffix(".localhost") || host == "127.0.0.1" || host == "[::1]")
    }

    private func ssoCookie(_ value: String, issuer: String) -> String {
        "\(Self.ssoCookie)=\(value); Path=/; HttpOnly; SameSite=Lax" + (secure(issuer) ? "; Secure" : "")
    }

    private func csrfCookie(_ value: String) -> String {
        "\(csrfCookieName)=\(value); Path=/; HttpOnly; SameSite=Strict"
            + (secure(configuration.issuer) ? "; Secure" : "")
    }

    private func expiredCookie(_ name: String, domain: String? = nil) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + (domain.map { "; Domain=\($0)" } ?? "")
    }

    /// A page, with the headers every page carries. `formTarget` is the client's redirect URI
    /// when the form's answer ends in a redirect there: CSP's form-action covers redirects after
    /// a form post, so that origin is allowed too.
    private func html(_ status: HTTPResponse.Status, _ body: String, formTarget: String? = nil) -> Response {
        let formAction = ["'self'"] + (formTarget.flatMap(Self.origin).map { [$0] } ?? [])
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'self'; img-src 'self'; form-action \(formAction.joined(separator: " ")); "
                    + "frame-ancestors 'none'; base-uri 'none'",
                Self.frameOptions: "DENY", Self.contentTypeOptions: "nosniff", Self.referrerPolicy: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// `scheme://host[:port]` of an absolute URI, or `scheme:` for a native app's; nil when it
    /// holds anything but letters, digits and `+ - . : [ ]` (it goes into the
    /// Content-Security-Policy, where `;`, `,`, quotes or spaces would write policy).
    static func origin(_ uri: String) -> String? {
        guard let colon = uri.firstIndex(of: ":") else { return nil }
        let rest = uri[uri.index(after: colon)...]
        let origin: String
        if rest.hasPrefix("//") {
            origin = String(uri[..<colon]) + "://" + rest.dropFirst(2).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        } else {
            origin = String(uri[...colon])
        }
        let allowed = { (byte: UInt8) in Identity.isAlphanumeric(byte) || "+-.:[]/".utf8.contains(byte) }
        return origin.utf8.allSatisfy(allowed) ? origin : nil
    }

    static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func found(_ location: String) -> Response {
        Response(status: .found, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// Runs a page route: refusals become error pages, never JSON and never a 500 for bad input.
    private func portalAnswer(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let refusal as PortalRefusal {
            return html(refusal.status, PortalPages.error(refusal.message, status: refusal.status.code))
        } catch let refusal as FormBody.Refusal {
            return html(refusal.status, PortalPages.error(refusal.message, status: refusal.status.code))
        } catch let error as AuthError {
            let (status, message): (HTTPResponse.Status, String) =
                switch error.code {
                case .rateLimited: (.tooManyRequests, "Too many sign-in attempts.")
                case .busy, .unavailable: (.serviceUnavailable, "authd is busy.")
                case .invalidCredentials: (.unauthorized, "Sign in first.")
                case .notFound: (.notFound, "There is nothing to withdraw for that application.")
                case .internal: (.internalServerError, "Something went wrong on our side.")
                // What a portal use case refuses for the request itself.
                case .invalidInput, .usernameTaken, .emailTaken, .weakPassword, .accountDenied, .unknownService,
                    .invalidToken, .tokenExpired, .tokenRevoked, .invalidRefreshToken, .wrongPassword, .conflict,
                    .invalidMFAToken, .invalidCode, .mfaAlreadyEnabled, .mfaNotEnabled, .mfaNotPending,
                    .mfaUnavailable, .forbidden, .unknownRole, .roleExists, .roleInUse, .builtinRole, .lastAdmin,
                    .clientExists, .invalidClientMetadata, .invalidClient, .invalidGrant, .invalidScope,
                    .unauthorizedClient, .unsupportedGrantType:
                    (.badRequest, "The request could not be completed.")
                }
            var response = html(status, PortalPages.error(message, status: status.code))
            if status == .tooManyRequests || status == .serviceUnavailable { response.headers[.retryAfter] = "1" }
            if status == .internalServerError {
                logger.error("portal request failed", metadata: ["error": "\(error)"])
            }
            return response
        } catch {
            logger.error("portal request failed", metadata: ["error": "\(error)"])
            return html(.internalServerError, PortalPages.error("Something went wrong on our side.", status: 500))
        }
    }
}

/// A portal request that ends on an error page.
struct PortalRefusal: Error {
    let status: HTTPResponse.Status
    let message: String

    static func page(_ status: HTTPResponse.Status, _ message: String) -> Self {
        Self(status: status, message: message)
    }
}
