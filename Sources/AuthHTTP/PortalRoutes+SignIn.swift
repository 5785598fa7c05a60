import AuthCore
import AuthCrypto
import HTTPTypes
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension HTTPFrontEnd {
    // MARK: Sign-in

    func signInPage(
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

    func signIn(_ request: Request, _ context: AuthRequestContext, _ portal: PortalService) async throws
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

    func secondStep(_ request: Request, _ context: AuthRequestContext, _ portal: PortalService) async throws
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

    func signedIn(
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

    func oneTimeCodePage(
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
    func returnURL(_ rd: String?, _ portal: PortalService) throws -> String? {
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
    func backToApplication(_ url: String, sso: String?, _ portal: PortalService) async throws -> Response? {
        guard let token = try await portal.accessToken(cookie: sso) else { return nil }
        var response = Self.seeOther(url)
        var cookie =
            "\(Self.accessTokenCookie)=\(token.token); Path=/; Max-Age=\(token.expiresIn); HttpOnly; SameSite=Lax"
        if let domain = portal.policy.cookieDomain { cookie += "; Domain=\(domain)" }
        if secure(portal.issuer) { cookie += "; Secure" }
        response.headers[values: .setCookie].append(cookie)
        return response
    }
}
