import AuthCore
import AuthCrypto
import AuthHTTP
import AuthHookServers
import AuthLineProtocol
public import Configuration
import SystemPackage

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Settings {
    /// In order of precedence: `--set key=value` on the command line, then the environment
    /// (`AUTHD_` + the key in upper snake case: `http.addr` is `AUTHD_HTTP_ADDR`), then the YAML
    /// file at `path` when one is given, then each setting's default.
    public static func load(
        configFile path: String?, environment: [String: String]? = nil,
        commandLine: CommandLineSettings = .none, accessReporter: (any AccessReporter)? = nil
    ) async throws -> Settings {
        let read = ConfigKeysRead()
        let reporters: [any AccessReporter] = [read] + (accessReporter.map { [$0] } ?? [])
        let settings = try Settings(
            await reader(
                configFile: path, environment: environment, commandLine: commandLine,
                accessReporter: BroadcastingAccessReporter(upstreams: reporters)))
        try commandLine.checkRead(read.keys)
        return settings
    }

    /// `accessReporter` hears every key read (the test that keeps config/authd.yaml complete).
    public static func reader(
        configFile path: String?, environment: [String: String]? = nil,
        commandLine: CommandLineSettings = .none, accessReporter: (any AccessReporter)? = nil
    ) async throws -> ConfigReader {
        let env =
            environment.map { EnvironmentVariablesProvider(environmentVariables: $0, secretsSpecifier: secrets) }
            ?? EnvironmentVariablesProvider(secretsSpecifier: secrets)
        var providers: [any ConfigProvider] = [commandLine.provider, env.prefixKeys(with: "authd")]
        if let path {
            guard FileManager.default.fileExists(atPath: path) else {
                throw ConfigurationError("configuration file \(path) does not exist")
            }
            do {
                providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
            } catch {
                throw ConfigurationError("configuration file \(path) is not valid YAML")
            }
        }
        return ConfigReader(providers: providers, accessReporter: accessReporter)
    }

    /// Values read from the environment that are never echoed by access reporting.
    private static let secrets = SecretsSpecifier<String, String>.dynamic { key, _ in
        key.contains("SECRET") || key.contains("DATABASE_URL")
    }

    /// Every value a key does not set is the default of the type it configures (`Settings.HTTP`,
    /// `LineServer.Configuration`, `SessionPolicy`, `RevocationState.Configuration`, …), so each
    /// default is written once; config/authd.yaml repeats them, checked by ConfigDocumentationTests.
    public init(_ config: ConfigReader) throws {
        let httpDefaults = HTTP()
        let (host, port) = try Self.address(
            config.string(forKey: "http.addr", default: "\(httpDefaults.host):\(httpDefaults.port)"))
        http = HTTP(
            host: host, port: port,
            frontEnd: .init(
                maximumBodySize: config.int(
                    forKey: "http.max_body_bytes", default: httpDefaults.frontEnd.maximumBodySize),
                forwarded: try Self.forwardedClient(config)),
            idleTimeout: .seconds(
                config.int(forKey: "http.idle_timeout_seconds", default: Self.seconds(httpDefaults.idleTimeout))),
            maximumConnections: config.int(forKey: "http.max_connections", default: httpDefaults.maximumConnections),
            headerTimeout: .seconds(
                config.int(forKey: "http.header_timeout_seconds", default: Self.seconds(httpDefaults.headerTimeout))),
            bodyTimeout: .seconds(
                config.int(forKey: "http.body_timeout_seconds", default: Self.seconds(httpDefaults.bodyTimeout))))
        guard http.idleTimeout > .zero, http.maximumConnections > 0, http.headerTimeout > .zero,
            http.bodyTimeout > .zero
        else {
            throw ConfigurationError(
                "http.idle_timeout_seconds, http.max_connections, http.header_timeout_seconds and "
                    + "http.body_timeout_seconds must be positive")
        }

        oauthScopes = try Self.oauthScopes(config)
        http.frontEnd.mailBackends = try Self.mailBackends(config)
        line = try Self.lineServer(config)
        if let listener = try Self.hookListener(
            config, key: "dovecot_auth", maximumLineLength: DovecotAuthProtocol.maximumLineLength)
        {
            let services = config.stringArray(forKey: "dovecot_auth.services", default: ["smtp"])
            guard !services.isEmpty, services.allSatisfy(Identity.isServiceName) else {
                throw ConfigurationError("dovecot_auth.services must be one or more stack names")
            }
            dovecotAuth = DovecotAuth(listener: listener, services: Set(services))
        }
        saslauthd = try Self.saslauthd(config)
        radius = try Self.radius(config)
        ldap = try Self.ldap(config)
        mail = try Self.mail(config)
        requireVerifiedEmail = config.bool(forKey: "mail.require_verified_email", default: false)
        if let listener = try Self.hookListener(config, key: "postfix_policy", maximumLineLength: 8 * 1024) {
            let stack = config.string(forKey: "postfix_policy.service", default: "smtp")
            guard Identity.isServiceName(stack) else {
                throw ConfigurationError("postfix_policy.service must be a stack name")
            }
            postfixPolicy = PostfixPolicy(listener: listener, stack: stack)
        }
        let deadline = config.int(forKey: "shutdown.deadline_seconds", default: Self.seconds(shutdownDeadline))
        guard (1...300).contains(deadline) else {
            throw ConfigurationError("shutdown.deadline_seconds must be 1 to 300")
        }
        shutdownDeadline = .seconds(deadline)
        line.shutdownDeadline = shutdownDeadline
        database = try Database(config)

        tokens = Tokens(keyring: try Self.keyring(config))
        tokens.issuer = config.string(forKey: "jwt.issuer", default: tokens.issuer)
        tokens.audience = config.string(forKey: "jwt.audience", default: tokens.audience)
        (tokens.accessTokenLifetime, tokens.leeway) = try Self.accessTokenTimes(config)
        http.frontEnd.issuer = try Self.oauthIssuer(config, tokenIssuer: tokens.issuer, host: host, port: port)
        switch config.string(forKey: "oauth.access_token_format", default: "authd") {
        case "authd": tokens.clientIssuer = nil
        case "rfc9068":
            guard tokens.keyring.signingPair != nil || tokens.keyring.idTokenPair != nil else {
                throw ConfigurationError(
                    "oauth.access_token_format rfc9068 signs clients' tokens with a public key: set "
                        + "oidc.id_token_key_file or jwt.algorithm with jwt.signing_key_file")
            }
            tokens.clientIssuer = http.frontEnd.issuer
        default: throw ConfigurationError("oauth.access_token_format must be authd or rfc9068")
        }
        if oauthScopes.contains("openid"), tokens.keyring.idTokenPair == nil {
            throw ConfigurationError(
                "oauth.scopes holds openid, so ID tokens must be signed with RS256: set oidc.id_token_key_file to an "
                    + "RSA key (authctl key generate --alg RS256), or jwt.algorithm RS256")
        }

        portal = try Self.portalPolicy(config, issuer: http.frontEnd.issuer)
        dpop.proofLifetime = Int64(
            config.int(forKey: "dpop.proof_lifetime_seconds", default: Int(dpop.proofLifetime)))
        guard (10...600).contains(dpop.proofLifetime) else {
            throw ConfigurationError("dpop.proof_lifetime_seconds must be 10 to 600")
        }
        dpop.requireNonce = config.bool(forKey: "dpop.require_nonce", default: dpop.requireNonce)
        passkeys = try Self.passkeyPolicy(config, issuer: http.frontEnd.issuer)
        passwords = try Passwords(config)
        let revocationDefaults = RevocationState.Configuration()
        revocation = RevocationState.Configuration(
            maximumStaleness: Int64(
                config.int(
                    forKey: "revocation.max_staleness_seconds", default: Int(revocationDefaults.maximumStaleness))),
            failOpen: config.bool(forKey: "revocation.fail_open", default: revocationDefaults.failOpen))
        guard revocation.maximumStaleness >= 0 else {
            throw ConfigurationError("revocation.max_staleness_seconds must not be negative")
        }
        mfa = try Self.mfa(config, jwtSecret: tokens.keyring)
        let sessionDefaults = SessionPolicy()
        sessions = SessionPolicy(
            lifetime: Int64(config.int(forKey: "sessions.lifetime_seconds", default: Int(sessionDefaults.lifetime))),
            idleTimeout: Int64(
                config.int(forKey: "sessions.idle_timeout_seconds", default: Int(sessionDefaults.idleTimeout))),
            refreshGrace: Int64(
                config.int(forKey: "sessions.refresh_grace_seconds", default: Int(sessionDefaults.refreshGrace))))
        guard sessions.lifetime > 0, sessions.idleTimeout > 0, sessions.refreshGrace >= 0 else {
            throw ConfigurationError(
                "sessions.lifetime_seconds and sessions.idle_timeout_seconds must be positive, "
                    + "sessions.refresh_grace_seconds not negative")
        }
        logLevel = config.string(forKey: "log.level", default: logLevel)
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ConfigurationError("log.level must be trace, debug, info, notice, warning, error or critical")
        }
        logFormat = config.string(forKey: "log.format", default: logFormat)
        guard ["json", "text"].contains(logFormat) else { throw ConfigurationError("log.format must be json or text") }
        metricsEnabled = config.bool(forKey: "metrics.enabled", default: metricsEnabled)
        stacksDirectory = config.string(forKey: "stacks.directory", default: stacksDirectory)
        attemptLimit = Self.bucket(config, "limits.attempts", default: attemptLimit)
        registrationLimit = Self.bucket(config, "limits.register", default: registrationLimit)
        accountLimit = Self.bucket(config, "limits.account_failures", default: accountLimit)
        let prefix = config.int(forKey: "limits.ipv6_prefix", default: addressGrouping.ipv6Prefix)
        guard (1...128).contains(prefix) else { throw ConfigurationError("limits.ipv6_prefix must be 1 to 128") }
        addressGrouping = AddressGrouping(ipv6Prefix: prefix)
    }

    /// `http.trusted_proxies` (CIDRs) and `http.client_address_header`.
    /// `oauth.scopes`: RFC 6749 scope tokens (no spaces, quotes or backslashes).
    public static func oauthScopes(_ config: ConfigReader) throws -> Set<String> {
        let scopes = config.stringArray(forKey: "oauth.scopes", default: [])
        for scope in scopes where !OAuthScope.isToken(scope) {
            throw ConfigurationError(
                "oauth.scopes: '\(scope.prefix(64))' is not a scope token (1 to 128 printable ASCII characters "
                    + "but space, '\"' and '\\')")
        }
        return Set(scopes)
    }

    /// `oauth.issuer` alone, as `init` reads it: for authctl, whose mail links to the portal.
    public static func oauthIssuer(_ config: ConfigReader) throws -> String {
        let (host, port) = try address(config.string(forKey: "http.addr", default: "127.0.0.1:5000"))
        return try oauthIssuer(
            config, tokenIssuer: config.string(forKey: "jwt.issuer", default: Tokens.defaultIssuer), host: host,
            port: port)
    }

    /// `oauth.issuer`: the public URL clients reach authd at (RFC 8414's issuer, without query or
    /// fragment). Default: `jwt.issuer` when that is such a URL, else `http://` + `http.addr`.
    static func oauthIssuer(_ config: ConfigReader, tokenIssuer: String, host: String, port: Int) throws -> String {
        let isURL: (String) -> Bool = { text in
            (text.hasPrefix("https://") || text.hasPrefix("http://")) && !text.contains("?") && !text.contains("#")
                && !text.contains(" ") && text.split(separator: "/").count >= 2
        }
        let fallback = isURL(tokenIssuer) ? tokenIssuer : "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        let issuer = config.string(forKey: "oauth.issuer", default: fallback)
        guard isURL(issuer) else {
            throw ConfigurationError("oauth.issuer must be an http:// or https:// URL without query or fragment")
        }
        return issuer
    }

    /// `oidc.consent`, `oidc.cookie_domain` (the issuer's host must be in it, or browsers drop
    /// the cookie) and `oidc.return_hosts` (host names, `.domain` for any host under it).
    static func portalPolicy(_ config: ConfigReader, issuer: String) throws -> PortalPolicy {
        let defaults = PortalPolicy()
        let mode = config.string(forKey: "oidc.consent", default: defaults.consent.rawValue)
        guard let consent = PortalPolicy.ConsentMode(rawValue: mode) else {
            throw ConfigurationError("oidc.consent must be remember, always or implicit")
        }
        let isHostName: (Substring) -> Bool = { name in
            !name.isEmpty && name.count <= 253
                && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                    (1...63).contains(label.count)
                        && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                }
        }
        var domain = config.string(forKey: "oidc.cookie_domain", default: "").lowercased()
        if domain.hasPrefix(".") { domain.removeFirst() }
        if !domain.isEmpty {
            let host = PortalPolicy.host(of: issuer) ?? ""
            guard isHostName(Substring(domain)), host == domain || host.hasSuffix("." + domain) else {
                throw ConfigurationError(
                    "oidc.cookie_domain must be a domain name that oauth.issuer's host is in (for auth.example.com: "
                        + "example.com), or browsers refuse the cookie")
            }
        }
        let hosts = config.stringArray(forKey: "oidc.return_hosts", default: []).map { $0.lowercased() }
        for host in hosts where !isHostName(host.hasPrefix(".") ? host.dropFirst() : Substring(host)) {
            throw ConfigurationError(
                "oidc.return_hosts: '\(host.prefix(64))' is not a host name (app.example.com, or .example.com for "
                    + "every host under it)")
        }
        let idle = config.int(forKey: "oidc.sso_idle_timeout_seconds", default: Int(defaults.ssoIdleTimeout))
        guard (60...30 * 86_400).contains(idle) else {
            throw ConfigurationError("oidc.sso_idle_timeout_seconds must be 60 to 2592000 (30 days)")
        }
        return PortalPolicy(
            consent: consent, cookieDomain: domain.isEmpty ? nil : domain, returnHosts: hosts,
            ssoIdleTimeout: Int64(idle),
            selfRegistration: config.bool(forKey: "oidc.self_registration", default: defaults.selfRegistration),
            requirePushedRequests: config.bool(
                forKey: "oidc.require_pushed_authorization_requests", default: defaults.requirePushedRequests))
    }

    static func forwardedClient(_ config: ConfigReader) throws -> ForwardedClient {
        let proxies = try config.stringArray(forKey: "http.trusted_proxies", default: []).map { text in
            guard let network = IPNetwork(text) else {
                throw ConfigurationError("http.trusted_proxies: '\(text)' is not an address or CIDR network")
            }
            return network
        }
        let name = config.string(forKey: "http.client_address_header", default: "x-forwarded-for")
        guard let header = ForwardedClient.Header(rawValue: name.lowercased()) else {
            throw ConfigurationError("http.client_address_header must be x-forwarded-for or forwarded")
        }
        return ForwardedClient(trustedProxies: proxies, header: header)
    }

    /// `<prefix>_burst` and `<prefix>_per_second` as a token bucket; a burst of 0 is no limit.
    static func bucket(_ config: ConfigReader, _ prefix: String, default limit: RateLimiter.Configuration?)
        -> RateLimiter.Configuration?
    {
        let fallback = limit ?? RateLimiter.Configuration()
        let burst = config.int(forKey: ConfigKey("\(prefix)_burst"), default: limit == nil ? 0 : Int(fallback.burst))
        guard burst != 0 else { return nil }
        return RateLimiter.Configuration(
            burst: Double(burst),
            perSecond: config.double(forKey: ConfigKey("\(prefix)_per_second"), default: fallback.perSecond))
    }
}

extension Settings {
    /// Whole seconds of a configured duration, as the `_seconds` keys hold them.
    static func seconds(_ duration: Duration) -> Int { Int(duration.components.seconds) }
}
