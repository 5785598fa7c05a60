public import AuthCore
public import Hummingbird
public import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The HTTP JSON API (README, "HTTP API"; docs/openapi.yaml), kept compatible with the Flask auth example's routes.
/// Each handler parses, calls one AuthService use case and encodes.
public struct HTTPFrontEnd: Sendable {
    public struct Configuration: Sendable {
        /// Requests with a larger body get 413.
        public var maximumBodySize: Int
        /// Whose forwarding header names the client (nobody's by default).
        public var forwarded: ForwardedClient
        /// The authorization server's issuer identifier (RFC 8414 §2): the public URL the
        /// metadata's endpoints are under.
        public var issuer: String
        /// `POST /admin/users/import`'s own body limit (read as it arrives, never held whole).
        public var maximumImportSize: Int
        /// nginx mail proxy backends by protocol; without any there is no `/mail/auth` route.
        public var mailBackends: MailBackends

        public init(
            maximumBodySize: Int = 64 * 1024, forwarded: ForwardedClient = .init(),
            issuer: String = "http://127.0.0.1:5000", maximumImportSize: Int = 1 << 30,
            mailBackends: MailBackends = .init()
        ) {
            self.mailBackends = mailBackends
            self.maximumBodySize = maximumBodySize
            self.maximumImportSize = maximumImportSize
            self.forwarded = forwarded
            self.issuer = issuer
        }
    }

    /// Renders the metrics registry in the Prometheus text format for `GET /metrics`.
    public typealias MetricsExposition = @Sendable () -> [UInt8]

    let service: AuthService
    let configuration: Configuration
    let readiness: (any ReadinessProbe)?
    /// The admin API's use cases; without them there are no `/admin` routes.
    let admin: AdminService?
    /// The browser portal; without it there are no `/oauth2/authorize` and `/ui` routes.
    let portal: PortalService?
    /// Without it there is no `/metrics` route.
    let metrics: MetricsExposition?
    /// Password reset by mail; without it its routes answer `mail_unavailable`.
    let passwordReset: PasswordResetService?
    /// E-mail verification by mail; without it its routes answer `mail_unavailable`.
    let emailVerification: EmailVerificationService?
    /// Sign-in by a mailed link or code; without it its routes answer `not_found`.
    let signInByMail: SignInByMailService?
    /// DPoP proofs (RFC 9449); without it the `DPoP` scheme and header are not recognized.
    let proofs: DPoPVerifier?
    /// Receives one `request` event per request, at info level.
    let logger: Logger

    public init(
        service: AuthService, admin: AdminService? = nil, configuration: Configuration = .init(),
        readiness: (any ReadinessProbe)? = nil, metrics: MetricsExposition? = nil, portal: PortalService? = nil,
        passwordReset: PasswordResetService? = nil, emailVerification: EmailVerificationService? = nil,
        signInByMail: SignInByMailService? = nil, proofs: DPoPVerifier? = nil,
        logger: Logger = Logger(label: "authd.http")
    ) {
        self.proofs = proofs
        self.signInByMail = signInByMail
        self.portal = portal
        self.passwordReset = passwordReset
        self.emailVerification = emailVerification
        self.service = service
        self.admin = admin
        self.configuration = configuration
        self.readiness = readiness
        self.metrics = metrics
        self.logger = logger
    }

