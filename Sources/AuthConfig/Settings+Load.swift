import AuthCore
public import AuthCrypto
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
    /// Environment first (`AUTHD_` + the key in upper snake case: `http.addr` is `AUTHD_HTTP_ADDR`),
    /// then the YAML file at `path` when one is given.
    public static func load(configFile path: String?, environment: [String: String]? = nil) async throws -> Settings {
        try Settings(await reader(configFile: path, environment: environment))
    }

    public static func reader(configFile path: String?, environment: [String: String]? = nil) async throws
        -> ConfigReader
    {
        let env =
            environment.map { EnvironmentVariablesProvider(environmentVariables: $0, secretsSpecifier: secrets) }
            ?? EnvironmentVariablesProvider(secretsSpecifier: secrets)
        var providers: [any ConfigProvider] = [env.prefixKeys(with: "authd")]
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
        return ConfigReader(providers: providers)
    }

    /// Values read from the environment that are never echoed by access reporting.
    private static let secrets = SecretsSpecifier<String, String>.dynamic { key, _ in
        key.contains("SECRET") || key.contains("DATABASE_URL")
    }

    public init(_ config: ConfigReader) throws {
        let (host, port) = try Self.address(config.string(forKey: "http.addr", default: "127.0.0.1:5000"))
        http = HTTP(
            host: host, port: port,
            frontEnd: .init(
                maximumBodySize: config.int(forKey: "http.max_body_bytes", default: 64 * 1024),
                forwarded: try Self.forwardedClient(config)),
            idleTimeout: .seconds(config.int(forKey: "http.idle_timeout_seconds", default: 60)),
            maximumConnections: config.int(forKey: "http.max_connections", default: 1024),
            headerTimeout: .seconds(config.int(forKey: "http.header_timeout_seconds", default: 10)),
            bodyTimeout: .seconds(config.int(forKey: "http.body_timeout_seconds", default: 30)))
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
        if let listener = try Self.hookListener(config, key: "postfix_policy", maximumLineLength: 8 * 1024) {
            let stack = config.string(forKey: "postfix_policy.service", default: "smtp")
            guard Identity.isServiceName(stack) else {
                throw ConfigurationError("postfix_policy.service must be a stack name")
            }
            postfixPolicy = PostfixPolicy(listener: listener, stack: stack)
        }
        let deadline = config.int(forKey: "shutdown.deadline_seconds", default: 10)
        guard (1...300).contains(deadline) else {
            throw ConfigurationError("shutdown.deadline_seconds must be 1 to 300")
        }
        shutdownDeadline = .seconds(deadline)
        line.shutdownDeadline = shutdownDeadline
        database = try Database(config)

        let times = try Self.accessTokenTimes(config)
        tokens = Tokens(
            keyring: try Self.keyring(config),
            issuer: config.string(forKey: "jwt.issuer", default: "authd"),
            audience: config.string(forKey: "jwt.audience", default: "authd"),
            accessTokenLifetime: times.lifetime, leeway: times.leeway)
        http.frontEnd.issuer = try Self.oauthIssuer(config, tokenIssuer: tokens.issuer, host: host, port: port)
        if oauthScopes.contains("openid"), tokens.keyring.idTokenPair == nil {
            throw ConfigurationError(
                "oauth.scopes holds openid, so ID tokens must be signed with RS256: set oidc.id_token_key_file to an "
                    + "RSA key (authctl key generate --alg RS256), or jwt.algorithm RS256")
        }

        portal = try Self.portalPolicy(config, issuer: http.frontEnd.issuer)
        passwords = try Passwords(config)
        revocation = RevocationState.Configuration(
            maximumStaleness: Int64(config.int(forKey: "revocation.max_staleness_seconds", default: 30)),
            failOpen: config.bool(forKey: "revocation.fail_open", default: false))
        guard revocation.maximumStaleness >= 0 else {
            throw ConfigurationError("revocation.max_staleness_seconds must not be negative")
        }
        mfa = try Self.mfa(config, jwtSecret: tokens.keyring)
        sessions = SessionPolicy(
            lifetime: Int64(config.int(forKey: "sessions.lifetime_seconds", default: 30 * 86_400)),
            idleTimeout: Int64(config.int(forKey: "sessions.idle_timeout_seconds", default: 7 * 86_400)),
            refreshGrace: Int64(config.int(forKey: "sessions.refresh_grace_seconds", default: 10)))
        guard sessions.lifetime > 0, sessions.idleTimeout > 0, sessions.refreshGrace >= 0 else {
            throw ConfigurationError(
                "sessions.lifetime_seconds and sessions.idle_timeout_seconds must be positive, "
                    + "sessions.refresh_grace_seconds not negative")
        }
        logLevel = config.string(forKey: "log.level", default: "info")
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ConfigurationError("log.level must be trace, debug, info, notice, warning, error or critical")
        }
        logFormat = config.string(forKey: "log.format", default: "json")
        guard ["json", "text"].contains(logFormat) else { throw ConfigurationError("log.format must be json or text") }
        metricsEnabled = config.bool(forKey: "metrics.enabled", default: true)
        stacksDirectory = config.string(forKey: "stacks.directory", default: "config/stacks")
        attemptLimit = Self.bucket(config, "limits.attempts", burst: 20, perSecond: 5)
        registrationLimit = Self.bucket(config, "limits.register", burst: 10, perSecond: 0.2)
        accountLimit = Self.bucket(config, "limits.account_failures", burst: 20, perSecond: 0.02)
        let prefix = config.int(forKey: "limits.ipv6_prefix", default: 64)
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
        let mode = config.string(forKey: "oidc.consent", default: "remember")
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
        let idle = config.int(forKey: "oidc.sso_idle_timeout_seconds", default: 1800)
        guard (60...30 * 86_400).contains(idle) else {
            throw ConfigurationError("oidc.sso_idle_timeout_seconds must be 60 to 2592000 (30 days)")
        }
        return PortalPolicy(
            consent: consent, cookieDomain: domain.isEmpty ? nil : domain, returnHosts: hosts,
            ssoIdleTimeout: Int64(idle))
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
    static func bucket(_ config: ConfigReader, _ prefix: String, burst: Int, perSecond: Double)
        -> RateLimiter.Configuration?
    {
        let burst = config.int(forKey: ConfigKey("\(prefix)_burst"), default: burst)
        guard burst != 0 else { return nil }
        return RateLimiter.Configuration(
            burst: Double(burst),
            perSecond: config.double(forKey: ConfigKey("\(prefix)_per_second"), default: perSecond))
    }

    /// The access token lifetime and the clock leeway allowed when checking it, in seconds.
    public static func accessTokenTimes(_ config: ConfigReader) throws -> (lifetime: Int64, leeway: Int64) {
        let lifetime = Int64(config.int(forKey: "jwt.access_token_ttl_seconds", default: 900))
        let leeway = Int64(config.int(forKey: "jwt.leeway_seconds", default: 30))
        guard lifetime > 0, leeway >= 0 else {
            throw ConfigurationError(
                "jwt.access_token_ttl_seconds must be positive and jwt.leeway_seconds not negative")
        }
        return (lifetime, leeway)
    }

    /// SQLAlchemy URLs (`postgresql+psycopg2://…`) name a driver libpq does not know; drop it so the
    /// Flask seed's SQLALCHEMY_DATABASE_URI works unchanged.
    static func libpqURL(_ url: String) -> String {
        guard url.hasPrefix("postgresql+") || url.hasPrefix("postgres+"), let scheme = url.range(of: "://") else {
            return url
        }
        return "postgresql" + url[scheme.lowerBound...]
    }

    /// The signing key from `jwt.secret_file` or `jwt.secret`, plus `jwt.previous_secret_files`
    /// that still verify during a rotation. Every secret must pass `SecretPolicy`.
    public static func keyring(_ config: ConfigReader) throws -> JWTKeyring {
        let signing: [UInt8]
        if let file = config.string(forKey: "jwt.secret_file"), !file.isEmpty {
            signing = try readSecret(file)
        } else {
            signing = Array((config.string(forKey: "jwt.secret", isSecret: true) ?? "").utf8)
        }
        try SecretPolicy.validate(signing)
        let previous = try config.stringArray(forKey: "jwt.previous_secret_files", default: []).map { file in
            let secret = try readSecret(file)
            try SecretPolicy.validate(secret)
            return secret
        }
        let pairs = try keyPairs(config)
        let idTokenFile = config.string(forKey: "oidc.id_token_key_file") ?? ""
        let idTokenKey = idTokenFile.isEmpty ? nil : try readPrivateKey(idTokenFile, key: "oidc.id_token_key_file")
        do {
            return try JWTKeyring(
                signingKey: JWTKey(id: JWTKey.derivedID(for: signing), secret: signing),
                verificationKeys: previous.map { try JWTKey(id: JWTKey.derivedID(for: $0), secret: $0) },
                signingPair: pairs.signing, previousPairs: pairs.previous, idTokenKey: idTokenKey)
        } catch {
            throw ConfigurationError("JWT keys: \(error)")
        }
    }

    /// `jwt.algorithm` (HS256 by default, with the secret) and, for EdDSA, ES256 or RS256, the
    /// private key in `jwt.signing_key_file`; `jwt.previous_key_files` still verify (and are
    /// published) after a rotation or a switch back to HS256.
    static func keyPairs(_ config: ConfigReader) throws -> (signing: SigningKey?, previous: [SigningKey]) {
        let name = config.string(forKey: "jwt.algorithm", default: "HS256")
        guard let algorithm = JWSAlgorithm(rawValue: name) else {
            throw ConfigurationError("jwt.algorithm must be HS256, EdDSA, ES256 or RS256, not \(name)")
        }
        let previous = try config.stringArray(forKey: "jwt.previous_key_files", default: []).map {
            try readPrivateKey($0, key: "jwt.previous_key_files")
        }
        let file = config.string(forKey: "jwt.signing_key_file") ?? ""
        guard algorithm != .hs256 else {
            guard file.isEmpty else {
                throw ConfigurationError("jwt.signing_key_file is set but jwt.algorithm is HS256: set jwt.algorithm")
            }
            return (nil, previous)
        }
        guard !file.isEmpty else {
            throw ConfigurationError("jwt.algorithm \(name) needs jwt.signing_key_file (authctl key generate)")
        }
        let signing = try readPrivateKey(file, key: "jwt.signing_key_file")
        guard signing.algorithm == algorithm else {
            throw ConfigurationError(
                "jwt.signing_key_file holds a \(signing.algorithm.rawValue) key but jwt.algorithm is \(name)")
        }
        return (signing, previous)
    }

    /// A private key file: PEM, unencrypted, and not readable or writable by others (mode 0600
    /// or 0640). The error names the file and the setting, never its contents.
    static func readPrivateKey(_ path: String, key: String) throws -> SigningKey {
        guard let data = FileManager.default.contents(atPath: path),
            let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
        else {
            throw ConfigurationError("\(key): cannot read \(path)")
        }
        guard mode & 0o007 == 0 else {
            throw ConfigurationError(
                "\(key): \(path) is accessible to other users (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        do {
            return try SigningKey(pem: String(decoding: data, as: UTF8.self))
        } catch {
            throw ConfigurationError("\(key): \(path): \(error.message)")
        }
    }

    /// `mfa.key_file` (or `mfa.key`) seals TOTP secrets; `mfa.previous_key_files` still open
    /// secrets sealed before a rotation. Without a key, MFA is off.
    static func mfa(_ config: ConfigReader, jwtSecret: JWTKeyring) throws -> MFA? {
        let current: [UInt8]
        if let file = config.string(forKey: "mfa.key_file"), !file.isEmpty {
            current = try readSecret(file)
        } else {
            current = Array((config.string(forKey: "mfa.key", isSecret: true) ?? "").utf8)
        }
        guard !current.isEmpty else { return nil }
        let previous = try config.stringArray(forKey: "mfa.previous_key_files", default: []).map(readSecret)
        for key in [current] + previous { try SecretPolicy.validate(key, name: "the MFA key") }
        guard SealingKeyring.sameMaterial(current, asSigningKeyOf: jwtSecret) == false else {
            throw ConfigurationError("the MFA key must differ from the JWT secret")
        }
        guard let algorithm = HashFunction(rawValue: config.string(forKey: "mfa.algorithm", default: "SHA1")) else {
            throw ConfigurationError("mfa.algorithm must be SHA1, SHA256 or SHA512")
        }
        let window = Int64(config.int(forKey: "mfa.window", default: 1))
        let challengeLifetime = Int64(config.int(forKey: "mfa.challenge_ttl_seconds", default: 300))
        guard (0...10).contains(window), challengeLifetime > 0 else {
            throw ConfigurationError("mfa.window must be 0 to 10 and mfa.challenge_ttl_seconds positive")
        }
        do {
            return MFA(
                keyring: try SealingKeyring(current: current, previous: previous),
                policy: MFAPolicy(
                    issuer: config.string(forKey: "mfa.issuer", default: "authd"),
                    otp: try OneTimePassword(
                        algorithm: algorithm, digits: config.int(forKey: "mfa.digits", default: 6),
                        period: Int64(config.int(forKey: "mfa.period_seconds", default: 30))),
                    window: window, challengeLifetime: challengeLifetime))
        } catch {
            throw ConfigurationError("MFA settings: \(error.message)")
        }
    }

    /// A secret file's bytes without the trailing newline editors add.
    static func readSecret(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read JWT secret file \(path)")
        }
        var bytes = Array(data)
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        return bytes
    }

    static func lineServer(_ config: ConfigReader) throws -> LineServer.Configuration {
        let (host, port) = try address(config.string(forKey: "line.addr", default: "127.0.0.1:5001"), key: "line.addr")
        var clients: [LineClientKey] = []
        for entry in config.stringArray(forKey: "line.clients", isSecret: true, default: []) {
            guard let client = LineClientKey(configured: entry) else {
                throw ConfigurationError("line.clients entries are name:sha256-hex-of-key[:service+service…]")
            }
            clients.append(client)
        }
        let line = LineServer.Configuration(
            host: host, port: port,
            maximumInFlight: config.int(forKey: "line.max_inflight", default: 64),
            idleTimeout: .seconds(Int64(config.int(forKey: "line.idle_timeout_seconds", default: 300))),
            maximumConnections: config.int(forKey: "line.max_connections", default: 1024), clients: clients,
            clientDeadline: .seconds(Int64(config.int(forKey: "line.client_timeout_seconds", default: 10))),
            maximumUnauthenticated: config.int(forKey: "line.max_unauthenticated", default: 64))
        guard line.clientDeadline > .zero else {
            throw ConfigurationError("line.client_timeout_seconds must be positive")
        }
        // A listener others can reach must let nobody in without a client key.
        guard !line.requiresClient || !clients.isEmpty else {
            throw ConfigurationError("line.addr \(host) is not loopback: configure line.clients (client keys) first")
        }
        return line
    }

    /// `nginx_mail.backends`: `protocol=ip:port` entries (imap, pop3, smtp); `nginx_mail.proxies`:
    /// CIDRs of the nginx mail proxies whose `Client-IP` is believed.
    static func mailBackends(_ config: ConfigReader) throws -> MailBackends {
        var servers: [String: MailBackends.Backend] = [:]
        for entry in config.stringArray(forKey: "nginx_mail.backends", default: []) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, MailBackends.protocols.contains(parts[0]), let hostPort = HostPort(parts[1]),
                let address = IPAddress(hostPort.host), hostPort.port > 0, servers[parts[0]] == nil
            else {
                throw ConfigurationError(
                    "nginx_mail.backends entries are imap|pop3|smtp=<IP address>:<port>, once each, got \(entry)")
            }
            servers[parts[0]] = .init(address: address, port: hostPort.port)
        }
        let proxies = try config.stringArray(forKey: "nginx_mail.proxies", default: []).map { text in
            guard let network = IPNetwork(text) else {
                throw ConfigurationError("nginx_mail.proxies entries are IP addresses or CIDRs, got \(text.prefix(64))")
            }
            return network
        }
        return MailBackends(servers, proxies: proxies)
    }

    /// A hook listener's `<key>.path` (a unix socket with `<key>.mode`, octal, default 0660: the
    /// file's owner and group decide who may connect) or `<key>.addr` (loopback TCP: any local
    /// process may connect); neither: off. The servers on it are trusted to tell their clients'
    /// addresses (`rip=`, `client_address`), so only this host's may connect.
    static func hookListener(_ config: ConfigReader, key: String, maximumLineLength: Int) throws
        -> HookListener.Configuration?
    {
        let text = config.string(forKey: ConfigKey("\(key).addr"), default: "")
        let path = config.string(forKey: ConfigKey("\(key).path"), default: "")
        let address: HookListener.Configuration.Address
        switch (text.isEmpty, path.isEmpty) {
        case (true, true): return nil
        case (false, false): throw ConfigurationError("give \(key).path or \(key).addr, not both")
        case (true, false):
            address = .unix(path: try socketPath(path, key: "\(key).path"), mode: try socketMode(config, key: key))
        case (false, true):
            let (host, port) = try self.address(text, key: "\(key).addr")
            guard LineServer.Configuration.isLoopback(host) else {
                throw ConfigurationError(
                    "\(key).addr must be a loopback address (the servers on it are trusted with rip=)")
            }
            address = .tcp(host: host, port: port)
        }
        let idle = config.int(forKey: ConfigKey("\(key).idle_timeout_seconds"), default: 300)
        let connections = config.int(forKey: ConfigKey("\(key).max_connections"), default: 256)
        guard idle > 0, connections > 0 else {
            throw ConfigurationError("\(key).idle_timeout_seconds and \(key).max_connections must be positive")
        }
        return HookListener.Configuration(
            address: address, framing: .lines(maximumLength: maximumLineLength),
            idleTimeout: .seconds(Int64(idle)), maximumConnections: connections)
    }

    /// An absolute path under 100 bytes (a unix socket's address must fit `sun_path`).
    static func socketPath(_ path: String, key: String) throws -> String {
        guard path.hasPrefix("/"), path.utf8.count < 100 else {
            throw ConfigurationError("\(key) must be an absolute path under 100 bytes (a unix socket)")
        }
        return path
    }

    /// `<key>.mode`: octal permissions of the socket file, default 0660.
    static func socketMode(_ config: ConfigReader, key: String) throws -> UInt16 {
        let text = config.string(forKey: ConfigKey("\(key).mode"), default: "0660")
        guard let mode = UInt16(text, radix: 8), mode <= 0o777 else {
            throw ConfigurationError("\(key).mode must be octal permissions such as 0660")
        }
        return mode
    }

    /// `saslauthd.path` (empty: off), its `mode` (octal) and the `service` whose stack decides (empty:
    /// the one each request names).
    static func saslauthd(_ config: ConfigReader) throws -> Saslauthd? {
        let text = config.string(forKey: "saslauthd.path", default: "")
        guard !text.isEmpty else { return nil }
        let path = try socketPath(text, key: "saslauthd.path")
        let mode = try socketMode(config, key: "saslauthd")
        let stack = config.string(forKey: "saslauthd.service", default: "")
        guard stack.isEmpty || Identity.isServiceName(stack) else {
            throw ConfigurationError("saslauthd.service must be a stack name")
        }
        return Saslauthd(
            listener: .init(address: .unix(path: path, mode: mode), framing: .saslauthd, idleTimeout: .seconds(30)),
            stack: stack.isEmpty ? nil : stack)
    }

    /// `host:port`, `[v6]:port`; port 0 asks the system for a free one.
    static func address(_ text: String, key: String = "http.addr") throws -> (String, Int) {
        guard let address = HostPort(text) else {
            throw ConfigurationError("\(key) must be host:port or [v6]:port, got \(text)")
        }
        return (address.host, address.port)
    }
}

