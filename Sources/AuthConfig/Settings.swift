public import AuthCore
public import AuthCrypto
public import AuthHTTP
public import AuthHookServers
public import AuthLineProtocol

/// Everything the executables read from configuration, already validated. Built by
/// `Settings.load` from `config/authd.yaml` and `AUTHD_…` environment variables.
public struct Settings: Sendable {
    public struct HTTP: Sendable {
        public var host = "127.0.0.1"
        public var port = 5000
        public var frontEnd = HTTPFrontEnd.Configuration()
        /// A connection with no request for this long is closed.
        public var idleTimeout: Duration = .seconds(60)
        /// Open connections beyond this are closed at once.
        public var maximumConnections = 1024
        /// Once a request's first byte arrives, its head must be complete within this.
        public var headerTimeout: Duration = .seconds(10)
        /// ...and its body within this of the head.
        public var bodyTimeout: Duration = .seconds(30)
    }

    public struct Database: Sendable {
        /// libpq connection string or URL; a secret (it may carry a password).
        public var url: String
        public var maxConnections = 10
        /// How long a request waits for a free pooled connection before 503 `unavailable`.
        public var poolTimeout: Duration = .seconds(5)
        /// Apply pending migrations at start-up (safe with several instances: advisory lock).
        public var migrateOnStart = true
        public var migrationsPath = "sql"
        /// A direct connection (`database.listen_url`) for what needs a session of its own: the
        /// revocation listener's LISTEN and the migrations' advisory lock. nil: `url`.
        public var listenURL: String?

        /// Where sessions of their own connect.
        public var sessionURL: String { listenURL ?? url }
    }

    public struct Tokens: Sendable {
        public var keyring: JWTKeyring
        public var issuer = Self.defaultIssuer
        /// `jwt.issuer`'s default.
        public static let defaultIssuer = "authd"
        public var audience = "authd"
        public var accessTokenLifetime = Self.defaultAccessTokenLifetime
        public var leeway = Self.defaultLeeway
        /// `oauth.access_token_format: rfc9068`: the issuer URL that tokens issued to OAuth clients
        /// carry, signed by a public key (RFC 9068); nil (`authd`, the default) for authd's own kind.
        public var clientIssuer: String?

        public static let defaultAccessTokenLifetime: Int64 = 900
        public static let defaultLeeway: Int64 = 30
    }

    public struct Passwords: Sendable {
        public var scrypt = ScryptParameters.default
        public var minimumLength = 8
        public var hashing = HashingPool.Configuration()
        /// `password.common_list`, read once at start.
        public var commonPasswords = CommonPasswords.none
        /// `password.imported_floor.<scheme>`: imported hashes weaker than this refuse the login.
        public var importedFloor = ImportedHashFloor()
        /// `password.imported_ceiling.*`: stored hashes costlier than this refuse import and login.
        public var hashCeiling = HashCostCeiling()
        /// `password.breached`: the Pwned Passwords check; nil when off.
        public var breached: BreachedPasswords?

        /// The policy registration, password changes and `authctl user create` enforce.
        public var policy: PasswordPolicy {
            PasswordPolicy(minimumLength: minimumLength, commonPasswords: commonPasswords, breached: breached)
        }
    }

    public var http = HTTP()
    public var line = LineServer.Configuration()
    /// Dovecot's authentication protocol for mail servers (`dovecot_auth.addr`); nil when off.
    public var dovecotAuth: DovecotAuth?

    public struct DovecotAuth: Sendable {
        public var listener: HookListener.Configuration
        /// `dovecot_auth.services`: the stacks a request's `service=` may name (default `smtp`), so
        /// a caller cannot pick one without the second factor.
        public var services: Set<String>
    }
    /// Postfix's policy delegation (`postfix_policy.addr`); nil when off.
    public var postfixPolicy: PostfixPolicy?

    public struct PostfixPolicy: Sendable {
        public var listener: HookListener.Configuration
        /// The stack whose account checks decide.
        public var stack: String
    }
    /// saslauthd's socket for Cyrus SASL consumers (`saslauthd.path`); nil when off.
    public var saslauthd: Saslauthd?

    public struct Saslauthd: Sendable {
        public var listener: HookListener.Configuration
        /// The stack deciding every request; nil: the one the request's service names.
        public var stack: String?
    }
    /// The RADIUS front end (`radius.addr`); nil when off.
    public var radius: Radius?
    /// The LDAP front end (`ldap.addr`); nil when off.
    public var ldap: LDAP?
    /// How mail leaves (`mail.transport`); nil when authd sends none.
    public var mail: Mail?
    /// `mail.require_verified_email`: an account whose address is not verified cannot sign in.
    public var requireVerifiedEmail = false
    public var database: Database
    public var tokens: Tokens
    public var passwords = Passwords()
    public var revocation = RevocationState.Configuration()
    /// How long revocations stay in force and what the database keeps: from the token times.
    public var retention: RetentionPolicy {
        RetentionPolicy(accessTokenLifetime: tokens.accessTokenLifetime, leeway: tokens.leeway)
    }
    public var sessions = SessionPolicy()
    /// TOTP settings; nil when no MFA key is configured (MFA then cannot be enrolled or passed).
    public var mfa: MFA?

    public struct MFA: Sendable {
        public var keyring: SealingKeyring
        public var policy: MFAPolicy
    }
    public var logLevel = "info"
    /// How long SIGTERM waits for requests in flight before connections are closed regardless.
    public var shutdownDeadline: Duration = .seconds(10)
    /// `json` (one object per line) or `text`.
    public var logFormat = "json"
    /// Serve `GET /metrics` on the HTTP listener.
    public var metricsEnabled = true
    /// Login and AUTH attempts per client address (token bucket, per instance).
    public var attemptLimit: RateLimiter.Configuration? = .init()
    /// Registrations per client address (token bucket, per instance).
    public var registrationLimit: RateLimiter.Configuration? = .init(burst: 10, perSecond: 0.2)
    /// Failed attempts per account from all addresses together (token bucket, per instance).
    public var accountLimit: RateLimiter.Configuration? = .init(burst: 20, perSecond: 0.02)
    /// How per-address limits and lockouts group IPv6 addresses (by /64).
    public var addressGrouping = AddressGrouping()
    /// `oauth.scopes`: the scopes OAuth clients may be given.
    public var oauthScopes: Set<String> = []
    /// `oidc.consent`, `oidc.cookie_domain`, `oidc.return_hosts`.
    public var portal = PortalPolicy()
    /// `dpop.proof_lifetime_seconds`, `dpop.require_nonce`: how DPoP proofs are judged.
    public var dpop = DPoPPolicy()
    /// `webauthn.*`: passkeys; nil without `webauthn.rp_id`.
    public var passkeys: PasskeyPolicy?
    /// Directory of `<service>` stack files; `http` must be among them.
    public var stacksDirectory = "config/stacks"
}

/// A configuration problem that stops start-up. Never contains a secret value.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The connection string may hold a password: it never prints.
extension Settings.Database: CustomStringConvertible, CustomReflectable {
    public var description: String { "Database(url: <redacted>, maxConnections: \(maxConnections))" }
    public var customMirror: Mirror { Mirror(self, children: ["maxConnections": maxConnections]) }
}
