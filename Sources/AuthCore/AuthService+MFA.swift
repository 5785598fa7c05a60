import AuthCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What `POST /login` leads to: a session, or a second step for an account with MFA.
public enum LoginOutcome: Sendable {
    case session(SessionTokens)
    /// `challenge` is the `mfa_token`: opaque, sealed, single purpose, valid for `expiresIn` s.
    case secondFactorRequired(challenge: String, expiresIn: Int64)
}

/// A TOTP enrolment as shown to its user once.
public struct TOTPSetup: Sendable {
    /// Base32, as authenticator apps take it.
    public var secret: String
    /// `otpauth://totp/Issuer:user?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    public var uri: String
}

extension AuthService {
    /// HTTP login: the `http` stack, then a new session, or, when the stack's `totp` module applies,
    /// a challenge for `completeLogin`. Same error, after the same work, for an unknown user, a
    /// wrong password, a disabled or a locked account.
    public func login(
        username: String, password: String, source: String? = nil, userAgent: String? = nil
    ) async throws -> LoginOutcome {
        let (user, attempt) = try await runStack(
            service: "http", username: username, password: password, source: source, deferSecondFactor: true)
        guard attempt.secondFactorPending else {
            return .session(try await sessions.start(for: user, source: source, userAgent: userAgent))
        }
        let lifetime = try requireSecondFactor().policy.challengeLifetime
        let challenge = MFAChallenge(
            id: Base64.url.encode(try SecureRandom.bytes(16)), userID: user.id, username: user.username,
            credential: try MFAChallenge.credential(of: user), source: source ?? "", expiresAt: clock() + lifetime)
        return .secondFactorRequired(challenge: try challenge.sealed(with: challengeKey()), expiresIn: lifetime)
    }

    /// The second step: the `http` stack's `lockout` and `totp` modules with the code (a TOTP code
    /// or a recovery code). Failures count towards the lockout like failed passwords. A challenge
    /// opens one session (a second success with it is `invalidMFAToken`, on any instance) and
    /// only while the password it followed is still the account's.
    public func completeLogin(
        challenge: String, code: String, source: String? = nil, userAgent: String? = nil
    ) async throws -> SessionTokens {
        try spend(attemptLimiter, source: source, or: Self.tooManyAttempts)
        guard let pending = MFAChallenge(sealed: challenge, key: try challengeKey()), pending.expiresAt >= clock()
        else { throw AuthError(.invalidMFAToken, "mfa_token is invalid or expired; log in again") }
        guard code.utf8.count <= 64, let stack = stack(for: "http") else {
            throw AuthError(.invalidCredentials, "invalid one-time code")
        }
        try requireAccountBudget(pending.username)
        var attempt = self.attempt(
            service: "http", username: pending.username, password: "", otp: code, source: pending.source)
        let entries = stack.entries(.auth).filter { $0.module.runsInSecondStep }
        let verdict = try await StackEngine.evaluate(entries) { entry in
            try await entry.module.run(&attempt, facility: .auth)
        }
        for entry in entries { await entry.module.stackFinished(attempt, succeeded: verdict.isSuccess) }
        if !verdict.isSuccess { chargeFailure(pending.username) }
        guard verdict.isSuccess, let user = attempt.user, user.id == pending.userID, !user.disabled else {
            logger.info("second factor refused", metadata: ["verdict": "\(verdict)"])
            throw AuthError(.invalidCredentials, "invalid one-time code")
        }
        guard try MFAChallenge.credential(of: user) == pending.credential,
            try await requireSecondFactor().store.consumeChallenge(id: pending.id, expiresAt: pending.expiresAt)
        else { throw AuthError(.invalidMFAToken, "mfa_token is invalid or expired; log in again") }
        return try await sessions.start(for: user, source: source, userAgent: userAgent)
    }

    // MARK: Enrolment

