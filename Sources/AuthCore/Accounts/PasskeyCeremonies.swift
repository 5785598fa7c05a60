import AuthCrypto
public import AuthWebAuthn

/// How passkeys are offered and judged (README, "Passkeys").
public struct PasskeyPolicy: Sendable {
    /// The RP ID and the exact origins browsers may report.
    public var relyingParty: RelyingParty
    public var userVerification: UserVerification
    /// Seconds a ceremony's challenge may be answered in.
    public var challengeLifetime: Int64
    /// A credential whose counter did not grow is refused and marked suspect (false: only logged).
    public var refuseCounterRegression: Bool

    public init(
        relyingParty: RelyingParty, userVerification: UserVerification = .preferred, challengeLifetime: Int64 = 300,
        refuseCounterRegression: Bool = true
    ) {
        self.relyingParty = relyingParty
        self.userVerification = userVerification
        self.challengeLifetime = challengeLifetime
        self.refuseCounterRegression = refuseCounterRegression
    }
}

/// What a browser needs to start a ceremony: the challenge and whose credentials count.
public struct PasskeyOptions: Hashable, Sendable {
    public var challenge: [UInt8]
    /// Registration: the credentials the authenticator must not register again. Sign-in after a
    /// password: the user's credentials; empty for a discoverable sign-in (no username typed).
    public var credentialIDs: [[UInt8]]
    /// The user handle (registration): the user id, eight bytes big-endian, nothing personal.
    public var userHandle: [UInt8]?
}

/// The two WebAuthn ceremonies over the passkey store: a challenge issued and remembered on every
/// instance (as its SHA-256, bound to whoever asked, single use, short-lived), then the response
/// verified against it (`AuthWebAuthn`). Every refusal of a sign-in is the same `invalid_passkey`
/// (an unknown credential and a bad signature alike); the audit log and the warning say more.
public struct PasskeyCeremonies: Sendable {
    public let policy: PasskeyPolicy
    let store: any PasskeyStore
    let users: any UserStore
    let clock: @Sendable () -> Int64

    public init(
        policy: PasskeyPolicy, store: any PasskeyStore, users: any UserStore,
        clock: @escaping @Sendable () -> Int64 = UnixTime.now
    ) {
        self.policy = policy
        self.store = store
        self.users = users
        self.clock = clock
    }

    static let refused = AuthError(.invalidPasskey, "the passkey could not be verified")

    /// The user handle of `userID`.
    public static func userHandle(_ userID: Int64) -> [UInt8] { withUnsafeBytes(of: userID.bigEndian, Array.init) }

    /// Registration, step 1: a challenge for `user`, answerable only by `binding`'s holder.
    public func registrationOptions(for user: User, binding: String) async throws -> PasskeyOptions {
        let challenge = try await issue(.registration, userID: user.id, binding: binding)
        let existing = try await store.passkeys(userID: user.id).map(\.id)
        return PasskeyOptions(challenge: challenge, credentialIDs: existing, userHandle: Self.userHandle(user.id))
    }

    /// Registration, step 2: the browser's response to a challenge `binding` asked for `user`.
    public func register(
        user: User, binding: String, clientDataJSON: [UInt8], attestationObject: [UInt8], name: String
    ) async throws -> Passkey {
        let challenge = try await take(.registration, clientDataJSON: clientDataJSON, binding: binding)
        guard challenge.userID == user.id else { throw Self.refused }
        let registration: Registration
        do {
            registration = try Registration.verify(
                clientDataJSON: clientDataJSON, attestationObject: attestationObject,
                challenge: challenge.bytes, relyingParty: policy.relyingParty,
                userVerification: policy.userVerification)
        } catch {
            throw AuthError(.invalidPasskey, "the new passkey could not be verified: \(error.message)")
        }
        return try await store.add(
            Passkey(
                id: registration.credentialID, userID: user.id, publicKey: registration.publicKey.encoded,
                signCount: registration.signCount, aaguid: registration.aaguid,
                backupEligible: registration.flags.contains(.backupEligible),
                backedUp: registration.flags.contains(.backedUp), name: name))
    }

    /// Sign-in, step 1: a challenge for `user`'s passkeys (a second step after a password), or for
    /// any discoverable one (`user` nil: the authenticator names its user).
    public func signInOptions(for user: User?, binding: String) async throws -> PasskeyOptions {
        let challenge = try await issue(.signIn, userID: user?.id, binding: binding)
        var allowed: [[UInt8]] = []
        if let user { allowed = try await store.passkeys(userID: user.id).map(\.id) }
        return PasskeyOptions(challenge: challenge, credentialIDs: allowed, userHandle: nil)
    }

    /// Sign-in, step 2: the account whose passkey answered the challenge `binding` asked for,
    /// with the flags its authenticator set. The counter moves once across instances.
    public func signIn(
        binding: String, credentialID: [UInt8], clientDataJSON: [UInt8], authenticatorData: [UInt8],
        signature: [UInt8]
    ) async throws -> (user: User, passkey: Passkey, flags: AuthenticatorData.Flags) {
        let challenge = try await take(.signIn, clientDataJSON: clientDataJSON, binding: binding)
        guard let passkey = try await store.passkey(id: credentialID), !passkey.suspect,
            challenge.userID == nil || challenge.userID == passkey.userID,
            let user = try await users.find(id: passkey.userID), !user.disabled
        else { throw Self.refused }
        let assertion: Assertion
        do {
            assertion = try Assertion.verify(
                clientDataJSON: clientDataJSON, authenticatorData: authenticatorData, signature: signature,
                publicKey: try COSEKey.publicKey(try CBOR(decoding: passkey.publicKey)),
                storedSignCount: passkey.signCount, challenge: challenge.bytes, relyingParty: policy.relyingParty,
                userVerification: policy.userVerification)
        } catch {
            throw Self.refused
        }
        if assertion.counterWentBack, policy.refuseCounterRegression {
            try await store.markSuspect(id: passkey.id)
            throw Self.refused
        }
        guard
            try await store.recordUse(
                id: passkey.id, expected: passkey.signCount, signCount: assertion.signCount,
                backedUp: assertion.flags.contains(.backedUp))
        else { throw Self.refused }
        return (user, passkey, assertion.flags)
    }

    private func issue(_ ceremony: PasskeyChallenge.Ceremony, userID: Int64?, binding: String) async throws -> [UInt8] {
        let challenge = try SecureRandom.bytes(32)
        try await store.storeChallenge(
            PasskeyChallenge(
                hash: try Digest.sha256Hex(challenge), ceremony: ceremony, userID: userID, binding: binding,
                expiresAt: clock() + policy.challengeLifetime))
        return challenge
    }

    /// The stored challenge the client data answers, taken (once) for its binding and ceremony.
    private func take(_ ceremony: PasskeyChallenge.Ceremony, clientDataJSON: [UInt8], binding: String) async throws
        -> (bytes: [UInt8], userID: Int64?)
    {
        guard let clientData = try? ClientData(json: clientDataJSON),
            let challenge = try await store.takeChallenge(
                hash: try Digest.sha256Hex(clientData.challenge), binding: binding),
            challenge.ceremony == ceremony
        else { throw Self.refused }
        return (clientData.challenge, challenge.userID)
    }
}
