public import AuthCrypto
public import Logging

/// The composition root: the one place the use cases are built over a `Stores` value. authd and
/// the tests assemble the whole graph with `init(stores:configuration:clock:logger:)`; authctl,
/// which administers without the signing keys, assembles `administration(stores:configuration:…)`.
/// Owns the hashing pool and the in-memory revocation state; the stores' owner (a database pool)
/// closes after `close()`.
public struct AuthAssembly: Sendable {
    /// How passwords are hashed and checked, for every use case that touches one.
    public struct Passwords: Sendable {
        public var scrypt: ScryptParameters
        /// Imported hashes weaker than this are refused at import.
        public var importedFloor: ImportedHashFloor
        /// Stored hashes costlier than this are never verified.
        public var hashCeiling: HashCostCeiling
        public var hashing: HashingPool.Configuration
        public var policy: PasswordPolicy

        public init(
            scrypt: ScryptParameters = .default, importedFloor: ImportedHashFloor = .init(),
            hashCeiling: HashCostCeiling = .init(), hashing: HashingPool.Configuration = .init(),
            policy: PasswordPolicy = .init()
        ) {
            self.scrypt = scrypt
            self.importedFloor = importedFloor
            self.hashCeiling = hashCeiling
            self.hashing = hashing
            self.policy = policy
        }
    }

    /// TOTP: its policy and the keys its secrets are sealed with.
    public struct SecondFactorKeys: Sendable {
        public var policy: MFAPolicy
        public var keyring: SealingKeyring

        public init(policy: MFAPolicy = .init(), keyring: SealingKeyring) {
            self.policy = policy
            self.keyring = keyring
        }
    }

    public struct Configuration: Sendable {
        public var passwords: Passwords
        /// Login, sessions and OAuth; its `passwordPolicy` is replaced by `passwords.policy`.
        public var auth: AuthService.Configuration
        /// Signs and checks access and ID tokens.
        public var tokens: AccessTokenCodec
        /// nil: TOTP is off.
        public var secondFactor: SecondFactorKeys?
        public var stacks: AuthService.StackSource
        public var portal: PortalPolicy
        public var revocation: RevocationState.Configuration
        /// The lifecycle's mail; nil: no mail is sent, and password reset is off.
        public var mail: (any AccountMail)?
        public var passwordReset: PasswordResetService.Configuration
        public var emailVerification: EmailVerificationService.Configuration
        /// Seconds an invitation's link is valid.
        public var invitationLifetime: Int64
        /// Sign-in by a link or code sent by mail; nil: off (it also needs `mail`).
        public var signInByMail: SignInByMailService.Configuration?
        /// How DPoP proofs are judged.
        public var dpop: DPoPPolicy
        /// Passkeys (WebAuthn); nil: off.
        public var passkeys: PasskeyPolicy?

        public init(
            passwords: Passwords = .init(), auth: AuthService.Configuration = .init(), tokens: AccessTokenCodec,
            secondFactor: SecondFactorKeys? = nil, stacks: AuthService.StackSource = .passwordOnly,
            portal: PortalPolicy = .init(), revocation: RevocationState.Configuration = .init(),
            mail: (any AccountMail)? = nil, passwordReset: PasswordResetService.Configuration = .init(),
            emailVerification: EmailVerificationService.Configuration = .init(), invitationLifetime: Int64 = 72 * 3600,
            signInByMail: SignInByMailService.Configuration? = nil, dpop: DPoPPolicy = .init(),
            passkeys: PasskeyPolicy? = nil
        ) {
            self.passkeys = passkeys
            self.dpop = dpop
            self.signInByMail = signInByMail
            self.invitationLifetime = invitationLifetime
            self.emailVerification = emailVerification
            self.passwords = passwords
            self.auth = auth
            self.tokens = tokens
            self.secondFactor = secondFactor
            self.stacks = stacks
            self.portal = portal
            self.revocation = revocation
            self.mail = mail
            self.passwordReset = passwordReset
        }
    }

    public let stores: Stores
    /// What every use case shares.
    public let dependencies: AuthDependencies
    /// Register, login, stacks, sessions, MFA, OAuth and token authorization.
    public let auth: AuthService
    /// Users, roles, permissions, clients, import and the audit trail.
    public let admin: AdminService
    /// The browser portal's sign-in, SSO sessions and consents.
    public let portal: PortalService
    public let secondFactor: SecondFactor?
    /// Password reset by mail; nil when no mail is configured.
    public let passwordReset: PasswordResetService?
    /// E-mail verification by mail; nil when no mail is configured.
    public let emailVerification: EmailVerificationService?
    /// Sign-in by a mailed link or code; nil when it is off or no mail is configured.
    public let signInByMail: SignInByMailService?
    /// DPoP proofs (RFC 9449), checked by the HTTP front end before its handlers run.
    public let proofs: DPoPVerifier
    /// Passkey ceremonies; nil when passkeys are off.
    public let passkeys: PasskeyCeremonies?

