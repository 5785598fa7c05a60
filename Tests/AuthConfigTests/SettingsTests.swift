import AuthConfig
import AuthCore
import AuthCrypto
import Foundation
import Testing

@Suite("configuration")
struct SettingsTests {
    static let goodSecret = "q7Vn2xK9pL4mR8sT1wY6zA3bC5dE0fGh"
    let database = "host=127.0.0.1 dbname=authd"

    func load(_ environment: [String: String], file: String? = nil) async throws -> Settings {
        try await Settings.load(configFile: file, environment: environment)
    }

    @Test(
        "weak JWT secrets stop start-up",
        arguments: [
            "", "short", "secret", "changeme", "super-secret", "your-256-bit-secret",
            "replace-me-with-at-least-32-random-bytes", String(repeating: "a", count: 64),
            "abababababababababababababababab",
            "0123456789abcdef0123456789abcde", "this-is-an-example-secret-of-many-bytes",
        ])
    func weakSecret(_ secret: String) async {
        await #expect(throws: ConfigurationError.self) {
            try await load(["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": secret])
        }
    }

    @Test("a missing secret or database stops start-up with a message naming the variable")
    func missing() async {
        await #expect {
            try await load(["AUTHD_DATABASE_URL": database])
        } throws: { error in
            "\(error)".contains("AUTHD_JWT_SECRET")
        }
        await #expect {
            try await load(["AUTHD_JWT_SECRET": Self.goodSecret])
        } throws: { error in
            "\(error)".contains("AUTHD_DATABASE_URL")
        }
    }

    @Test("defaults match the seed: 127.0.0.1:5000, 15-minute tokens, scrypt ln=15,r=8,p=3")
    func defaults() async throws {
        let settings = try await load(["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret])
        #expect(settings.http.host == "127.0.0.1")
        #expect(settings.http.port == 5000)
        #expect(settings.tokens.accessTokenLifetime == 900)
        #expect(settings.passwords.scrypt == .default)
        #expect(settings.http.frontEnd.maximumBodySize == 65536)
    }

    @Test("the common-password list: the shipped file by default, another file, none, or a clear error")
    func commonPasswordList() async throws {
        let base = ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret]
        let shipped = try await load(base).passwords
        #expect(shipped.commonPasswords.count == 30_000)
        #expect(throws: AuthError.self) { try shipped.policy.check("iloveyou") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("authd-list-\(UUID())").path
        try "hunter2hunter2\nCorrect Horse\n\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let own = try await load(base.merging(["AUTHD_PASSWORD_COMMON_LIST": path]) { $1 }).passwords
        #expect(own.commonPasswords.count == 2 && own.commonPasswords.contains("correct horse"))
        try own.policy.check("iloveyou")
        let none = try await load(base.merging(["AUTHD_PASSWORD_COMMON_LIST": ""]) { $1 }).passwords
        #expect(none.commonPasswords.count == 0)
        await #expect {
            try await load(base.merging(["AUTHD_PASSWORD_COMMON_LIST": path + ".missing"]) { $1 })
        } throws: { error in
            "\(error)".contains("password.common_list") && "\(error)".contains(".missing")
        }
    }

    @Test("the breached-password check: off by default; api or directory; bad values are clear errors")
    func breachedPasswords() async throws {
        let base = ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret]
        #expect(try await load(base).passwords.breached == nil)
        let api = try await load(base.merging(["AUTHD_PASSWORD_BREACHED": "api"]) { $1 }).passwords
        #expect(api.policy.breached != nil)
        let directory = FileManager.default.temporaryDirectory.path
        let local = try await load(
            base.merging(["AUTHD_PASSWORD_BREACHED": "directory", "AUTHD_PASSWORD_BREACHED_DIRECTORY": directory]) {
                $1
            }
        ).passwords
        #expect(local.breached != nil)
        for bad in [
            ["AUTHD_PASSWORD_BREACHED": "sometimes"],
            ["AUTHD_PASSWORD_BREACHED": "api", "AUTHD_PASSWORD_BREACHED_URL": "ftp://x/"],
            ["AUTHD_PASSWORD_BREACHED": "api", "AUTHD_PASSWORD_BREACHED_TIMEOUT_MS": "5"],
            ["AUTHD_PASSWORD_BREACHED": "api", "AUTHD_PASSWORD_BREACHED_FAIL": "maybe"],
            ["AUTHD_PASSWORD_BREACHED": "directory", "AUTHD_PASSWORD_BREACHED_DIRECTORY": "/nonexistent/ranges"],
            ["AUTHD_PASSWORD_BREACHED": "directory", "AUTHD_PASSWORD_BREACHED_DIRECTORY": "/etc/hostname"],
        ] {
            await #expect(throws: ConfigurationError.self, "\(bad)") {
                try await load(base.merging(bad) { $1 })
            }
        }
    }

    @Test(
        "passkeys: off without an RP ID; origins default to the issuer's and must sit on the RP ID, https but on localhost"
    )
    func passkeys() async throws {
        let base = ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret]
        #expect(try await load(base).passkeys == nil)
        let issued = try await load(
            base.merging(["AUTHD_WEBAUTHN_RP_ID": "Example.com", "AUTHD_OAUTH_ISSUER": "https://login.example.com/"]) {
                $1
            })
        #expect(issued.passkeys?.relyingParty.id == "example.com")
        #expect(issued.passkeys?.relyingParty.origins == ["https://login.example.com"])
        #expect(issued.passkeys?.userVerification == .preferred)
        let local = try await load(
            base.merging([
                "AUTHD_WEBAUTHN_RP_ID": "localhost", "AUTHD_WEBAUTHN_ORIGINS": "http://localhost:5000",
                "AUTHD_WEBAUTHN_USER_VERIFICATION": "required",
            ]) { $1 })
        #expect(local.passkeys?.relyingParty.origins == ["http://localhost:5000"])
        #expect(local.passkeys?.userVerification == .required)
        for bad in [
            ["AUTHD_WEBAUTHN_RP_ID": "example.com", "AUTHD_WEBAUTHN_ORIGINS": "https://evil.example"],
            ["AUTHD_WEBAUTHN_RP_ID": "example.com", "AUTHD_WEBAUTHN_ORIGINS": "https://notexample.com"],
            ["AUTHD_WEBAUTHN_RP_ID": "example.com", "AUTHD_WEBAUTHN_ORIGINS": "http://login.example.com"],
            ["AUTHD_WEBAUTHN_RP_ID": "example.com", "AUTHD_WEBAUTHN_ORIGINS": "https://login.example.com/path"],
            ["AUTHD_WEBAUTHN_RP_ID": "localhost", "AUTHD_WEBAUTHN_USER_VERIFICATION": "always"],
        ] {
            await #expect(throws: ConfigurationError.self, "\(bad)") { try await load(base.merging(bad) { $1 }) }
        }
    }

    @Test("the secret file wins and its trailing newline is ignored; errors never echo the secret")
    func secretFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("authd-secret-\(UUID())").path
        try (Self.goodSecret + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try await load([
            "AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET_FILE": path, "AUTHD_JWT_SECRET": "ignored",
        ])
        #expect(settings.tokens.keyring.signingKey.id.count == 12)
        await #expect {
            try await load(["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": "hunter2-is-my-secret"])
        } throws: { error in
            !"\(error)".contains("hunter2")
        }
    }

    @Test("the example YAML file loads, and the environment overrides it")
    func yamlFile() async throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/authd.yaml").path
        let settings = try await load(
            ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret, "AUTHD_HTTP_ADDR": "[::1]:0"],
            file: file)
        #expect(settings.http.host == "::1")
        #expect(settings.http.port == 0)
        #expect(settings.database.migrationsPath == "sql")
        #expect(settings.tokens.issuer == "authd")
        await #expect(throws: ConfigurationError.self) {
            try await load(
                ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret], file: "/nonexistent.yaml")
        }
    }

    @Test("bad addresses are refused", arguments: ["5000", "localhost", ":5000", "host:99999", "host:port"])
    func badAddress(_ address: String) async {
        await #expect(throws: ConfigurationError.self) {
            try await load([
                "AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret, "AUTHD_HTTP_ADDR": address,
            ])
        }
    }

    @Test("a non-loopback line listener needs client keys")
    func lineClients() async throws {
        let base = ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret]
        await #expect(throws: ConfigurationError.self) {
            try await load(base.merging(["AUTHD_LINE_ADDR": "0.0.0.0:5001"]) { $1 })
        }
        let hash = String(repeating: "ab", count: 32)
        let settings = try await load(
            base.merging(["AUTHD_LINE_ADDR": "0.0.0.0:5001", "AUTHD_LINE_CLIENTS": "mail:\(hash):imap"]) { $1 })
        #expect(settings.line.requiresClient)
        #expect(settings.line.clients.map(\.name) == ["mail"])
        #expect(try await load(base).line.requiresClient == false)
        await #expect(throws: ConfigurationError.self) {
            try await load(base.merging(["AUTHD_LINE_CLIENTS": "mail:nothex"]) { $1 })
        }
    }

    @Test(
        "the Dovecot-protocol listener is off by default, loopback TCP or a unix socket with its mode, serving smtp unless dovecot_auth.services says more"
    )
    func dovecotAuth() async throws {
        let base = ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret]
        #expect(try await load(base).dovecotAuth == nil)
        let on = try await load(base.merging(["AUTHD_DOVECOT_AUTH_ADDR": "127.0.0.1:5002"]) { $1 }).dovecotAuth
        #expect(on?.listener.address == .tcp(host: "127.0.0.1", port: 5002) && on?.listener.maximumConnections == 256)
        #expect(on?.services == ["smtp"])
        let socket = try await load(
            base.merging([
                "AUTHD_DOVECOT_AUTH_PATH": "/run/authd/dovecot-auth", "AUTHD_DOVECOT_AUTH_MODE": "0600",
                "AUTHD_DOVECOT_AUTH_SERVICES": "smtp,submission",
            ]) { $1 }
        ).dovecotAuth
        #expect(socket?.listener.address == .unix(path: "/run/authd/dovecot-auth", mode: 0o600))
        #expect(socket?.services == ["smtp", "submission"])
        let policy = try await load(base.merging(["AUTHD_POSTFIX_POLICY_PATH": "/run/authd/policy"]) { $1 })
        #expect(policy.postfixPolicy?.listener.address == .unix(path: "/run/authd/policy", mode: 0o660))
        for refused: [String: String] in [
            ["AUTHD_DOVECOT_AUTH_PATH": "relative/socket"],
            ["AUTHD_DOVECOT_AUTH_PATH": "/run/a", "AUTHD_DOVECOT_AUTH_ADDR": "127.0.0.1:5002"],
            ["AUTHD_DOVECOT_AUTH_PATH": "/run/a", "AUTHD_DOVECOT_AUTH_MODE": "rw"],
            ["AUTHD_DOVECOT_AUTH_ADDR": "127.0.0.1:5002", "AUTHD_DOVECOT_AUTH_SERVICES": "bad name!"],
        ] {
            await #expect(throws: ConfigurationError.self, "\(refused)") {
                try await load(base.merging(refused) { $1 })
            }
        }
        for refused in ["0.0.0.0:5002", "192.0.2.1:5002", "127.0.0.1"] {
            await #expect(throws: ConfigurationError.self) {
                try await load(base.merging(["AUTHD_DOVECOT_AUTH_ADDR": refused]) { $1 })
            }
        }
        await #expect(throws: ConfigurationError.self) {
            try await load(
                base.merging(["AUTHD_DOVECOT_AUTH_ADDR": "[::1]:5002", "AUTHD_DOVECOT_AUTH_MAX_CONNECTIONS": "0"]) {
                    $1
                })
        }
    }

    @Test("the saslauthd socket: off by default, an absolute path, octal mode, an optional stack")
    func saslauthd() async throws {
        let base = ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret]
        #expect(try await load(base).saslauthd == nil)
        let on = try await load(
            base.merging(["AUTHD_SASLAUTHD_PATH": "/run/authd/mux", "AUTHD_SASLAUTHD_SERVICE": "imap"]) { $1 })
        #expect(on.saslauthd?.listener.address == .unix(path: "/run/authd/mux", mode: 0o660))
        #expect(on.saslauthd?.stack == "imap")
        for (key, value) in [
            ("AUTHD_SASLAUTHD_MODE", "rw"), ("AUTHD_SASLAUTHD_MODE", "1777"), ("AUTHD_SASLAUTHD_SERVICE", "Bad Name"),
        ] {
            await #expect(throws: ConfigurationError.self) {
                try await load(base.merging(["AUTHD_SASLAUTHD_PATH": "/run/authd/mux", key: value]) { $1 })
            }
        }
        await #expect(throws: ConfigurationError.self) {
            try await load(base.merging(["AUTHD_SASLAUTHD_PATH": "relative/mux"]) { $1 })
        }
    }

    @Test("database.listen_url: the direct connection for LISTEN and migrations, else the pool's URL")
    func listenURL() async throws {
        let base = ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret]
        let plain = try await load(base).database
        #expect(plain.listenURL == nil && plain.sessionURL == database)
        let direct = "host=10.0.0.5 port=5432 dbname=authd"
        let split = try await load(base.merging(["AUTHD_DATABASE_LISTEN_URL": direct]) { $1 }).database
        #expect(split.url == database && split.listenURL == direct && split.sessionURL == direct)
    }

    @Test("http request deadlines: 10 s for the head and 30 s for the body by default; zero is refused by name")
    func requestDeadlines() async throws {
        let base = ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret]
        let http = try await load(base).http
        #expect(http.headerTimeout == .seconds(10) && http.bodyTimeout == .seconds(30))
        for key in ["AUTHD_HTTP_HEADER_TIMEOUT_SECONDS", "AUTHD_HTTP_BODY_TIMEOUT_SECONDS"] {
            await #expect {
                try await load(base.merging([key: "0"]) { $1 })
            } throws: { error in
                "\(error)".contains("http.header_timeout_seconds") && "\(error)".contains("must be positive")
            }
        }
    }

    @Test("the Flask seed's SQLALCHEMY_DATABASE_URI form is accepted")
    func sqlalchemyURL() async throws {
        let settings = try await load([
            "AUTHD_DATABASE_URL": "postgresql+psycopg2://u:p@db:5432/app", "AUTHD_JWT_SECRET": Self.goodSecret,
        ])
        #expect(settings.database.url == "postgresql://u:p@db:5432/app")
    }

    @Test("oauth.issuer defaults to a URL jwt.issuer, else the HTTP address; oauth.scopes are scope tokens")
    func oauthSettings() async throws {
        let base = ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret]
        let defaults = try await load(base)
        #expect(defaults.http.frontEnd.issuer == "http://127.0.0.1:5000")
        #expect(defaults.oauthScopes.isEmpty)
        let url = try await load(base.merging(["AUTHD_JWT_ISSUER": "https://auth.example.com"]) { $1 })
        #expect(url.http.frontEnd.issuer == "https://auth.example.com")
        let set = try await load(
            base.merging([
                "AUTHD_OAUTH_ISSUER": "https://sso.example.com/authd", "AUTHD_OAUTH_SCOPES": "mail:read,reports",
                "AUTHD_HTTP_ADDR": "[::1]:5005",
            ]) { $1 })
        #expect(set.http.frontEnd.issuer == "https://sso.example.com/authd")
        #expect(set.oauthScopes == ["mail:read", "reports"])
        #expect(
            try await load(base.merging(["AUTHD_HTTP_ADDR": "[::1]:5005"]) { $1 }).http.frontEnd.issuer
                == "http://[::1]:5005")
        for bad in [
            ["AUTHD_OAUTH_ISSUER": "auth.example.com"], ["AUTHD_OAUTH_ISSUER": "https://a.example/?x=1"],
            ["AUTHD_OAUTH_SCOPES": "has space"], ["AUTHD_OAUTH_SCOPES": #"quo"te"#],
        ] {
            await #expect(throws: ConfigurationError.self) { try await load(base.merging(bad) { $1 }) }
        }
    }

    @Test(
        "oidc.consent, oidc.cookie_domain (the issuer's host must be in it), oidc.return_hosts and oidc.sso_idle_timeout_seconds are read and checked"
    )
    func portalSettings() async throws {
        let base = [
            "AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret,
            "AUTHD_OAUTH_ISSUER": "https://auth.example.com",
        ]
        let defaults = try await load(base)
        #expect(defaults.portal == PortalPolicy())
        let set = try await load(
            base.merging([
                "AUTHD_OIDC_CONSENT": "implicit", "AUTHD_OIDC_COOKIE_DOMAIN": ".Example.com",
                "AUTHD_OIDC_RETURN_HOSTS": "app.example.com,.apps.example.com",
                "AUTHD_OIDC_SSO_IDLE_TIMEOUT_SECONDS": "7200",
            ]) { $1 })
        #expect(defaults.portal.ssoIdleTimeout == 1800 && set.portal.ssoIdleTimeout == 7200)
        #expect(set.portal.consent == .implicit && set.portal.cookieDomain == "example.com")
        #expect(set.portal.returnHosts == ["app.example.com", ".apps.example.com"])
        let exact = try await load(base.merging(["AUTHD_OIDC_COOKIE_DOMAIN": "auth.example.com"]) { $1 })
        #expect(exact.portal.cookieDomain == "auth.example.com")
        for bad in [
            ["AUTHD_OIDC_CONSENT": "sometimes"], ["AUTHD_OIDC_COOKIE_DOMAIN": "other.example"],
            ["AUTHD_OIDC_COOKIE_DOMAIN": "ample.com"], ["AUTHD_OIDC_COOKIE_DOMAIN": "example.com; Secure"],
            ["AUTHD_OIDC_RETURN_HOSTS": "https://app.example.com/"], ["AUTHD_OIDC_RETURN_HOSTS": "app..example.com"],
            ["AUTHD_OIDC_RETURN_HOSTS": "*.example.com"], ["AUTHD_OIDC_SSO_IDLE_TIMEOUT_SECONDS": "0"],
            ["AUTHD_OIDC_SSO_IDLE_TIMEOUT_SECONDS": "9999999"],
        ] {
            await #expect(throws: ConfigurationError.self, "\(bad)") { try await load(base.merging(bad) { $1 }) }
        }
    }

    @Test("trusted proxies, the client address header, the IPv6 prefix and the account limit are read and checked")
    func clientAddressSettings() async throws {
        let base = ["AUTHD_DATABASE_URL": database, "AUTHD_JWT_SECRET": Self.goodSecret]
        let defaults = try await load(base)
        #expect(defaults.http.frontEnd.forwarded.trustedProxies.isEmpty)
        #expect(defaults.addressGrouping.ipv6Prefix == 64)
        #expect(defaults.accountLimit?.burst == 20)
        let settings = try await load(
            base.merging([
                "AUTHD_HTTP_TRUSTED_PROXIES": "10.0.0.0/8,::1", "AUTHD_HTTP_CLIENT_ADDRESS_HEADER": "Forwarded",
                "AUTHD_LIMITS_IPV6_PREFIX": "56", "AUTHD_LIMITS_ACCOUNT_FAILURES_BURST": "0",
            ]) { $1 })
        #expect(settings.http.frontEnd.forwarded.trustedProxies.map(\.description) == ["10.0.0.0/8", "::1/128"])
        #expect(settings.http.frontEnd.forwarded.header == .forwarded)
        #expect(settings.addressGrouping.ipv6Prefix == 56)
        #expect(settings.accountLimit == nil)
        for bad in [
            ["AUTHD_HTTP_TRUSTED_PROXIES": "10.0.0.0/33"], ["AUTHD_HTTP_CLIENT_ADDRESS_HEADER": "x-real-ip"],
            ["AUTHD_LIMITS_IPV6_PREFIX": "0"],
        ] {
            await #expect(throws: ConfigurationError.self) { try await load(base.merging(bad) { $1 }) }
        }
    }
}

