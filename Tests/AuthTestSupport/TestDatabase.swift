public import AuthCore
public import AuthCrypto
public import AuthMemory
public import AuthPostgres
public import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The PostgreSQL that `make test` starts (scripts/with-postgres.sh), reached through
/// AUTHD_TEST_DATABASE_URL. Each test process works in databases of its own, created here.
public enum TestDatabase {
    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String {
            "AUTHD_TEST_DATABASE_URL is not set: run the tests with `make test`"
        }
    }

    /// The server's connection string (key=value form, as scripts/with-postgres.sh exports it).
    public static func serverURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["AUTHD_TEST_DATABASE_URL"], !url.isEmpty else {
            throw NotConfigured()
        }
        return url
    }

    /// `sql/` of this checkout.
    public static let migrationsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("sql").path

    private static let shared = Task { () throws -> String in try freshMigratedURL() }

    /// A migrated database shared by the tests of this process; tests use unique names in it.
    public static func migratedURL() async throws -> String {
        try await shared.value
    }

    /// A new migrated database for tests that reason about the whole table (admin counts, listings).
    public static func freshMigratedURL() throws -> String {
        let url = try createDatabase()
        let migrator = Migrator(migrations: try Migrator.load(directory: migrationsDirectory), logger: logger)
        try migrator.migrate(on: PostgresConnection(connectionString: url))
        return url
    }

    /// A new empty database; returns its connection string.
    public static func createDatabase() throws -> String {
        let server = try serverURL()
        let name =
            "authd_test_"
            + Base64.url.encode(try SecureRandom.bytes(9)).lowercased()
            .map { $0.isLetter || $0.isNumber ? String($0) : "x" }.joined()
        // The name is generated from [a-z0-9x] above; no input reaches this statement.
        try PostgresConnection(connectionString: server).executeScript("CREATE DATABASE \(name)")
        return server + " dbname=\(name)"
    }

    public static let logger = Logger(label: "authd-tests")

    /// A unique name for this test's users.
    public static func uniqueName(_ prefix: String = "u") -> String {
        prefix
            + Base64.url.encode((try? SecureRandom.bytes(6)) ?? [])
            .map { $0.isLetter || $0.isNumber ? String($0) : "0" }.joined().lowercased()
    }
}

/// An AuthService on the test database with cheap scrypt parameters and a fixed test key.
public struct TestStack: Sendable {
    /// Where the stores keep their rows: the test PostgreSQL, or memory (`MemoryDatabase`, which
    /// the store contract suite holds to the same answers).
    public enum Backing: Sendable, CaseIterable, CustomStringConvertible {
        case postgres, memory

        public var description: String { self == .postgres ? "PostgreSQL" : "memory" }
    }

    /// The stores on the test database; nil in memory.
    public let postgres: PostgresStores?
    public let memory: MemoryDatabase?
    /// Built as authd builds it.
    public let assembly: AuthAssembly
    public var service: AuthService { assembly.auth }
    public var admin: AdminService { assembly.admin }
    public var portal: PortalService { assembly.portal }
    public var secondFactor: SecondFactor? { assembly.secondFactor }
    public let codec: AccessTokenCodec

    /// Cheap enough for hundreds of hashes per test run; the default cost is tested separately.
    public static let testScrypt = ScryptParameters(logN: 10, r: 8, p: 1)
    public static let secret = Array("authd-test-secret-0123456789-abcdefghijklmnop".utf8)
    public static let mfaKey = Array("authd-test-mfa-key-9876543210-zyxwvutsrqponm".utf8)

    /// Signs the ID tokens of every test stack (made once: RSA key generation takes a while).
    public static let idTokenKey = Result { try SigningKey.generate(.rs256) }

    public static func testCodec(secret: [UInt8] = secret) throws -> AccessTokenCodec {
        AccessTokenCodec(
            keyring: try JWTKeyring(
                signingKey: JWTKey(id: "test-key", secret: secret), idTokenKey: try idTokenKey.get()),
            validation: .init(issuer: "authd-test", audience: "authd-test-clients"))
    }

    /// The PostgreSQL pool of a stack on the test database (a test in memory has none to ask for).
    public var pool: PostgresPool { postgres!.pool }
    public var hashing: HashingPool { assembly.hashing }
    public var stores: Stores { assembly.stores }
    public var users: any UserStore { stores.users }
    public var lockouts: any LockoutStore { stores.lockouts }
    public var directory: any DirectoryStore { stores.directory }
    /// Loaded once at start (no listener): changes made through this stack apply to it at once.
    public var revocations: RevocationState { assembly.revocations }
    public var sessions: any SessionStore { stores.sessions }
    public var mfa: any MFAStore { stores.mfa }
    public var clients: any ClientStore { stores.clients }

    /// The defaults' access token lifetime and leeway.
    public static let retention = RetentionPolicy(accessTokenLifetime: 900, leeway: 30)

