public import AuthCrypto

/// A browser's single sign-on session (the portal's cookie): bound to an authd session, so every
/// path that ends that session (logout everywhere, a password change, an admin's revoke or
/// disable) ends this one too, on every instance. Times are Unix seconds.
public struct SSOSession: Hashable, Sendable {
    public var sessionID: String
    public var userID: Int64
    /// When the user authenticated, and how (RFC 8176: `pwd`, `otp`).
    public var authTime: Int64
    public var methods: [String]
    /// When the session was last used (recorded at most once per `touchInterval`).
    public var lastSeen: Int64

    public init(sessionID: String, userID: Int64, authTime: Int64, methods: [String], lastSeen: Int64? = nil) {
        self.sessionID = sessionID
        self.userID = userID
        self.authTime = authTime
        self.methods = methods
        self.lastSeen = lastSeen ?? authTime
    }

    /// Seconds between two records of a session's use: a busy browser writes once a minute, not
    /// once a request.
    public static let touchInterval: Int64 = 60

    /// Unused for longer than `timeout` (`oidc.sso_idle_timeout_seconds`): it has ended. The
    /// recorded use may be up to `touchInterval` old, so a session can outlive its timeout by
    /// that much at most.
    public func isIdle(now: Int64, timeout: Int64) -> Bool { now - lastSeen > timeout }

    /// Whether this use should be recorded.
    public func needsTouch(now: Int64) -> Bool { now - lastSeen >= Self.touchInterval }
}

/// What a user let a client have, remembered so the next sign-in does not ask again.
public struct Consent: Hashable, Sendable {
    public var clientID: String
    /// For the consents page.
    public var clientName: String
    public var scopes: Set<String>

    public init(clientID: String, clientName: String, scopes: Set<String>) {
        self.clientID = clientID
        self.clientName = clientName
        self.scopes = scopes
    }
}

/// SSO sessions (by the SHA-256 of their cookie) and consents, in persistent storage.
public protocol PortalStore: Sendable {
    func create(ssoHash: String, _ session: SSOSession) async throws
    /// The session of the cookie with this hash while its authd session is live and its account
    /// enabled, with the account; nil otherwise.
    func sso(hash: String) async throws -> (session: SSOSession, user: User)?
    func delete(ssoHash: String) async throws
    /// Records a use of the session now.
    func touch(ssoHash: String) async throws
    func consent(userID: Int64, clientID: String) async throws -> Consent?
    /// Adds `scopes` to what the user consented to for the client, as of now.
    func recordConsent(userID: Int64, clientID: String, scopes: [String]) async throws
    /// False when there was none.
    func revokeConsent(userID: Int64, clientID: String) async throws -> Bool
    /// By client id.
    func consents(userID: Int64) async throws -> [Consent]
}

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
            .refuse(AuthorizationError(code, description, redirectURI: request.redirectURI, state: request.state))
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

/// The portal's CSRF tokens, a signed double submit: the browser's CSRF cookie is a random value
/// (its pre-session), and a form carries HMAC(key, cookie ‖ the SSO cookie's hash), so a form
/// token is good only with the cookie it was made for and in the SSO session it was rendered in
/// (or with none, before sign-in). A cookie planted by a sibling host, or a token taken from
/// another browser or an earlier sign-in, does not pass. The key is derived from the JWT secret,
/// so every instance checks every other's tokens.
public struct CSRFGuard: Sendable {
    let key: [UInt8]

    public init(keyring: JWTKeyring) throws {
        key = try keyring.derivedKey(purpose: "portal csrf")
    }

    /// Whether `cookie` is a CSRF cookie authd would have set (256 random bits, base64url).
    public static func isCookie(_ cookie: String) -> Bool { Identity.isBase64URL(cookie, lengths: 43...43) }

    /// The form token for the browser's CSRF `cookie` and its SSO cookie (nil when signed out).
    public func field(cookie: String, sso: String?) throws -> String {
        var message = Array(cookie.utf8) + [0]
        if let sso { message += try Digest.hash(.sha256, Array(sso.utf8)) }
        return Base64.url.encode(try HMAC.authenticate(.sha256, key: key, message: message))
    }

    /// `field` is the token for this cookie and SSO cookie, compared in constant time.
    public func matches(field: String?, cookie: String?, sso: String?) -> Bool {
        guard let field, let cookie, Self.isCookie(cookie), let expected = try? self.field(cookie: cookie, sso: sso)
        else { return false }
        return ConstantTime.equals(Array(field.utf8), Array(expected.utf8))
    }
}