    /// A new secret for the token's user, pending until confirmed with a code from it.
    public func setupTOTP(accessToken: String) async throws -> TOTPSetup {
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
    public func confirmTOTP(accessToken: String, code: String, source: String? = nil) async throws -> [String] {
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
    public func disableTOTP(accessToken: String, code: String?, password: String?, source: String? = nil) async throws {
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

    // MARK: Helpers

    func requireSecondFactor() throws(AuthError) -> SecondFactor {
        guard let secondFactor else {
            throw AuthError(.mfaUnavailable, "MFA is not configured on this server (mfa.key_file)")
        }
        return secondFactor
    }

    private func currentUser(_ accessToken: String) async throws -> User {
        let claims = try tokens.authorize(accessToken: accessToken)
        guard let id = Int64(claims.subject), let user = try await users.find(id: id), !user.disabled else {
            throw AuthError(.invalidToken, "access token is invalid")
        }
        return user
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
            let limit = configuration.passwordPolicy.maximumBytes
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
        try spend(attemptLimiter, source: source, or: Self.tooManyAttempts)
        try requireAccountBudget(user.username)
        let lockouts = stack(for: "http")?.entries(.auth).filter { $0.module is LockoutModule } ?? []
        let attempt = self.attempt(service: "http", username: user.username, password: "", source: source)
        var probe = attempt
        let verdict = try await StackEngine.evaluate(lockouts) { entry in
            try await entry.module.run(&probe, facility: .auth)
        }
        // An empty list is a denial to the engine; here it only means no lockout is configured.
        guard lockouts.isEmpty || verdict.isSuccess else { throw Self.tooManyFailures }
        let proven = try await proof()
        if !proven { chargeFailure(user.username) }
        for entry in lockouts { await entry.module.stackFinished(attempt, succeeded: proven) }
        return proven
    }

    private func challengeKey() throws -> [UInt8] {
        try tokens.codec.keyring.derivedKey(purpose: "mfa challenge")
    }

    static func otpauthURI(issuer: String, account: String, secret: String, otp: OneTimePassword) -> String {
        let label = percentEncoded(issuer) + ":" + percentEncoded(account)
        return "otpauth://totp/\(label)?secret=\(secret)&issuer=\(percentEncoded(issuer))"
            + "&algorithm=\(otp.algorithm.rawValue)&digits=\(otp.digits)&period=\(otp.period)"
    }

    /// RFC 3986 unreserved characters stay, every other byte is %XX.
    static func percentEncoded(_ text: String) -> String {
        text.utf8.map { byte -> String in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                String(UnicodeScalar(byte))
            default:
                "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }.joined()
    }
}

/// The state between a login's two steps, sealed (AES-256-GCM under a key derived from the JWT
/// signing secret), so any instance can continue it and a client can neither read nor forge it.
struct MFAChallenge {
    /// Random: what makes the challenge single use.
    var id: String
    var userID: Int64
    var username: String
    /// `credential(of:)` at the first step: a password change in between voids the challenge.
    var credential: String
    var source: String
    var expiresAt: Int64

    private static let context = Array("authd mfa challenge v2".utf8)

    init(id: String, userID: Int64, username: String, credential: String, source: String, expiresAt: Int64) {
        self.id = id
        self.userID = userID
        self.username = username
        self.credential = credential
        self.source = source
        self.expiresAt = expiresAt
    }

    /// Names the user's current password hash without revealing it (the challenge is sealed anyway).
    static func credential(of user: User) throws -> String {
        String(try Digest.sha256Hex(Array(("authd mfa credential\n" + user.passwordHash).utf8)).prefix(32))
    }

    func sealed(with key: [UInt8]) throws -> String {
        let text = "\(id)\n\(userID)\n\(credential)\n\(expiresAt)\n\(source)\n\(username)"
        return Base64.url.encode(try AESGCM.seal(Array(text.utf8), key: key, associatedData: Self.context))
    }

    init?(sealed: String, key: [UInt8]) {
        guard sealed.utf8.count <= 1024, let box = Base64.url.decode(sealed),
            let plain = try? AESGCM.open(box, key: key, associatedData: Self.context)
        else { return nil }
        let parts = String(decoding: plain, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 6, let userID = Int64(parts[1]), let expiresAt = Int64(parts[3]) else { return nil }
        self.init(
            id: String(parts[0]), userID: userID, username: String(parts[5]), credential: String(parts[2]),
            source: String(parts[4]), expiresAt: expiresAt)
    }
}
