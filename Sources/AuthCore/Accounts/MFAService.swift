import AuthCrypto
import Logging

/// TOTP enrolment and its management by the token's holder: set up, confirm (recovery codes shown
/// once), disable, new recovery codes. Every proof (a code, the password) spends from the login's
/// limits and runs under the `http` stack's lockout modules, like a login.
public struct MFAService: Sendable {
    /// nil when no MFA key is configured: every call is `mfaUnavailable`.
    let secondFactor: SecondFactor?
    let users: any UserStore
    let tokens: TokenAuthority
    let hashing: HashingPool
    let hasher: PasswordHasher
    let maximumPasswordBytes: Int
    let limits: LoginLimits
    /// The `http` stack's `lockout` entries.
    let lockouts: [StackEntry]
    let clock: @Sendable () -> Int64
    let logger: Logger

    init(
        secondFactor: SecondFactor?, dependencies: AuthDependencies, tokens: TokenAuthority,
        maximumPasswordBytes: Int, limits: LoginLimits, lockouts: [StackEntry]
    ) {
        self.secondFactor = secondFactor
        users = dependencies.users
        self.tokens = tokens
        hashing = dependencies.hashing
        hasher = dependencies.hasher
        self.maximumPasswordBytes = maximumPasswordBytes
        self.limits = limits
        self.lockouts = lockouts
        clock = dependencies.clock
        logger = dependencies.logger
    }

    /// A new secret for the token's user, pending until confirmed with a code from it.
    public func setup(accessToken: String) async throws -> TOTPSetup {
        let secondFactor = try requireSecondFactor()
        let user = try await currentUser(accessToken)
        guard !user.mfaEnabled else { throw AuthError(.mfaAlreadyEnabled, "MFA is already on; disable it first") }
        let secret = try SecureRandom.bytes(20)
        let enrolment = try secondFactor.seal(secret, userID: user.id)
        guard try await secondFactor.store.begin(enrolment, userID: user.id) else {
            throw AuthError(.mfaAlreadyEnabled, "MFA is already on; disable it first")
        }
        let encoded = Base32.encode(secret)
        return TOTPSetup(
            secret: encoded,
            uri: Self.otpauthURI(
                issuer: secondFactor.policy.issuer, account: user.username, secret: encoded, otp: enrolment.otp))
    }

    /// Turns MFA on with a code from the pending secret; returns the recovery codes, shown once.
    /// Wrong codes count towards the `http` stack's lockout, like every proof below.
    public func confirm(accessToken: String, code: String, source: String? = nil) async throws -> [String] {
        let secondFactor = try requireSecondFactor()
        let user = try await currentUser(accessToken)
        guard let enrolment = try await secondFactor.store.enrolment(userID: user.id), !enrolment.confirmed else {
            throw AuthError(.mfaNotPending, "no TOTP enrolment is waiting for confirmation")
        }
        let codes = try SecondFactor.newRecoveryCodes()
        let now = clock()
        let confirmed = try await throttled(user, source: source) {
            guard let step = try secondFactor.matchingStep(of: code, enrolment: enrolment, userID: user.id, now: now)
            else { return false }
            return try await secondFactor.store.confirm(
                userID: user.id, step: step, recoveryCodeHashes: codes.compactMap(SecondFactor.recoveryCodeHash))
        }
        guard confirmed else { throw AuthError(.invalidCode, "wrong one-time code") }
        logger.notice("MFA enabled", metadata: ["user_id": "\(user.id)"])
        return codes
    }

    /// Turns MFA off after a current code (or recovery code) or the password.
    public func disable(accessToken: String, code: String?, password: String?, source: String? = nil) async throws {
        let secondFactor = try requireSecondFactor()
        let user = try await proveSecondFactorOwner(
            accessToken, code: code, password: password, source: source, secondFactor)
        _ = try await secondFactor.store.remove(userID: user.id, by: nil)
        logger.notice("MFA disabled", metadata: ["user_id": "\(user.id)"])
    }

