import AuthCore
import AuthCrypto
import AuthMemory
import Logging
import Testing

/// In-memory accounts: module argument parsing needs no database.
struct NoUsers: UserStore {
    func create(_ user: NewUser) async throws -> User { throw AuthError(.unavailable, "read-only") }
    func find(username: String) async throws -> User? { nil }
    func find(id: Int64) async throws -> User? { nil }
    func replacePasswordHash(userID: Int64, old: String, new: String) async throws -> Bool { false }
    func taken(username: String, email: String) async throws -> (username: Bool, email: Bool) { (false, false) }
}

/// Stack files are parsed without any session being touched: every call is refused.
struct NoSessions: SessionStore {
    static let refused = AuthError(.unavailable, "no sessions in this test")
    func create(_ session: NewSession, passwordHash: String) async throws -> User? { throw Self.refused }
    func owner(ofRefreshTokenHash hash: String) async throws -> RefreshTokenOwner? { throw Self.refused }
    func rotate(sessionID: String, from old: String, to new: String, gracePair: [UInt8]) async throws -> Bool {
        throw Self.refused
    }
    func stale(
        sessionID: String, presented hash: String, decide: @escaping @Sendable (RefreshState) -> RefreshDecision
    ) async throws -> Changed<StaleRefresh> { throw Self.refused }
    func sessions(of userID: Int64) async throws -> [Session] { throw Self.refused }
    func revoke(sessionID: String, of userID: Int64, tokenID: String?) async throws -> Changed<Bool> {
        throw Self.refused
    }
    func revokeAll(of userID: Int64) async throws -> Changed<Void> { throw Self.refused }
    func changePassword(userID: Int64, old: String, new: String, keeping sessionID: String?) async throws
        -> Changed<Bool>
    { throw Self.refused }
}

/// No clients: every call is refused.
struct NoClients: ClientStore {
    func clients() async throws -> [OAuthClient] { throw NoSessions.refused }
    func client(id: String) async throws -> OAuthClient? { throw NoSessions.refused }
    func credential(id: String) async throws -> ClientCredential? { throw NoSessions.refused }
    func create(_ client: NewClient, secretHash: String?, by actor: Actor) async throws -> OAuthClient {
        throw NoSessions.refused
    }
    func update(clientID: String, _ change: ClientChange, by actor: Actor) async throws -> Changed<OAuthClient> {
        throw NoSessions.refused
    }
    func delete(clientID: String, by actor: Actor) async throws -> Changed<Void> { throw NoSessions.refused }
    func setSecret(clientID: String, hash: String, by actor: Actor) async throws -> Changed<Void> {
        throw NoSessions.refused
    }
    func revoke(tokenID: String, expiresAt: Int64) async throws -> Changed<Void> { throw NoSessions.refused }
    func createRegistrationToken(hash: String, expiresAt: Int64, uses: Int?, by actor: Actor) async throws {
        throw NoSessions.refused
    }
    func spendRegistrationToken(hash: String) async throws -> Bool { throw NoSessions.refused }
    func client(registrationHash: String) async throws -> OAuthClient? { throw NoSessions.refused }
}

struct NoCodes: AuthorizationCodeStore {
    func save(codeHash: String, grant: AuthorizationGrant, lifetime: Int64) async throws { throw NoSessions.refused }
    func redeem(codeHash: String, clientID: String) async throws -> CodeRedemption { throw NoSessions.refused }
    func attach(sessionID: String, toCodeHash codeHash: String) async throws -> Bool { throw NoSessions.refused }
    func saveDevice(
        codeHash: String, userCode: String, clientID: String, scopes: [String], lifetime: Int64, interval: Int64
    ) async throws -> Bool { throw NoSessions.refused }
    func deviceRequest(userCode: String) async throws -> DeviceRequest? { throw NoSessions.refused }
    func decideDevice(userCode: String, approval: DeviceApproval?) async throws -> Bool { throw NoSessions.refused }
    func pollDevice(codeHash: String, clientID: String) async throws -> DevicePoll { throw NoSessions.refused }
    func savePushed(uriHash: String, clientID: String, parameters: String, lifetime: Int64) async throws {
        throw NoSessions.refused
    }
    func takePushed(uriHash: String, clientID: String) async throws -> String? { throw NoSessions.refused }
}