@Suite("configuration: password.imported_floor")
struct ImportedFloorSettingsTests {
    @Test("per-scheme floors from the environment (underscores for dashes); none by default; zero refused")
    func floors() async throws {
        let base = ["AUTHD_DATABASE_URL": "host=127.0.0.1 dbname=authd", "AUTHD_JWT_SECRET": SettingsTests.goodSecret]
        #expect(try await Settings.load(configFile: nil, environment: base).passwords.importedFloor.minimums.isEmpty)
        var environment = base
        environment["AUTHD_PASSWORD_IMPORTED_FLOOR_WERKZEUG_PBKDF2"] = "100000"
        environment["AUTHD_PASSWORD_IMPORTED_FLOOR_BCRYPT"] = "10"
        let settings = try await Settings.load(configFile: nil, environment: environment)
        #expect(settings.passwords.importedFloor.minimums == ["werkzeug-pbkdf2": 100_000, "bcrypt": 10])
        environment["AUTHD_PASSWORD_IMPORTED_FLOOR_BCRYPT"] = "0"
        await #expect(throws: ConfigurationError.self) {
            try await Settings.load(configFile: nil, environment: environment)
        }
    }
}

@Suite("configuration: password.imported_ceiling")
struct ImportedCeilingSettingsTests {
    @Test(
        "the defaults; per-scheme maximums and memory_mib from the environment; zero, over 1024 MiB, or a ceiling authd's own scrypt exceeds refused"
    )
    func ceilings() async throws {
        let base = ["AUTHD_DATABASE_URL": "host=127.0.0.1 dbname=authd", "AUTHD_JWT_SECRET": SettingsTests.goodSecret]
        #expect(try await Settings.load(configFile: nil, environment: base).passwords.hashCeiling == HashCostCeiling())
        var environment = base
        environment["AUTHD_PASSWORD_IMPORTED_CEILING_WERKZEUG_PBKDF2"] = "1000000"
        environment["AUTHD_PASSWORD_IMPORTED_CEILING_MEMORY_MIB"] = "256"
        let settings = try await Settings.load(configFile: nil, environment: environment)
        #expect(settings.passwords.hashCeiling.maximums["werkzeug-pbkdf2"] == 1_000_000)
        #expect(settings.passwords.hashCeiling.memory == 256 << 20)
        for (key, value) in [
            ("AUTHD_PASSWORD_IMPORTED_CEILING_BCRYPT", "0"), ("AUTHD_PASSWORD_IMPORTED_CEILING_MEMORY_MIB", "4096"),
            ("AUTHD_PASSWORD_IMPORTED_CEILING_MEMORY_MIB", "16"),
        ] {
            var refused = base
            refused[key] = value
            await #expect(throws: ConfigurationError.self, "\(key)=\(value)") {
                try await Settings.load(configFile: nil, environment: refused)
            }
        }
    }
}