    /// Ten new recovery codes replacing the old ones, after a current code or the password.
    public func regenerateRecoveryCodes(
        accessToken: String, code: String?, password: String?, source: String? = nil
    ) async throws -> [String] {
        let secondFactor = try requireSecondFactor()
        let user = try await proveSecondFactorOwner(
            accessToken, code: code, password: password, source: source, secondFactor)
        let codes = try SecondFactor.newRecoveryCodes()
        guard
            try await secondFactor.store.replaceRecoveryCodes(
                hashes: codes.compactMap(SecondFactor.recoveryCodeHash), userID: user.id)
        else { throw AuthError(.mfaNotEnabled, "MFA is not on") }
        return codes
    }

    private func currentUser(_ accessToken: String) async throws -> User {
        try await tokens.account(accessToken: accessToken, in: users)
    }

    /// The token's user, with MFA on, who has just given a current code or the password.
    private func proveSecondFactorOwner(
        _ accessToken: String, code: String?, password: String?, source: String?, _ secondFactor: SecondFactor
    ) async throws -> User {
        let user = try await currentUser(accessToken)
        guard user.mfaEnabled else { throw AuthError(.mfaNotEnabled, "MFA is not on") }
        let now = clock()
        switch (code, password) {
        case (let code?, nil):
            let proven = try await throttled(user, source: source) {
                guard code.utf8.count <= 64 else { return false }
                return try await secondFactor.verify(code, userID: user.id, now: now)
            }
            guard proven else { throw AuthError(.invalidCode, "wrong or reused one-time code") }
        case (nil, let password?):
            let hasher = self.hasher
            let stored = user.passwordHash
            let limit = maximumPasswordBytes
            let hashing = self.hashing
            let proven = try await throttled(user, source: source) {
                guard password.utf8.count <= limit else { return false }
                return try await hashing.run { try hasher.verify(Array(password.utf8), against: stored) }
            }
            guard proven else { throw AuthError(.wrongPassword, "the password is wrong") }
        default:
            throw AuthError(.invalidInput, "give either code or password")
        }
        return user
    }

    /// Runs a proof of the account (a code, the password) under the same limits as a login: the
    /// per-address attempt limit, and the `http` stack's `lockout` modules, which refuse while the
    /// account is locked and count a failed proof like a failed login. Without this, these routes
    /// would be an oracle for guessing a TOTP code or the password at the token holder's pace.
    private func throttled(_ user: User, source: String?, _ proof: () async throws -> Bool) async throws -> Bool {
        try limits.spendAttempt(from: source)
        try limits.requireAccountBudget(user.username)
        let attempt = limits.attempt(service: "http", username: user.username, password: "", source: source)
        var probe = attempt
        let verdict = try await StackEngine.evaluate(lockouts) { entry in
            try await entry.module.run(&probe, facility: .auth)
        }
        // An empty list is a denial to the engine; here it only means no lockout is configured.
        guard lockouts.isEmpty || verdict.isSuccess else { throw AuthService.tooManyFailures }
        let proven = try await proof()
        if !proven { limits.chargeFailure(user.username) }
        for entry in lockouts { await entry.module.stackFinished(attempt, succeeded: proven) }
        return proven
    }

    static func otpauthURI(issuer: String, account: String, secret: String, otp: OneTimePassword) -> String {
        let label = URLEncoding.component(issuer) + ":" + URLEncoding.component(account)
        return "otpauth://totp/\(label)?secret=\(secret)&issuer=\(URLEncoding.component(issuer))"
            + "&algorithm=\(otp.algorithm.rawValue)&digits=\(otp.digits)&period=\(otp.period)"
    }

    func requireSecondFactor() throws(AuthError) -> SecondFactor {
        guard let secondFactor else {
            throw AuthError(.mfaUnavailable, "MFA is not configured on this server (mfa.key_file)")
        }
        return secondFactor
    }
}
