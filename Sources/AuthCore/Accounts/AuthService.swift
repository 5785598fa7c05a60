public import AuthCrypto
import Logging
import Metrics

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The use cases both front ends call: register, log in, verify a token, read a profile.
/// Front ends parse and encode; every decision is made here.
public struct AuthService: Sendable {
    public struct Configuration: Sendable {
        /// Lifetime of access tokens in seconds (default 15 minutes).
        public var accessTokenLifetime: Int64
        public var passwordPolicy: PasswordPolicy
        /// Per-address limit on login and AUTH attempts; nil for none.
        public var attemptLimit: RateLimiter.Configuration?
        /// Per-address limit on registrations; nil for none.
        public var registrationLimit: RateLimiter.Configuration?
        /// Per-account limit on failed attempts, from every address together; nil for none.
        public var accountLimit: RateLimiter.Configuration?
        /// How the per-address limits and lockouts group addresses (IPv6 by /64 by default).
        public var addressGrouping: AddressGrouping
        public var sessions: SessionPolicy
        /// The scopes OAuth clients may be given (`oauth.scopes`).
        public var scopes: Set<String>
        /// The issuer identifier of ID tokens and the provider's metadata (`oauth.issuer`): the
        /// public URL clients reach authd at.
        public var issuer: String
        /// Registrations are sent a verification link and code (mail is on and verifies addresses).
        public var verifyEmail: Bool
        /// Sign-in needs a verified address, on every front end (`mail.require_verified_email`).
        public var requireVerifiedEmail: Bool

        public init(
            accessTokenLifetime: Int64 = 900, passwordPolicy: PasswordPolicy = .init(),
            attemptLimit: RateLimiter.Configuration? = nil, sessions: SessionPolicy = .init(),
            registrationLimit: RateLimiter.Configuration? = nil, accountLimit: RateLimiter.Configuration? = nil,
            addressGrouping: AddressGrouping = .init(), scopes: Set<String> = [],
            issuer: String = "http://127.0.0.1:5000", verifyEmail: Bool = false, requireVerifiedEmail: Bool = false
        ) {
            self.issuer = issuer
            self.verifyEmail = verifyEmail
            self.requireVerifiedEmail = requireVerifiedEmail
            self.accessTokenLifetime = accessTokenLifetime
            self.passwordPolicy = passwordPolicy
            self.attemptLimit = attemptLimit
            self.registrationLimit = registrationLimit
            self.accountLimit = accountLimit
            self.addressGrouping = addressGrouping
            self.sessions = sessions
            self.scopes = scopes
        }
    }

    let configuration: Configuration
    let users: any UserStore
    let directory: any DirectoryStore
    let hashing: HashingPool
    let hasher: PasswordHasher
    /// Issues, verifies and authorizes access tokens.
    public let tokens: TokenAuthority
    let clock: @Sendable () -> Int64
    let logger: Logger
    /// Verified against when the user does not exist, so that case costs one scrypt too.
    let unmatchableHash: String
    /// The PAM-style stack of each service.
    let stacks: [String: Stack]
    /// Used by services without a stack file when `stacks` is `.passwordOnly`.
    let defaultStack: Stack?
    /// The `email` service's stack when no file gives one.
    let defaultMailStack: Stack
    /// The per-address attempt limit and per-account failure budget every proof spends from.
    let limits: LoginLimits
    let registrationLimiter: RateLimiter?
    /// Session start, refresh, logout, listing and password change.
    public let sessions: SessionService
    /// TOTP enrolment and its management.
    public let mfa: MFAService
    /// The OAuth 2 token endpoint's use cases.
    public let oauth: OAuthService

    /// Where stacks come from: the password check for every service (tests, embedded use), or
    /// the texts of `config/stacks/<service>` files keyed by service, each with its file name.
    public enum StackSource: Sendable {
        case passwordOnly
        case files([String: (file: String, text: String)])
    }

