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

/// How a stack run that may ask for the one-time code in a second round went.
public enum SteppedAuthentication: Sendable {
    case authenticated(User)
    /// `challenge` is opaque, sealed for this service only, single use, valid for `expiresIn` s.
    case secondFactorRequired(challenge: String, expiresIn: Int64)
}

extension AuthService {
    /// HTTP login: the `http` stack (or `email`, for a link or code sent by mail), then a new
    /// session, or, when the stack's `totp` module applies, a challenge for `completeLogin`. Same
    /// error, after the same work, for an unknown user, a wrong password, a disabled or a locked account.
    public func login(
        service: String = "http", username: String, password: String, source: String? = nil,
        userAgent: String? = nil
    ) async throws -> LoginOutcome {
        // A DPoP proof that failed is refused before the password costs a hash.
        _ = try ProofOfPossession.keyForIssuing()
        switch try await authenticateInSteps(service: service, username: username, password: password, source: source)
        {
        case .authenticated(let user):
            return .session(try await sessions.start(for: user, source: source, userAgent: userAgent))
        case .secondFactorRequired(let challenge, let expiresIn):
            return .secondFactorRequired(challenge: challenge, expiresIn: expiresIn)
        }
    }

    /// The second step of an HTTP login: `completeSecondStep` for the stack the challenge came
    /// from (`http`, or `email` for a sign-in by mail), then a session.
    public func completeLogin(
        challenge: String, code: String, source: String? = nil, userAgent: String? = nil
    ) async throws -> SessionTokens {
        // A failed DPoP proof is refused before the one-time code spends the challenge.
        _ = try ProofOfPossession.keyForIssuing()
        // A challenge opens under one service's key only: the `email` stack's, or else the `http` one's.
        let mailed = SignInByMailService.service
        let service = MFAChallenge(sealed: challenge, key: try challengeKey(mailed)) != nil ? mailed : "http"
        let user = try await completeSecondStep(service: service, challenge: challenge, code: code, source: source)
        return try await sessions.start(for: user, source: source, userAgent: userAgent)
    }

    /// `authenticate` for a front end that can ask for the one-time code in a second round (the
    /// HTTP login's `mfa_token`, RADIUS's Access-Challenge): the stack with its `totp` module left
    /// for `completeSecondStep`, which the challenge returned here is good for, with `service` only.
    public func authenticateInSteps(service: String, username: String, password: String, source: String? = nil)
        async throws -> SteppedAuthentication
    {
        let (user, attempt) = try await runStack(
            service: service, username: username, password: password, source: source, deferSecondFactor: true)
        guard attempt.secondFactorPending else { return .authenticated(user) }
        let lifetime = try mfa.requireSecondFactor().policy.challengeLifetime
        let challenge = MFAChallenge(
            id: Base64.url.encode(try SecureRandom.bytes(16)), userID: user.id, username: user.username,
            credential: try MFAChallenge.credential(of: user), source: source ?? "", expiresAt: clock() + lifetime)
        return .secondFactorRequired(
            challenge: try challenge.sealed(with: challengeKey(service)), expiresIn: lifetime)
    }

    /// The second step: the stack's `lockout` and `totp` modules with the code (a TOTP code or a
    /// recovery code). Failures count towards the lockout like failed passwords. A challenge is
    /// good once (a second success with it is `invalidMFAToken`, on any instance), for the service
    /// it was made for, and only while the password it followed is still the account's.
    public func completeSecondStep(service: String, challenge: String, code: String, source: String? = nil)
        async throws -> User
    {
        try limits.spendAttempt(from: source)
        guard let pending = MFAChallenge(sealed: challenge, key: try challengeKey(service)),
            pending.expiresAt >= clock()
        else { throw AuthError(.invalidMFAToken, "mfa_token is invalid or expired; log in again") }
        guard code.utf8.count <= 64, let stack = stack(for: service) else {
            throw AuthError(.invalidCredentials, "invalid one-time code")
        }
        try limits.requireAccountBudget(pending.username)
        var attempt = limits.attempt(
            service: service, username: pending.username, password: "", otp: code, source: pending.source)
        let entries = stack.entries(.auth).filter { $0.module.runsInSecondStep }
        let verdict = try await StackEngine.evaluate(entries) { entry in
            try await entry.module.run(&attempt, facility: .auth)
        }
        for entry in entries { await entry.module.stackFinished(attempt, succeeded: verdict.isSuccess) }
        if !verdict.isSuccess { limits.chargeFailure(pending.username) }
        guard verdict.isSuccess, let user = attempt.user, user.id == pending.userID, !user.disabled else {
            logger.info("second factor refused", metadata: ["verdict": "\(verdict)"])
            throw AuthError(.invalidCredentials, "invalid one-time code")
        }
        guard try MFAChallenge.credential(of: user) == pending.credential,
            try await mfa.requireSecondFactor().store.consumeChallenge(id: pending.id, expiresAt: pending.expiresAt)
        else { throw AuthError(.invalidMFAToken, "mfa_token is invalid or expired; log in again") }
        return user
    }

    // MARK: Helpers

    /// The `http` stack's key is the one challenges were always sealed with; every other service
    /// has its own, so a challenge made for one is no good for another.
    private func challengeKey(_ service: String) throws -> [UInt8] {
        try tokens.codec.keyring.derivedKey(purpose: service == "http" ? "mfa challenge" : "mfa challenge \(service)")
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
