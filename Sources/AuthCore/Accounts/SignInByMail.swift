import AuthCrypto
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Sign-in by mail, off unless the operator turns it on: a link (32 random bytes) and a six-digit
/// code sent to the account's address stand in for the password. Asking works as `POST
/// /password/forgot` does: the request is queued in the outbox and resolved there, so neither its
/// answer nor its time tells whether an account exists. Using the link or the code runs the `email`
/// stack, whose `mailcode` module checks it, so lockouts, `active`, roles and the second factor
/// apply as to a password.
public struct SignInByMailService: Sendable {
    public struct Configuration: Sendable {
        /// Seconds a link and its code are valid.
        public var tokenLifetime: Int64
        /// Sign-in mails an account can be sent within `accountWindow` seconds; more requests are dropped.
        public var perAccount: Int
        public var accountWindow: Int64
        /// Requests and links per client address (token bucket, per instance).
        public var perAddress: RateLimiter.Configuration?

        public init(
            tokenLifetime: Int64 = 900, perAccount: Int = 5, accountWindow: Int64 = 3600,
            perAddress: RateLimiter.Configuration? = .init(burst: 5, perSecond: 0.05)
        ) {
            self.tokenLifetime = tokenLifetime
            self.perAccount = perAccount
            self.accountWindow = accountWindow
            self.perAddress = perAddress
        }
    }

    /// The stack a mailed link or code is checked by.
    public static let service = "email"
    /// Wrong links or codes before an account's sign-in token is void.
    public static let attempts = 5

    let configuration: Configuration
    let outbox: any OutboxStore
    let store: any AccountTokenStore
    let mail: any AccountMail
    let auth: AuthService
    let addresses: RateLimiter?
    let grouping: AddressGrouping

    public init(
        configuration: Configuration, outbox: any OutboxStore, store: any AccountTokenStore, mail: any AccountMail,
        auth: AuthService, grouping: AddressGrouping = .init()
    ) {
        self.configuration = configuration
        self.outbox = outbox
        self.store = store
        self.mail = mail
        self.auth = auth
        self.grouping = grouping
        addresses = configuration.perAddress.map { RateLimiter(configuration: $0) }
    }

    /// What the outbox keeps of a request: the login, and the portal's query for the sign-in the
    /// link continues.
    struct Request: Codable {
        var login: String
        var continuation: String?
    }

    static let tooMany = AuthError(.rateLimited, "too many sign-in requests from this address, retry later")
    static let refused = AuthError(.invalidCredentials, "the sign-in link or code is wrong, used or expired")

    /// Queues a link and a code for whichever account `login` (a username or an e-mail address)
    /// names. The same answer, and the same work, for every login.
    public func requestLink(login requested: String, continuation: String? = nil, source: String?) async throws {
        let login = try Identity.validLogin(requested)
        try addresses?.spend(source, grouping: grouping, or: Self.tooMany)
        let request = Request(login: login, continuation: continuation)
        let payload = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        try await outbox.enqueue([OutboxMessage(kind: .signInRequest, payload: payload)])
    }

    /// Signs in with the mailed link's `token`.
    public func signIn(token: String, source: String?, userAgent: String?) async throws -> LoginOutcome {
        try addresses?.spend(source, grouping: grouping, or: Self.tooMany)
        guard Identity.isBase64URL(token, lengths: 43...43),
            let username = try await store.username(signInToken: try Digest.sha256Hex(Array(token.utf8)))
        else { throw Self.refused }
        return try await login(username: username, proof: token, source: source, userAgent: userAgent)
    }

    /// Signs in with the mailed code, for the account `login` names.
    public func signIn(login requested: String, code: String, source: String?, userAgent: String?) async throws
        -> LoginOutcome
    {
        let login = try Identity.validLogin(requested)
        let username = try await store.username(login: login) ?? login
        return try await self.login(username: username, proof: code, source: source, userAgent: userAgent)
    }

    /// The outbox's handler for sign-in requests.
    public var requests: SignInRequests { SignInRequests(service: self) }

    // MARK: Helpers

    private func login(username: String, proof: String, source: String?, userAgent: String?) async throws
        -> LoginOutcome
    {
        do {
            return try await auth.login(
                service: Self.service, username: username, password: proof, source: source, userAgent: userAgent)
        } catch let error as AuthError where error.code == .invalidCredentials {
            throw Self.refused
        }
    }

    /// What is stored of a link token or a code as typed; nil when it is neither.
    static func proofHash(_ proof: String) -> String? {
        if Identity.isBase64URL(proof, lengths: 43...43) { return try? Digest.sha256Hex(Array(proof.utf8)) }
        return (try? MailedCode.hash(of: proof)) ?? nil
    }
}

/// Resolves a queued sign-in request: an enabled account under its limit gets a new link and code
/// by mail; any other request ends here, silently.
public struct SignInRequests: OutboxHandler {
    let service: SignInByMailService

    public func deliver(_ item: OutboxItem) async -> OutboxOutcome {
        guard
            let request = try? JSONDecoder().decode(
                SignInByMailService.Request.self, from: Data(item.message.payload.utf8))
        else { return .permanent("unreadable sign-in request") }
        let configuration = service.configuration
        let mail = service.mail
        do {
            let token = Base64.url.encode(try SecureRandom.bytes(32))
            let code = try MailedCode.new()
            let user = try await service.store.issueSignIn(
                login: request.login, tokenHash: try Digest.sha256Hex(Array(token.utf8)),
                codeHash: try MailedCode.hash(code), lifetime: configuration.tokenLifetime,
                limit: configuration.perAccount, window: configuration.accountWindow
            ) { user in
                [
                    try mail.signIn(
                        to: user, token: token, code: code, lifetime: configuration.tokenLifetime,
                        continuation: request.continuation)
                ]
            }
            if let user {
                service.auth.logger.info("sign-in mail queued", metadata: ["user_id": "\(user.id)"])
            }
            return .delivered
        } catch {
            return .temporary("sign-in request: \(error)")
        }
    }
}

/// `mailcode`: the password is a link token or a code sent by mail for signing in
/// (`SignInByMailService`), checked against the account's newest one, which it uses; the address
/// it reached is then verified. Fails when sign-in by mail is off.
struct MailCodeModule: StackModule {
    let environment: StackEnvironment

    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult {
        let user = try await environment.loadUser(&attempt)
        guard let store = environment.signInTokens else {
            return .failure(kind: "cred_insufficient", reason: "sign-in by mail is off")
        }
        guard let user else { return .failure(kind: "user_unknown", reason: "no such user") }
        let refused = ModuleResult.failure(kind: "auth_err", reason: "wrong, used or expired sign-in link or code")
        // Hashed apart from the await: a throwing call among the async ones here crashed the
        // optimizer's coroutine splitting (Swift 6.3.1, release builds).
        guard let proof = SignInByMailService.proofHash(attempt.password) else { return refused }
        let used = try await store.redeemSignIn(
            userID: user.id, proofHash: proof, maxAttempts: SignInByMailService.attempts)
        guard used else { return refused }
        attempt.user?.emailVerified = true
        return .success
    }
}
