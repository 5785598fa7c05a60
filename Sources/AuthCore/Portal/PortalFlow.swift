public import AuthCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The portal's pages as one state machine: sign-in, then a one-time code for an account with
/// MFA, then consent, then back to what the browser came for. The pages and the authorization
/// endpoint feed it what happened (`Event`); it answers where the browser goes next (`Step`) and
/// keeps what the pages did in the sealed continuation it carries. It holds no I/O:
/// `PortalService` runs the stores and the login, the HTTP front end renders each step.
///
/// What the browser came for decides where a finished sign-in goes: an OAuth client's
/// authorization request resumes at the authorization endpoint (which then asks for consent or
/// issues a code); an application behind nginx gets its `rd` URL back with a fresh access-token
/// cookie; otherwise the portal's own consents page. A continuation carries the SSO session it
/// was signed in or consented in, so one taken to another browser or another sign-in stops on an
/// error page (`foreign`) instead of finishing there.
public struct PortalFlow: Hashable, Sendable {
    /// What the browser came to the portal for.
    public enum Purpose: Hashable, Sendable {
        /// An OAuth client's authorization request, sealed between pages.
        case authorization(PendingAuthorization)
        /// The nginx portal flow: a `rd` URL already checked against `oidc.return_hosts`.
        case application(returnTo: String)
        /// The portal itself (its consents page).
        case portal
    }

    /// What happened on a page or at the authorization endpoint.
    public enum Event: Hashable, Sendable {
        /// The sign-in form was refused: unknown user, wrong password or an account that may not
        /// sign in, one answer for all.
        case signInRefused
        /// The password was right and the account asks for a one-time code.
        case secondFactorRequired(challenge: String)
        /// A one-time code was refused; the challenge stands for another try.
        case codeRefused(challenge: String)
        /// The challenge expired or is not valid: the password is asked again.
        case challengeExpired
        /// Signed in: this SSO session is open in the browser.
        case signedIn(SSOSession)
        /// The consent page was answered for `request` in `session`.
        case consentAnswered(AuthorizationRequest, allowed: Bool, session: SSOSession)
        /// The authorization endpoint's decision for the carried request (`AuthorizationPolicy`),
        /// with the code when it issued one.
        case authorizationDecided(AuthorizationStep, AuthorizationRequest, code: String?)
    }

    /// Why a page is shown again.
    public enum Notice: Hashable, Sendable {
        case invalidCredentials
        case invalidCode
        case signInExpired
    }

    /// Where the browser goes next.
    public enum Step: Hashable, Sendable {
        /// The sign-in page, with why it is shown again.
        case signIn(Notice?)
        /// The one-time-code page for `challenge`.
        case oneTimeCode(challenge: String, Notice?)
        /// To the sign-in page, carrying the request (from the authorization endpoint).
        case askSignIn(PendingAuthorization)
        /// To the consent page, carrying the request.
        case askConsent(PendingAuthorization)
        /// Back to the authorization endpoint with what the pages did.
        case authorize(PendingAuthorization)
        /// To the client's redirect URI with a code, its `state` and `iss`.
        case code(String, AuthorizationRequest)
        /// To the client's redirect URI with an error (RFC 6749 §4.1.2.1).
        case refuse(AuthorizationError)
        /// The nginx portal flow: back to the application with a fresh access-token cookie.
        case application(String)
        /// The portal's consents page.
        case consents
        /// An error page: the continuation was made in another SSO session.
        case foreign
        /// An error page: the request names no client, or one that cannot use it (no redirect
        /// can be trusted, RFC 6749 §4.1.2.1).
        case rejected(AuthError)
    }

    public private(set) var purpose: Purpose

    /// A continuation wins over `rd`: a page carrying both is finishing a client's request.
    public init(pending: PendingAuthorization?, returnTo: String? = nil) {
        if let pending {
            purpose = .authorization(pending)
        } else if let returnTo {
            purpose = .application(returnTo: returnTo)
        } else {
            purpose = .portal
        }
    }

    /// The continuation the pages carry; nil when no client asked.
    public var pending: PendingAuthorization? {
        guard case .authorization(let pending) = purpose else { return nil }
        return pending
    }

    /// The nginx flow's return URL; nil for any other purpose.
    public var returnTo: String? {
        guard case .application(let returnTo) = purpose else { return nil }
        return returnTo
    }

    /// Whether the pages may act for the carried request in the browser's SSO session `session`.
    public func belongs(to session: SSOSession?) -> Bool {
        pending?.interaction.belongs(to: session?.sessionID) ?? true
    }