struct NoLockouts: LockoutStore {
    func counter(username: String, source: String) async throws -> (counter: LockoutPolicy.Counter?, now: Int64) {
        (nil, 0)
    }
    func update(
        username: String, source: String,
        _ change: @escaping @Sendable (LockoutPolicy.Counter?, Int64) -> LockoutPolicy.Counter
    ) async throws -> LockoutPolicy.Counter { change(nil, 0) }
    func reset(username: String, source: String) async throws {}
    func unlock(username: String, by actor: Actor) async throws {}
}

@Suite("built-in module arguments")
struct ModuleArgumentTests {
    func load(_ line: String) throws {
        let codec = AccessTokenCodec(
            keyring: try JWTKeyring(signingKey: JWTKey(id: "k", secret: Array(repeating: 7, count: 32))),
            validation: .init(issuer: "i", audience: "a"))
        let dependencies = AuthDependencies(
            users: NoUsers(), sessions: NoSessions(), clients: NoClients(), codes: NoCodes(), lockouts: NoLockouts(),
            directory: MemoryDatabase(retention: .init(accessTokenLifetime: 900, leeway: 30)), hashing: HashingPool(),
            hasher: try PasswordHasher(parameters: .init(logN: 4, r: 1, p: 1)), revocations: RevocationState(),
            logger: Logger(label: "t"))
        _ = try AuthService(
            configuration: .init(), dependencies: dependencies, tokens: codec,
            stacks: .files(["s": (file: "stacks/s", text: "# header\n" + line)]))
    }

    @Test(
        "valid lines load",
        arguments: [
            "auth required password", "auth required active", "auth required lockout",
            "auth required lockout attempts=3 window=90 lock=2h by=account", "account required role any=a,b all=c",
            "auth optional totp if=always", "account required time hours=8-18 days=mon-fri tz=Europe/Berlin",
            "auth requisite source cidr=10.0.0.0/8,::1/128,192.168.1.7", "auth sufficient permit", "auth required deny",
            "account required verified",
        ])
    func valid(_ line: String) throws {
        try load(line)
    }

    @Test(
        "bad arguments name file and line",
        arguments: [
            ("auth required password strength=9", "stacks/s:2: unknown argument 'strength'"),
            ("auth required lockout attempts=0", "stacks/s:2: attempts= must be 1 to 1000"),
            ("auth required lockout window=soon", "stacks/s:2: window= must be a duration such as 30s, 15m or 2h"),
            ("auth required lockout by=ip", "stacks/s:2: by= must be account or account+source"),
            ("account required role", "stacks/s:2: role needs any= or all="),
            ("account required verified strict=1", "stacks/s:2: unknown argument 'strict'"),
            ("auth required totp if=sometimes", "stacks/s:2: if= must be enrolled or always"),
            ("account required time hours=18-8", "stacks/s:2: hours= must be START-END, 0 to 24, START before END"),
            ("account required time days=fri-mon", "stacks/s:2: days= must be a day or a range such as mon-fri"),
            ("account required time tz=Mars/Olympus", "stacks/s:2: unknown time zone 'Mars/Olympus'"),
            ("auth required source", "stacks/s:2: source needs cidr="),
            ("auth required source cidr=10.0.0.0/33", "stacks/s:2: bad network '10.0.0.0/33' in cidr="),
            ("auth required source cidr=example.com", "stacks/s:2: bad network 'example.com' in cidr="),
        ])
    func invalid(_ line: String, _ message: String) {
        #expect {
            try load(line)
        } throws: { error in
            (error as? StackConfigError)?.message == message
        }
    }
}