    public init(
        backing: Backing = .postgres, scrypt: ScryptParameters = testScrypt,
        hashing: HashingPool.Configuration = .init(),
        clock: @escaping @Sendable () -> Int64 = UnixTime.now, stacks: AuthService.StackSource = .passwordOnly,
        configuration: AuthService.Configuration = .init(), databaseURL: String? = nil, secondFactor: Bool = true,
        codec: AccessTokenCodec? = nil, importedFloor: ImportedHashFloor = .init(), portal: PortalPolicy = .init(),
        time: TestClock? = nil, mail: (any AccountMail)? = nil,
        passwordReset: PasswordResetService.Configuration = .init(),
        emailVerification: EmailVerificationService.Configuration = .init(),
        signInByMail: SignInByMailService.Configuration? = nil, dpop: DPoPPolicy = .init()
    ) async throws {
        precondition(time == nil || backing == .memory, "a TestClock moves the in-memory database's time only")
        let clock: @Sendable () -> Int64 = if let time { { time.now } } else { clock }
        let stores: Stores
        switch backing {
        case .postgres:
            var url = databaseURL ?? ""
            if databaseURL == nil { url = try await TestDatabase.migratedURL() }
            // A connect counts against the pool timeout, and the suite's parallel CREATE DATABASEs
            // can hold one up for seconds; the pool-timeout tests build pools of their own.
            let postgres = PostgresStores(
                pool: .init(connectionString: url, maxConnections: 4, acquireTimeout: .seconds(20)),
                retention: Self.retention, logger: TestDatabase.logger)
            (self.postgres, memory, stores) = (postgres, nil, postgres.stores)
        case .memory:
            let milliseconds: @Sendable () -> Int64 =
                if let time { { time.nowMilliseconds } } else { MemoryDatabase.milliseconds }
            let memory = MemoryDatabase(retention: Self.retention, clock: milliseconds)
            (postgres, self.memory, stores) = (nil, memory, memory.stores)
        }
        let codec = try codec ?? Self.testCodec()
        self.codec = codec
        do {
            assembly = try await AuthAssembly(
                stores: stores,
                configuration: .init(
                    passwords: .init(
                        scrypt: scrypt, importedFloor: importedFloor, hashing: hashing,
                        policy: configuration.passwordPolicy.with(commonPasswords: Self.commonPasswords)),
                    auth: configuration, tokens: codec,
                    secondFactor: secondFactor ? .init(keyring: try SealingKeyring(current: Self.mfaKey)) : nil,
                    stacks: stacks, portal: portal, mail: mail, passwordReset: passwordReset,
                    emailVerification: emailVerification, signInByMail: signInByMail, dpop: dpop),
                clock: clock, logger: TestDatabase.logger)
        } catch {
            await postgres?.close()
            throw error
        }
        // An unreachable database leaves the state unloaded: verification then fails closed.
        if let postgres { try? await postgres.pool.loadRevocations(into: assembly.revocations) }
        memory?.loadRevocations(into: assembly.revocations)
    }

    /// A database that is not there: nothing listens on port 1.
    public static let unreachableDatabase = "host=127.0.0.1 port=1 dbname=x connect_timeout=2"

    /// A stack source with one stack, `service`, from `text`.
    public static func stack(_ service: String, _ text: String) -> AuthService.StackSource {
        stacks([service: text])
    }

    /// A stack source with a stack for each service, from its text.
    public static func stacks(_ texts: [String: String]) -> AuthService.StackSource {
        .files(texts.reduce(into: [:]) { files, stack in files[stack.key] = ("stacks/\(stack.key)", stack.value) })
    }

    public func shutdown() async {
        await assembly.close()
        await postgres?.close()
    }
}

extension PasswordPolicy {
    fileprivate func with(commonPasswords: CommonPasswords) -> PasswordPolicy {
        var policy = self
        policy.commonPasswords = commonPasswords
        return policy
    }
}

extension TestStack {
    /// The list authd ships, read from the checkout as the daemon reads it from its working directory.
    public static let commonPasswords = CommonPasswords(
        list: try! String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../data/common-passwords.txt"),
            encoding: .utf8))

    /// "ok", or the AuthError code `call` failed with (any other error as it prints).
    public static func outcome<T>(_ call: @Sendable () async throws -> T) async -> String {
        do {
            _ = try await call()
            return "ok"
        } catch {
            return (error as? AuthError)?.code.name ?? "\(error)"
        }
    }

    /// The actor of changes tests make directly through AdminService.
    public static let testOperator = Actor.localOperator("test")
    public static let password = "long enough pw"

    /// A new account holding `roles`, and a fresh access token for it.
    public func account(roles: [String] = [Role.user]) async throws -> (user: User, token: String) {
        let name = TestDatabase.uniqueName()
        let user = try await admin.createUser(
            username: name, email: "\(name)@example.com", password: Self.password, roles: roles, by: Self.testOperator)
        return (user, try await service.login(username: name, password: Self.password).accessToken)
    }
}

extension TestStack {
    /// RFC 7636 Appendix B's verifier and its S256 challenge.
    public static let pkceVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    public static let pkceChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    /// A user's token issued to `client` through the code flow (the request checked, a code
    /// issued as the portal issues it, exchanged): a delegated token with `scope`.
    public func delegatedToken(for user: User, client: OAuthClient, scope: String) async throws -> String {
        let redirect = client.redirectURIs.first ?? ""
        let request = try AuthorizationRules.check(
            AuthorizationParameters(
                responseType: "code", clientID: client.id, redirectURI: redirect, scope: scope,
                codeChallenge: Self.pkceChallenge, codeChallengeMethod: "S256"),
            client: client, configuredScopes: Set(client.scopes)
        ).get()
        let code = try await service.oauth.issueCode(
            for: request, user: user, authTime: UnixTime.now(), methods: ["pwd"])
        return try await service.oauth.exchange(
            code: code, redirectURI: redirect, codeVerifier: Self.pkceVerifier, for: client
        ).tokens.accessToken
    }
}

extension LoginOutcome {
    public struct SecondFactorRequired: Error {}

    /// The session of a login that needed no second factor.
    public var tokens: SessionTokens {
        get throws {
            guard case .session(let tokens) = self else { throw SecondFactorRequired() }
            return tokens
        }
    }

    public var accessToken: String {
        get throws { try tokens.accessToken }
    }
}