extension Settings.Database {
    /// Only the database settings: what `authctl` needs, without the JWT secret.
    public init(_ config: ConfigReader) throws {
        guard let url = config.string(forKey: "database.url", isSecret: true), !url.isEmpty else {
            throw ConfigurationError("database.url (AUTHD_DATABASE_URL) is required")
        }
        let poolTimeout = config.double(forKey: "database.pool_timeout_seconds", default: 5)
        guard poolTimeout > 0, poolTimeout <= 60 else {
            throw ConfigurationError("database.pool_timeout_seconds must be above 0 and at most 60")
        }
        self.init(
            url: Settings.libpqURL(url),
            maxConnections: config.int(forKey: "database.max_connections", default: 10),
            poolTimeout: .milliseconds(Int64(poolTimeout * 1000)),
            migrateOnStart: config.bool(forKey: "database.migrate_on_start", default: true),
            migrationsPath: config.string(forKey: "database.migrations_path", default: "sql"),
            listenURL: config.string(forKey: "database.listen_url", isSecret: true).flatMap {
                $0.isEmpty ? nil : Settings.libpqURL($0)
            })
    }
}

extension Settings.Passwords {
    /// Only the password settings: what `authctl user create` needs, without the JWT secret.
    public init(_ config: ConfigReader) throws {
        self.init(
            scrypt: ScryptParameters(
                logN: config.int(forKey: "password.scrypt.ln", default: 15),
                r: config.int(forKey: "password.scrypt.r", default: 8),
                p: config.int(forKey: "password.scrypt.p", default: 3)),
            minimumLength: config.int(forKey: "password.min_length", default: 8),
            hashing: HashingPool.Configuration(
                threads: config.int(forKey: "password.hashing_threads"),
                queueLimit: config.int(forKey: "password.hashing_queue", default: 64)),
            commonPasswords: try Self.commonPasswords(
                path: config.string(forKey: "password.common_list", default: "data/common-passwords.txt")))
        do {
            _ = try scrypt.validated()
        } catch {
            throw ConfigurationError("password.scrypt: \(error.message)")
        }
        // One key per scheme, its name with `_` for `-` (environment variables cannot hold `-`).
        for scheme in ImportedHash.schemes {
            let key = "password.imported_floor.\(scheme.name.replacingOccurrences(of: "-", with: "_"))"
            guard let minimum = config.int(forKey: ConfigKey(key)) else { continue }
            guard minimum > 0 else { throw ConfigurationError("\(key) must be a positive work factor") }
            importedFloor.minimums[scheme.name] = minimum
        }
        try loadCeiling(config)
        guard (1...1024).contains(minimumLength) else {
            throw ConfigurationError("password.min_length must be between 1 and 1024")
        }
    }
}