    /// Throws `StackConfigError` (with file:line) for a bad stack file. `signInTokens` is given
    /// when sign-in by mail is on: the `mailcode` module checks links and codes against it.
    public init(
        configuration: Configuration, dependencies: AuthDependencies, tokens: AccessTokenCodec,
        secondFactor: SecondFactor? = nil, stacks: StackSource = .passwordOnly,
        signInTokens: (any AccountTokenStore)? = nil
    ) throws {
        self.configuration = configuration
        self.users = dependencies.users
        self.directory = dependencies.directory
        self.hashing = dependencies.hashing
        self.hasher = dependencies.hasher
        self.tokens = TokenAuthority(
            codec: tokens, revocations: dependencies.revocations, lifetime: configuration.accessTokenLifetime,
            clock: dependencies.clock)
        self.clock = dependencies.clock
        self.logger = dependencies.logger
        self.limits = LoginLimits(configuration: configuration)
        self.registrationLimiter = configuration.registrationLimit.map { RateLimiter(configuration: $0) }
        self.sessions = SessionService(
            configuration: configuration, dependencies: dependencies, tokens: self.tokens, limits: limits)
        self.oauth = OAuthService(
            scopes: configuration.scopes, issuer: configuration.issuer, dependencies: dependencies, tokens: self.tokens,
            sessions: self.sessions, limits: limits)
        let unmatchableHash = try hasher.unmatchableHash()
        self.unmatchableHash = unmatchableHash
        let registry = ModuleRegistry.builtin(
            StackEnvironment(
                users: users, lockouts: dependencies.lockouts, hashing: hashing, hasher: hasher,
                unmatchableHash: unmatchableHash, secondFactor: secondFactor, signInTokens: signInTokens, clock: clock,
                logger: logger))
        self.defaultMailStack = try StackParser.parse(
            "auth required mailcode\nauth required active\nauth required totp if=enrolled",
            service: SignInByMailService.service, file: "(built-in)", registry: registry)
        switch stacks {
        case .passwordOnly:
            self.stacks = [:]
            self.defaultStack = try StackParser.parse(
                "auth required password\nauth required active", service: "*", file: "(built-in)", registry: registry)
        case .files(let files):
            self.stacks = try files.reduce(into: [:]) { stacks, file in
                stacks[file.key] = try StackParser.parse(
                    file.value.text, service: file.key, file: file.value.file, registry: registry)
            }
            self.defaultStack = nil
        }
        let httpStack = self.stacks["http"] ?? self.defaultStack
        self.mfa = MFAService(
            secondFactor: secondFactor, dependencies: dependencies, tokens: self.tokens,
            maximumPasswordBytes: configuration.passwordPolicy.maximumBytes, limits: limits,
            lockouts: httpStack?.entries(.auth).filter { $0.module is LockoutModule } ?? [])
    }

    /// The services with a stack file.
    public var services: [String] { stacks.keys.sorted() }

    /// The stack that decides for `service`, if there is one.
    func stack(for service: String) -> Stack? {
        stacks[service] ?? (service == SignInByMailService.service ? defaultMailStack : defaultStack)
    }
}

public enum UnixTime {
    /// Whole seconds since 1970, the unit of every time in tokens and the API.
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}

/// A signed access token and what it says.
public struct IssuedAccessToken: Sendable {
    public var token: String
    public var expiresIn: Int64
    public var claims: AccessTokenClaims
}

extension AuthService {
    /// Registration says whether a name or address is taken (it must); it checks that before
    /// spending a hash, so a flood of taken names cannot fill the hashing queue logins need.
    public func register(username: String, email: String, password: String, source: String? = nil) async throws
        -> UserProfile
    {
        try registrationLimiter?.spend(
            source, grouping: limits.grouping,
            or: AuthError(.rateLimited, "too many registrations from this address, retry later"))
        let username = try Identity.validUsername(username)
        let email = try Identity.normalisedEmail(email)
        try await configuration.passwordPolicy.validate(password)
        let taken = try await users.taken(username: username, email: email)
        if taken.username { throw AuthError(.usernameTaken, "username is already taken") }
        if taken.email { throw AuthError(.emailTaken, "email is already registered") }
        let hasher = self.hasher
        let hash = try await hashing.run { try hasher.hash(Array(password.utf8)) }
        let user = try await users.create(
            NewUser(
                username: username, email: email, passwordHash: hash, roles: [Role.user],
                messages: configuration.verifyEmail
                    ? [EmailVerificationService.request(username: username, email: email)] : []
            ))
        logger.info("user registered", metadata: ["user_id": "\(user.id)"])
        return user.profile
    }

    /// Runs the service's stack: its `auth` modules, then, if they succeed, its `account` modules.
    /// Every attempt costs exactly one scrypt, whatever the stack decided and however early.
    /// Auth failures are `invalidCredentials`; account failures after a good password `accountDenied`.
    public func authenticate(
        service: String, username: String, password: String, otp: String? = nil, source: String? = nil
    ) async throws -> User {
        try await runStack(service: service, username: username, password: password, otp: otp, source: source).user
    }