    public func router() -> Router<AuthRequestContext> {
        let base = Router(context: AuthRequestContext.self, options: .autoGenerateHeadEndpoints)
        let router = MethodTable(base)
        let service = self.service
        router.add(
            middleware: RequestMiddleware(
                logger: logger, forwarded: configuration.forwarded,
                subject: { header in
                    (Self.credentials(header, scheme: "bearer") ?? Self.credentials(header, scheme: "dpop"))
                        .flatMap { service.tokens.subject(ofAccessToken: $0) }
                }))
        if let proofs {
            router.add(
                middleware: DPoPMiddleware(
                    proofs: proofs,
                    base: AuthorizationServerMetadata.base(configuration.issuer)))
        }
        router.add(middleware: ErrorMiddleware())
        router.post("/register") { request, context in try await register(request, source: context.client) }
        router.post("/login") { request, context in try await login(request, source: context.client) }
        addSessionRoutes(to: router)
        addPasswordResetRoutes(to: router)
        addEmailVerificationRoutes(to: router)
        addSignInByMailRoutes(to: router)
        addMFARoutes(to: router)
        router.get("/protected") { request, context in try protected(request, context) }
        router.get("/healthz") { _, _ in StatusResponse(status: "ok") }
        router.get("/readyz") { _, _ in try await ready() }
        addAuthzRoute(to: router)
        addMailAuthRoute(to: router)
        addWellKnownRoutes(to: router)
        addOAuthRoutes(to: router)
        if let portal {
            addPortalRoutes(to: router, portal: portal)
            addPortalAccountRoutes(to: router)
            addRegistrationPages(to: router, portal: portal)
            addConsentRoutes(to: router, portal: portal)
            addDeviceRoutes(to: router, portal: portal)
            addDeviceAuthorizationRoute(to: router, portal: portal)
            addPushedRequestRoute(to: router, portal: portal)
        }
        if let metrics {
            router.get("/metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: metrics())))
            }
        }
        router.get("/me") { request, _ in ProfileResponse(try await service.profile(accessToken: bearerToken(request)))
        }
        router.post("/me/email") { request, context in
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["email", "password"])
            return ProfileResponse(
                try await service.changeEmail(
                    accessToken: try bearerToken(request), password: try body.string("password"),
                    newEmail: try body.string("email"), source: context.client))
        }
        if let admin {
            addAdminRoutes(to: router, admin: admin)
            addInvitationRoutes(to: router, admin: admin)
            addImportRoute(to: router, admin: admin)
            addClientRoutes(to: router, admin: admin)
            addRegistrationRoutes(to: router, admin: admin)
        }
        router.addMethodNotAllowed()
        return base
    }

    func register(_ request: Request, source: String?) async throws -> EditedResponse<RegisteredResponse> {
        let body = try await JSONBody.read(
            request, limit: configuration.maximumBodySize, allowedFields: ["username", "email", "password"])
        let profile = try await service.register(
            username: try body.string("username"), email: try body.string("email"),
            password: try body.string("password"), source: source)
        return EditedResponse(status: .created, response: RegisteredResponse(user: ProfileResponse(profile)))
    }

    func login(_ request: Request, source: String?) async throws -> LoginResponse {
        let body = try await JSONBody.read(
            request, limit: configuration.maximumBodySize, allowedFields: ["username", "password"])
        let outcome = try await service.login(
            username: try body.string("username"), password: try body.string("password"), source: source,
            userAgent: request.headers[.userAgent])
        return LoginResponse(outcome)
    }

    func protected(_ request: Request, _ context: AuthRequestContext) throws -> ProtectedResponse {
        let claims = try service.tokens.authorize(accessToken: bearerToken(request), for: .account)
        context.notes.subject = claims.subject
        guard let userID = Int64(claims.subject) else { throw AuthError(.invalidToken, "access token is invalid") }
        return ProtectedResponse(loggedInAs: claims.name, userID: userID, roles: claims.roles)
    }

    /// 200 when the instance can serve; 503 `not_ready` naming every problem otherwise.
    func ready() async throws -> StatusResponse {
        let problems = await readiness?.problems() ?? []
        guard problems.isEmpty else {
            throw APIError(
                .serviceUnavailable, code: "not_ready", message: problems.joined(separator: "; "),
                headers: [.retryAfter: "1"])
        }
        return StatusResponse(status: "ready")
    }

    /// The token of `Authorization: Bearer <token>`, or of `Authorization: DPoP <token>` whose
    /// proof `DPoPMiddleware` checked; the scheme is case-insensitive (RFC 9110 §11.1).
    func bearerToken(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization],
            let token = Self.credentials(header, scheme: "bearer")
                ?? (proofs == nil ? nil : Self.credentials(header, scheme: "dpop"))
        else { throw APIError.missingToken }
        return token
    }

    /// The credentials of a `Bearer` authorization header value, or nil.
    static func bearerCredentials(_ header: String) -> String? { credentials(header, scheme: "bearer") }

    /// The credentials of an authorization header value of `scheme` (lowercase), or nil. Scanned as
    /// contiguous UTF-8 bytes: this runs on every authenticated request, twice (the handler, the log line).
    static func credentials(_ header: String, scheme: StaticString) -> String? {
        var header = header
        return header.withUTF8 { bytes -> String? in
            let scheme = UnsafeBufferPointer(start: scheme.utf8Start, count: scheme.utf8CodeUnitCount)
            guard bytes.count > scheme.count, zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 }),
                isSpace(bytes[scheme.count])
            else { return nil }
            guard let start = bytes[scheme.count...].firstIndex(where: { !isSpace($0) }),
                let end = bytes.lastIndex(where: { !isSpace($0) }),
                memchr(bytes.baseAddress! + start, Int32(UInt8(ascii: " ")), end - start + 1) == nil
            else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start...end]), as: UTF8.self)
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
}

extension Substring.UTF8View {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> Substring.UTF8View {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[start...end]
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (header list elements, cookie pairs).
    var trimmingSpaces: Substring { Substring(Substring(self).utf8.trimmingSpaces()) }
}
