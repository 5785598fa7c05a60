import AuthCore
import AuthCrypto
import HTTPTypes
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The portal pages' forms, cookies, CSRF checks and HTML answers.
extension HTTPFrontEnd {
    // MARK: Forms, cookies, CSRF, responses

    /// The query string read as a form (the same encoding, each parameter at most once).
    func query(_ request: Request, _ parameters: Set<String>) throws -> FormBody {
        try FormBody.parse(Array((request.uri.query ?? "").utf8), parameters: parameters)
    }

    func form(_ request: Request, _ parameters: Set<String>) async throws -> FormBody {
        try await FormBody.read(request, limit: configuration.maximumBodySize, parameters: parameters)
    }

    func cookie(_ request: Request, _ name: String) -> String? {
        request.cookies[name]?.value
    }

    /// A page with a form: `render` gets the form's CSRF token for the browser's CSRF cookie (set
    /// when it is new) and its SSO session (`CSRFGuard`).
    func formPage(
        _ request: Request, _ status: HTTPResponse.Status, formTarget: String? = nil,
        _ render: (String) throws -> String
    ) throws -> Response {
        let present = cookie(request, csrfCookieName).flatMap { CSRFGuard.isCookie($0) ? $0 : nil }
        let csrfCookie = try present ?? Base64.url.encode(SecureRandom.bytes(32))
        let field = try csrfGuard().field(cookie: csrfCookie, sso: cookie(request, Self.ssoCookie))
        var response = html(status, try render(field), formTarget: formTarget)
        if present == nil { response.setCookie(self.csrfCookie(csrfCookie)) }
        return response
    }

    /// The form's `csrf` is the token of the browser's CSRF cookie and SSO cookie as they are now.
    func checkCSRF(_ request: Request, _ form: FormBody) throws {
        guard
            try csrfGuard().matches(
                field: form["csrf"], cookie: cookie(request, csrfCookieName), sso: cookie(request, Self.ssoCookie))
        else { throw PortalRefusal.page(.forbidden, "This form has expired. Go back, reload the page and try again.") }
    }

    func csrfGuard() throws -> CSRFGuard {
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
    func secure(_ issuer: String) -> Bool {
        guard issuer.hasPrefix("http://"), let host = PortalPolicy.host(of: issuer) else { return true }
        return !(host == "localhost" || host.hasSuffix(".localhost") || host == "127.0.0.1" || host == "[::1]")
    }

    func ssoCookie(_ value: String, issuer: String) -> Cookie {
        Cookie(name: Self.ssoCookie, value: value, path: "/", secure: secure(issuer), httpOnly: true, sameSite: .lax)
    }

    func csrfCookie(_ value: String) -> Cookie {
        Cookie(
            name: csrfCookieName, value: value, path: "/", secure: secure(configuration.issuer), httpOnly: true,
            sameSite: .strict)
    }

    func expiredCookie(_ name: String, domain: String? = nil) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, domain: domain, path: "/", httpOnly: true, sameSite: .lax)
    }

    /// A page, with the headers every page carries. `formTarget` is the client's redirect URI
    /// when the form's answer ends in a redirect there: CSP's form-action covers redirects after
    /// a form post, so that origin is allowed too. `scriptHash`: the page's one script (form_post's).
    func html(
        _ status: HTTPResponse.Status, _ body: String, formTarget: String? = nil, scriptHash: String? = nil,
        frames: [String] = []
    ) -> Response {
        let formAction = ["'self'"] + (formTarget.flatMap(Self.origin).map { [$0] } ?? [])
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy: SecurityHeaders.contentSecurityPolicy(
                    formAction: formAction, scriptHash: scriptHash, frames: frames),
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
    func portalAnswer(_ body: () async throws -> Response) async -> Response {
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
                case .emailUnverified:
                    (.forbidden, "Verify your e-mail address first: open the link we sent you, then sign in.")
                case .notFound: (.notFound, "There is nothing to withdraw for that application.")
                case .internal: (.internalServerError, "Something went wrong on our side.")
                // What a portal use case refuses for the request itself.
                case .invalidInput, .usernameTaken, .emailTaken, .weakPassword, .accountDenied, .unknownService,
                    .invalidToken, .tokenExpired, .tokenRevoked, .invalidRefreshToken, .wrongPassword, .conflict,
                    .invalidMFAToken, .invalidCode, .mfaAlreadyEnabled, .mfaNotEnabled, .mfaNotPending,
                    .mfaUnavailable, .forbidden, .unknownRole, .roleExists, .roleInUse, .builtinRole, .lastAdmin,
                    .clientExists, .invalidClientMetadata, .invalidClient, .invalidGrant, .invalidScope,
                    .unauthorizedClient, .unsupportedGrantType, .authorizationPending, .slowDown, .accessDenied,
                    .expiredToken, .invalidResetToken, .mailUnavailable, .invalidDPoPProof, .useDPoPNonce,
                    .invalidPasskey, .invalidVerificationToken, .invalidInvitation:
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
