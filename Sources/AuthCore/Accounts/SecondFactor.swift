public import AuthCrypto

/// How TOTP codes are issued and checked.
public struct MFAPolicy: Sendable {
    /// The issuer shown by authenticator apps (`otpauth://totp/Issuer:user?…&issuer=Issuer`).
    public var issuer: String
    /// Parameters of new enrolments; existing ones keep theirs.
    public var otp: OneTimePassword
    /// Steps accepted either side of now.
    public var window: Int64
    /// Seconds a login's `mfa_token` stays usable.
    public var challengeLifetime: Int64

    public init(
        issuer: String = "authd", otp: OneTimePassword? = nil, window: Int64 = 1, challengeLifetime: Int64 = 300
    ) {
        self.issuer = issuer
        self.otp = otp ?? (try! OneTimePassword())  // the defaults are valid by construction
        self.window = window
        self.challengeLifetime = challengeLifetime
    }
}

/// Checks TOTP and recovery codes against the store, and seals new secrets. A TOTP code is
/// accepted only for a time step later than the last one accepted; a recovery code only once.
public struct SecondFactor: Sendable {
    public let policy: MFAPolicy
    let store: any MFAStore
    let keyring: SealingKeyring

    public init(policy: MFAPolicy = .init(), store: any MFAStore, keyring: SealingKeyring) {
        self.policy = policy
        self.store = store
        self.keyring = keyring
    }

    static func context(_ userID: Int64) -> [UInt8] { Array("totp:\(userID)".utf8) }

    func seal(_ secret: [UInt8], userID: Int64) throws -> TOTPEnrolment {
        TOTPEnrolment(
            sealedSecret: try keyring.seal(secret, context: Self.context(userID)), keyID: keyring.currentID,
            otp: policy.otp, confirmed: false, lastStep: nil)
    }

    func secret(of enrolment: TOTPEnrolment, userID: Int64) throws -> [UInt8] {
        try keyring.open(enrolment.sealedSecret, keyID: enrolment.keyID, context: Self.context(userID))
    }

    /// The step a TOTP code matches within the window, if it does.
    func matchingStep(of code: String, enrolment: TOTPEnrolment, userID: Int64, now: Int64) throws -> Int64? {
        guard code.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return try enrolment.otp.matchingStep(
            of: code, secret: secret(of: enrolment, userID: userID), at: now, window: policy.window)
    }

    /// A current TOTP code or an unused recovery code of a confirmed enrolment, used up by this call.
    public func verify(_ code: String, userID: Int64, now: Int64) async throws -> Bool {
        let code = code.filter { $0 != " " }
        if let hash = Self.recoveryCodeHash(code) {
            return try await store.useRecoveryCode(hash: hash, userID: userID)
        }
        guard let enrolment = try await store.enrolment(userID: userID), enrolment.confirmed,
            let step = try matchingStep(of: code, enrolment: enrolment, userID: userID, now: now)
        else { return false }
        return try await store.accept(step: step, userID: userID)
    }

    // MARK: Recovery codes

    /// Ten new codes of 80 random bits each, shown as `xxxx-xxxx-xxxx-xxxx` (base32, lower case).
    static func newRecoveryCodes() throws -> [String] {
        try (0..<10).map { _ in
            let text = Base32.encode(try SecureRandom.bytes(10)).lowercased()
            return stride(from: 0, to: 16, by: 4).map { offset in
                String(text.dropFirst(offset).prefix(4))
            }.joined(separator: "-")
        }
    }

    /// The stored form of a recovery code as typed (any case, dashes optional); nil for anything
    /// that cannot be one. 80 random bits need no slow hash.
    static func recoveryCodeHash(_ code: String) -> String? {
        let normalised = code.filter { $0 != "-" }.uppercased()
        guard normalised.utf8.count == 16, let bytes = Base32.decode(normalised), bytes.count == 10 else {
            return nil
        }
        return try? Digest.sha256Hex(bytes)
    }
}