extension Settings.Passwords {
    /// `password.imported_ceiling.memory_mib` (1-1024) and one work maximum per key of
    /// `HashCostCeiling.defaultMaximums` (`scrypt`, `werkzeug_pbkdf2`, `bcrypt`, `sha_crypt`,
    /// `argon2`), each positive; authd's own `password.scrypt` must fit under them.
    mutating func loadCeiling(_ config: ConfigReader) throws {
        if let mib = config.int(forKey: "password.imported_ceiling.memory_mib") {
            guard (1...1024).contains(mib) else {
                throw ConfigurationError("password.imported_ceiling.memory_mib must be 1 to 1024")
            }
            hashCeiling.memory = UInt64(mib) << 20
        }
        for name in HashCostCeiling.defaultMaximums.keys {
            let key = "password.imported_ceiling.\(name.replacingOccurrences(of: "-", with: "_"))"
            guard let maximum = config.int(forKey: ConfigKey(key)) else { continue }
            guard maximum > 0 else { throw ConfigurationError("\(key) must be a positive work factor") }
            hashCeiling.maximums[name] = maximum
        }
        do {
            _ = try PasswordHasher(parameters: scrypt, ceiling: hashCeiling)
        } catch {
            throw ConfigurationError(error.message)
        }
    }

    /// The list at `path` (relative to the working directory), one password per line; "" for none.
    static func commonPasswords(path: String) throws -> CommonPasswords {
        guard !path.isEmpty else { return .none }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigurationError(
                "password.common_list: cannot read \(path) (a UTF-8 file, one password per line; \"\" for no list)")
        }
        let list = CommonPasswords(list: text)
        guard list.count > 0 else { throw ConfigurationError("password.common_list: \(path) holds no passwords") }
        return list
    }
}

extension Settings {
    /// Every stack file in `stacksDirectory`, keyed by service (the file name). Names must be
    /// 1–32 of `[a-z0-9_-]`; `http` (POST /login) is required.
    public func stackFiles() throws -> [String: (file: String, text: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: stacksDirectory) else {
            throw ConfigurationError("cannot read stacks directory \(stacksDirectory)")
        }
        var files: [String: (file: String, text: String)] = [:]
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = stacksDirectory + "/" + name
            guard Identity.isServiceName(name) else {
                throw ConfigurationError("\(path): stack files are named after their service: 1-32 of [a-z0-9_-]")
            }
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else { throw ConfigurationError("\(path): cannot read") }
            files[name] = (path, text)
        }
        guard files["http"] != nil else {
            throw ConfigurationError("\(stacksDirectory)/http is missing: POST /login runs the http stack")
        }
        return files
    }
}