    public var hashing: HashingPool { dependencies.hashing }
    /// Changes apply here at once; a feed (`PostgresRevocationListener`) brings other instances'.
    public var revocations: RevocationState { dependencies.revocations }

    /// Throws `StackConfigError` (with file:line) for a bad stack file, `CryptoError` for scrypt
    /// parameters out of range.
    public init(
        stores: Stores, configuration: Configuration, clock: @escaping @Sendable () -> Int64 = UnixTime.now,
        logger: Logger
    ) async throws {
        self.stores = stores
        dependencies = try Self.dependencies(
            stores: stores, passwords: configuration.passwords, revocation: configuration.revocation, clock: clock,
            logger: logger)
        secondFactor = configuration.secondFactor.map {
            SecondFactor(policy: $0.policy, store: stores.mfa, keyring: $0.keyring)
        }
        var auth = configuration.auth
        auth.passwordPolicy = configuration.passwords.policy
        auth.verifyEmail = auth.verifyEmail && configuration.mail != nil
        let mailsSignIns = configuration.mail != nil && configuration.signInByMail != nil
        do {
            self.auth = try AuthService(
                configuration: auth, dependencies: dependencies, tokens: configuration.tokens,
                secondFactor: secondFactor, stacks: configuration.stacks,
                signInTokens: mailsSignIns ? stores.accountTokens : nil)
        } catch {
            await dependencies.hashing.shutdown()
            throw error
        }
        admin = Self.admin(
            stores: stores, dependencies: dependencies,
            configuration: .init(
                passwordPolicy: auth.passwordPolicy, scopes: auth.scopes,
                idTokenAlgorithms: configuration.tokens.keyring.idTokenAlgorithms, verifyEmail: auth.verifyEmail,
                mail: configuration.mail, invitationLifetime: configuration.invitationLifetime))
        portal = PortalService(auth: self.auth, store: stores.portal, policy: configuration.portal)
        passkeys = configuration.passkeys.map {
            PasskeyCeremonies(policy: $0, store: stores.passkeys, users: stores.users, clock: clock)
        }
        proofs = try DPoPVerifier(
            policy: configuration.dpop, replays: stores.proofReplays, keyring: configuration.tokens.keyring,
            clock: clock)
        if let mail = configuration.mail {
            passwordReset = PasswordResetService(
                configuration: configuration.passwordReset, outbox: stores.outbox, tokens: stores.accountTokens,
                mail: mail, policy: auth.passwordPolicy, grouping: auth.addressGrouping, dependencies: dependencies)
            emailVerification = EmailVerificationService(
                configuration: configuration.emailVerification, outbox: stores.outbox, store: stores.accountTokens,
                mail: mail, tokens: self.auth.tokens, grouping: auth.addressGrouping, dependencies: dependencies)
            let service = self.auth
            signInByMail = configuration.signInByMail.map {
                SignInByMailService(
                    configuration: $0, outbox: stores.outbox, store: stores.accountTokens, mail: mail, auth: service,
                    grouping: auth.addressGrouping)
            }
        } else {
            passwordReset = nil
            emailVerification = nil
            signInByMail = nil
        }
    }

    /// The admin use cases alone, for tools that administer without the signing keys: one
    /// hashing thread, and revocations that reach the daemons through the database only.
    public static func administration(
        stores: Stores, passwords: Passwords, configuration: AdminService.Configuration, logger: Logger
    ) throws -> (admin: AdminService, hashing: HashingPool) {
        var passwords = passwords
        passwords.hashing = .init(threads: 1, queueLimit: 1)
        let dependencies = try Self.dependencies(
            stores: stores, passwords: passwords, revocation: .init(), clock: UnixTime.now, logger: logger)
        return (
            Self.admin(stores: stores, dependencies: dependencies, configuration: configuration), dependencies.hashing
        )
    }

    /// Stops the hashing threads; the stores' owner closes after.
    public func close() async {
        await dependencies.hashing.shutdown()
    }

    private static func dependencies(
        stores: Stores, passwords: Passwords, revocation: RevocationState.Configuration,
        clock: @escaping @Sendable () -> Int64, logger: Logger
    ) throws -> AuthDependencies {
        let hasher = try PasswordHasher(
            parameters: passwords.scrypt, floor: passwords.importedFloor, ceiling: passwords.hashCeiling)
        return AuthDependencies(
            users: stores.users, sessions: stores.sessions, clients: stores.clients, codes: stores.codes,
            lockouts: stores.lockouts, directory: stores.directory,
            hashing: HashingPool(configuration: passwords.hashing),
            hasher: hasher,
            revocations: RevocationState(configuration: revocation), clock: clock, logger: logger)
    }

    private static func admin(
        stores: Stores, dependencies: AuthDependencies, configuration: AdminService.Configuration
    ) -> AdminService {
        AdminService(
            configuration: configuration, dependencies: dependencies, directory: stores.directory,
            importer: stores.importer, mfa: stores.mfa, lockouts: stores.lockouts)
    }
}