    /// `authenticate`, returning the attempt too: with `deferSecondFactor`, whether a `totp`
    /// module left the second factor to a second step.
    func runStack(
        service: String, username: String, password: String, otp: String? = nil, source: String? = nil,
        deferSecondFactor: Bool = false
    ) async throws -> (user: User, attempt: AuthAttempt) {
        do {
            try limits.spendAttempt(from: source)
        } catch {
            Self.countAttempt(service: self.stack(for: service) == nil ? "unknown" : service, result: "rate_limited")
            throw error
        }
        guard let stack = stack(for: service) else { throw AuthError(.unknownService, "no stack for this service") }
        let refused = AuthError(.invalidCredentials, "invalid username or password")
        guard password.utf8.count <= configuration.passwordPolicy.maximumBytes, username.utf8.count <= 256,
            !username.utf8.contains(0)
        else { throw refused }
        do {
            try limits.requireAccountBudget(username)
        } catch {
            Self.countAttempt(service: service, result: "rate_limited")
            throw error
        }
        var attempt = limits.attempt(service: service, username: username, password: password, otp: otp, source: source)
        attempt.deferSecondFactor = deferSecondFactor
        let authEntries = stack.entries(.auth)
        let verdict = try await StackEngine.evaluate(authEntries) { entry in
            try await entry.module.run(&attempt, facility: .auth)
        }
        if !attempt.passwordChecked { try await spendOneHash(password) }
        for entry in authEntries { await entry.module.stackFinished(attempt, succeeded: verdict.isSuccess) }
        guard verdict.isSuccess else {
            limits.chargeFailure(username)
            logger.info("authentication refused", metadata: ["service": "\(service)", "verdict": "\(verdict)"])
            Self.countAttempt(service: service, result: "refused")
            throw refused
        }
        let accountVerdict = try await StackEngine.evaluate(stack.entries(.account)) { entry in
            try await entry.module.run(&attempt, facility: .account)
        }
        guard accountVerdict.isSuccess || stack.entries(.account).isEmpty else {
            logger.info("account check refused", metadata: ["service": "\(service)", "verdict": "\(accountVerdict)"])
            Self.countAttempt(service: service, result: "denied")
            throw AuthError(.accountDenied, "this account may not use this service now")
        }
        if !attempt.userLoaded {
            attempt.user = try await users.find(username: username)
        }
        guard let user = attempt.user, !user.disabled else {
            Self.countAttempt(service: service, result: "refused")
            throw refused
        }
        // After the password, so it tells nothing about accounts one cannot sign in to.
        if configuration.requireVerifiedEmail && !user.emailVerified {
            Self.countAttempt(service: service, result: "denied")
            throw Self.unverified
        }
        Self.countAttempt(service: service, result: attempt.secondFactorPending ? "second_factor" : "success")
        return (user, attempt)
    }

    /// The work of one password check, for attempts the stack decided without one.
    private func spendOneHash(_ password: String) async throws {
        let hasher = self.hasher
        let stored = unmatchableHash
        _ = try await hashing.run { (try? hasher.verify(Array(password.utf8), against: stored)) ?? false }
    }

    /// Authorizes the token, then runs `service`'s account modules for its holder, answering from
    /// the token's claims (no further database round trip for `role`, `active`, `time`, `source`).
    public func verify(
        accessToken: String, service: String, for use: TokenUse, requiring requirement: Requirement? = nil,
        source: String? = nil
    ) async throws -> AccessTokenClaims {
        let claims = try tokens.authorize(accessToken: accessToken, for: use, requiring: requirement)
        guard let stack = stack(for: service) else { throw AuthError(.unknownService, "no stack for this service") }
        let entries = stack.entries(.account)
        guard !entries.isEmpty else { return claims }
        var attempt = limits.attempt(
            service: service, username: claims.name, password: "", source: source, token: claims)
        let verdict = try await StackEngine.evaluate(entries) { entry in
            try await entry.module.run(&attempt, facility: .account)
        }
        guard verdict.isSuccess else { throw AuthError(.accountDenied, "this account may not use this service now") }
        return claims
    }

    /// The current profile of the token's user; a deleted or disabled account is an invalid token.
    public func profile(accessToken: String) async throws -> UserProfile {
        try await tokens.account(accessToken: accessToken, in: users).profile
    }
}

extension AuthService {
    static let tooManyAttempts = AuthError(.rateLimited, "too many attempts from this address, retry shortly")
    static let unverified = AuthError(
        .emailUnverified, "verify your e-mail address first: open the link or enter the code sent to it")
    /// The same for unknown and existing accounts, and for a lockout met by an MFA proof: it
    /// tells nothing about whether an account exists.
    static let tooManyFailures = AuthError(.rateLimited, "too many failed attempts on this account, retry later")

    /// `authd_auth_attempts_total{service, result}`: success, second_factor (password right, code
    /// to come), refused, denied (account facility), rate_limited. Services are configured stack
    /// names, so the label stays bounded.
    static func countAttempt(service: String, result: String) {
        Counter(label: "authd_auth_attempts_total", dimensions: [("service", service), ("result", result)]).increment()
    }
}

/// Printed (by a dependency's log line, say) as its stacks only: never its keys or hashes.
extension AuthService: CustomStringConvertible {
    public var description: String { "AuthService(stacks: \(services))" }
}