@Suite("configuration: ldap")
struct LDAPSettingsTests {
    @Test("LDAP: off by default; on with its base DN, the domain from its dc parts, and clear errors for bad values")
    func ldap() async throws {
        let base = ["AUTHD_DATABASE_URL": "host=127.0.0.1 dbname=authd", "AUTHD_JWT_SECRET": SettingsTests.goodSecret]
        #expect(try await Settings.load(configFile: nil, environment: base).ldap == nil)
        let on = try #require(
            try await Settings.load(
                configFile: nil,
                environment:
                    base.merging(["AUTHD_LDAP_ADDR": "127.0.0.1:3389", "AUTHD_LDAP_BASE_DN": "dc=Example, dc=com"]) {
                        $1
                    }
            ).ldap)
        #expect(on.server.port == 3389 && on.responder.stack == "ldap" && !on.policy.anonymousReadsAll)
        #expect(on.responder.directory.domain == "example.com")
        for (key, value) in [
            ("AUTHD_LDAP_BASE_DN", "not a dn"), ("AUTHD_LDAP_SIZE_LIMIT", "0"), ("AUTHD_LDAP_SERVICE", "../x"),
            ("AUTHD_LDAP_UID_NUMBER_BASE", "1"), ("AUTHD_LDAP_LOGIN_SHELL", "bash"),
        ] {
            await #expect(throws: (any Error).self, "\(key)") {
                try await Settings.load(
                    configFile: nil,
                    environment: base.merging(["AUTHD_LDAP_ADDR": "127.0.0.1:3389", key: value]) { $1 })
            }
        }
    }
}
