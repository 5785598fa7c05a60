public import AuthCrypto

/// What a stack is asked to decide: a login or AUTH attempt, or (account facility only) the
/// holder of a verified access token.
public struct AuthAttempt: Sendable {
    public let service: String
    public let username: String
    public let password: String
    /// The one-time code: given apart (`otp=`), or split off the password by `password otp=appended`.
    public var otp: String?
    /// The client's address, when the front end knows it.
    public let source: String?
    /// What lockouts count the source as: its address group (an IPv6 address's /64).
    public let sourceKey: String?
    /// The account, once a module looked it up (nil also for unknown users).
    public var user: User?
    /// Whether a module already looked the account up.
    public var userLoaded = false
    /// Whether a password was run through scrypt; if not, the caller spends the same time anyway.
    public var passwordChecked = false

    /// HTTP login's first step: a `totp` module that applies marks the second factor pending
    /// instead of checking a code; `POST /login/mfa` checks it.
    public var deferSecondFactor = false
    public var secondFactorPending = false

    /// Set when the attempt is a token's (VERIFY with a service): account modules answer from its
    /// claims instead of the database, so verification stays free of round trips.
    public var token: AccessTokenClaims?

    public init(
        service: String, username: String, password: String, otp: String? = nil, source: String? = nil,
        sourceKey: String? = nil, token: AccessTokenClaims? = nil
    ) {
        self.token = token
        self.service = service
        self.username = username
        self.password = password
        self.otp = otp
        self.source = source
        self.sourceKey = sourceKey ?? source
    }
}

/// A pluggable check. Modules are small values built from a stack line's arguments by their
/// `ModuleFactory`; they keep no per-attempt state of their own.
public protocol StackModule: Sendable {
    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult
    /// Called once the whole stack has decided, for modules that count outcomes (lockout).
    func stackFinished(_ attempt: AuthAttempt, succeeded: Bool) async
    /// Whether the module runs again in a login's second step (`totp`, and `lockout` so that
    /// failed codes count).
    var runsInSecondStep: Bool { get }
}

extension StackModule {
    public func stackFinished(_ attempt: AuthAttempt, succeeded: Bool) async {}
    public var runsInSecondStep: Bool { false }
}
