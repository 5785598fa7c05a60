public import AuthCrypto

/// A user's TOTP enrolment as stored: the secret sealed (AES-256-GCM, the user id as context)
/// under the key `keyID` names, its code parameters, and the last time step accepted.
public struct TOTPEnrolment: Sendable {
    public var sealedSecret: [UInt8]
    public var keyID: String
    public var otp: OneTimePassword
    public var confirmed: Bool
    public var lastStep: Int64?

    public init(sealedSecret: [UInt8], keyID: String, otp: OneTimePassword, confirmed: Bool, lastStep: Int64?) {
        self.sealedSecret = sealedSecret
        self.keyID = keyID
        self.otp = otp
        self.confirmed = confirmed
        self.lastStep = lastStep
    }
}

/// Persistent second factors. Accepting a code is one atomic statement per kind, so two instances
/// can never both accept the same TOTP step or the same recovery code.
public protocol MFAStore: Sendable {
    func enrolment(userID: Int64) async throws -> TOTPEnrolment?
    /// Stores a new, unconfirmed enrolment (replacing an unconfirmed one); false when the user
    /// already has a confirmed one.
    func begin(_ enrolment: TOTPEnrolment, userID: Int64) async throws -> Bool
    /// Confirms the pending enrolment with the step of a valid code, turns MFA on and stores the
    /// recovery codes' hashes; false when there is nothing pending or the step was used.
    func confirm(userID: Int64, step: Int64, recoveryCodeHashes: [String]) async throws -> Bool
    /// Records `step` as used if it is later than every step accepted before; false otherwise.
    func accept(step: Int64, userID: Int64) async throws -> Bool
    /// Marks the unused recovery code with this hash used; false when there is none.
    func useRecoveryCode(hash: String, userID: Int64) async throws -> Bool
    /// Replaces every recovery code of a confirmed enrolment; false without one.
    func replaceRecoveryCodes(hashes: [String], userID: Int64) async throws -> Bool
    /// Removes the enrolment and the recovery codes and turns MFA off; false when there was none.
    /// With an actor, writes an audit row in the same transaction (admin reset).
    func remove(userID: Int64, by actor: Actor?) async throws -> Bool
    /// Marks a login's `mfa_token` (by its random id) as used, once across instances: false when
    /// it already was. `expiresAt` (Unix seconds) is when the record may go.
    func consumeChallenge(id: String, expiresAt: Int64) async throws -> Bool
}