    /// The next step after `event`, noting in the continuation what the pages did.
    public mutating func next(after event: Event) -> Step {
        switch event {
        case .signInRefused:
            return .signIn(.invalidCredentials)
        case .secondFactorRequired(let challenge):
            return .oneTimeCode(challenge: challenge, nil)
        case .codeRefused(let challenge):
            return .oneTimeCode(challenge: challenge, .invalidCode)
        case .challengeExpired:
            return .signIn(.signInExpired)
        case .signedIn(let session):
            switch purpose {
            case .authorization(var pending):
                pending.interaction.signedIn(as: session.sessionID)
                purpose = .authorization(pending)
                return .authorize(pending)
            case .application(let returnTo):
                return .application(returnTo)
            case .portal:
                return .consents
            }
        case .consentAnswered(let request, let allowed, let session):
            guard case .authorization(var pending) = purpose, pending.interaction.belongs(to: session.sessionID)
            else { return .foreign }
            guard allowed else {
                return .refuse(request.error(.accessDenied, "the user did not allow access"))
            }
            pending.interaction.consented(in: session.sessionID)
            purpose = .authorization(pending)
            return .authorize(pending)
        case .authorizationDecided(let decision, let request, let code):
            guard case .authorization(let pending) = purpose else { return .foreign }
            switch decision {
            case .signIn: return .askSignIn(pending)
            case .consent: return .askConsent(pending)
            case .refuse(let error): return .refuse(error)
            case .foreign: return .foreign
            case .issueCode:
                guard let code else {
                    return .refuse(request.error(.serverError, "no code was issued"))
                }
                return .code(code, request)
            }
        }
    }
}

/// What the user has done on the portal's pages for one authorization request (carried, sealed,
/// with it): `prompt=login` and `prompt=consent` are satisfied by a sign-in or a consent given
/// for this request, so they ask once and not forever. Both are bound to the SSO session (its
/// authd session id) they happened in: a continuation carried to another browser or another
/// sign-in is refused, never completed there with somebody else's sign-in or consent.
public struct Interaction: Hashable, Sendable, Codable {
    /// The SSO session the pages were used in; nil before a sign-in or consent on them.
    public private(set) var session: String?
    public private(set) var signedIn: Bool
    public private(set) var consented: Bool

    public init(session: String? = nil, signedIn: Bool = false, consented: Bool = false) {
        self.session = session
        self.signedIn = signedIn && session != nil
        self.consented = consented && session != nil
    }

    /// A sign-in on the pages, which opened `session`: what was done in any other session is dropped.
    public mutating func signedIn(as session: String) {
        rebind(to: session)
        signedIn = true
    }

    /// Consent given on the pages in `session`.
    public mutating func consented(in session: String) {
        rebind(to: session)
        consented = true
    }

    private mutating func rebind(to session: String) {
        if self.session != session { self = Interaction(session: session) }
    }

    /// Whether this continuation may be used in the browser whose SSO session is `current`: one
    /// the pages have not touched yet may be used anywhere (it holds only the client's request).
    public func belongs(to current: String?) -> Bool { session == nil || session == current }
}

/// An authorization request carried through the portal's pages (sign-in, one-time code, consent)
/// and back to the authorization endpoint: its parameters and when it arrived, sealed with
/// AES-256-GCM under a key derived from the JWT secret, so any instance can resume it and the
/// browser can neither read nor change it. It is checked again on every use, as the client may
/// have changed meanwhile.
public struct PendingAuthorization: Hashable, Sendable, Codable {
    public var parameters: AuthorizationParameters
    public var requestedAt: Int64
    public var expiresAt: Int64
    /// What the pages did for it so far.
    public var interaction = Interaction()

    /// How long a browser may take over the pages.
    public static let lifetime: Int64 = 900
    private static let context = Array("authd portal authorization v1".utf8)

    public init(parameters: AuthorizationParameters, requestedAt: Int64) {
        self.parameters = parameters
        self.requestedAt = requestedAt
        self.expiresAt = requestedAt + Self.lifetime
    }

    public func sealed(with keyring: JWTKeyring) throws -> String {
        let key = try keyring.derivedKey(purpose: "portal authorization")
        return Base64.url.encode(
            try AESGCM.seal(Array(try JSONEncoder().encode(self)), key: key, associatedData: Self.context))
    }

    /// Nil for anything not sealed by authd, or expired.
    public init?(sealed: String, keyring: JWTKeyring, now: Int64) {
        guard sealed.utf8.count <= 16_384, let box = Base64.url.decode(sealed),
            let key = try? keyring.derivedKey(purpose: "portal authorization"),
            let plain = try? AESGCM.open(box, key: key, associatedData: Self.context),
            let pending = try? JSONDecoder().decode(Self.self, from: Data(plain)), pending.expiresAt >= now
        else { return nil }
        self = pending
    }
}
