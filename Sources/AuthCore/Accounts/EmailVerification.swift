import AuthCrypto
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// E-mail verification. A registration, an account an administrator creates and every change of
/// address write a verification request to the outbox in their own transaction;
/// `EmailVerificationRequests` resolves it there: a link token (32 random bytes) and a six-digit
/// code go to the address, and a changed address's old one is told. The link verifies on its own;
/// the code needs the account's access token and allows a few tries. Only hashes are stored, and a
/// token or code is good only while the account still has the address it was sent to.
public struct EmailVerificationService: Sendable {
    public struct Configuration: Sendable {
        /// Seconds a link and its code are valid.
        public var tokenLifetime: Int64
        /// Verification mails an account can be sent within `accountWindow` seconds.
        public var perAccount: Int
        public var accountWindow: Int64
        /// Wrong codes before a code is void.
        public var codeAttempts: Int
        /// Links tried per client address (token bucket, per instance).
        public var perAddress: RateLimiter.Configuration?

        public init(
            tokenLifetime: Int64 = 48 * 3600, perAccount: Int = 5, accountWindow: Int64 = 3600, codeAttempts: Int = 5,
            perAddress: RateLimiter.Configuration? = .init(burst: 10, perSecond: 0.1)
        ) {
            self.tokenLifetime = tokenLifetime
            self.perAccount = perAccount
            self.accountWindow = accountWindow
            self.codeAttempts = codeAttempts
            self.perAddress = perAddress
        }
    }

    let configuration: Configuration
    let outbox: any OutboxStore
    let store: any AccountTokenStore
    let mail: any AccountMail
    let tokens: TokenAuthority
    let dependencies: AuthDependencies
    let addresses: RateLimiter?
    let grouping: AddressGrouping

    public init(
        configuration: Configuration, outbox: any OutboxStore, store: any AccountTokenStore, mail: any AccountMail,
        tokens: TokenAuthority, grouping: AddressGrouping = .init(), dependencies: AuthDependencies
    ) {
        self.configuration = configuration
        self.outbox = outbox
        self.store = store
        self.mail = mail
        self.tokens = tokens
        self.grouping = grouping
        self.dependencies = dependencies
        addresses = configuration.perAddress.map { RateLimiter(configuration: $0) }
    }

    /// What the outbox keeps of a request: the account by name and the address to verify, and the
    /// address it replaced, which is told of the change.
    struct Request: Codable {
        var username: String
        var email: String
        var previous: String?
    }

    /// The outbox message asking to verify `email` for `username` (and to tell `previous`).
    public static func request(username: String, email: String, previous: String? = nil) -> OutboxMessage {
        let request = Request(username: username, email: email, previous: previous)
        let payload = (try? JSONEncoder().encode(request)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return OutboxMessage(kind: .emailVerificationRequest, payload: payload)
    }

    static let invalidToken = AuthError(
        .invalidVerificationToken, "the verification link is unknown, expired or for another address")
    static let tooMany = AuthError(.rateLimited, "too many verification attempts from this address, retry later")

    /// Verifies the address the link `token` was sent to.
    public func verify(token: String, source: String?) async throws -> UserProfile {
        try addresses?.spend(source, grouping: grouping, or: Self.tooMany)
        guard Identity.isBase64URL(token, lengths: 43...43),
            let user = try await store.redeemVerification(tokenHash: try Digest.sha256Hex(Array(token.utf8)))
        else { throw Self.invalidToken }
        dependencies.logger.notice("e-mail address verified", metadata: ["user_id": "\(user.id)"])
        return user.profile
    }

    /// Verifies the address of the access token's account with the code sent to it.
    public func verify(accessToken: String, code: String) async throws -> UserProfile {
        let user = try await currentUser(accessToken)
        guard !user.emailVerified else { return user.profile }
        let wrong = AuthError(.invalidCode, "wrong, expired or used-up verification code")
        guard let codeHash = try MailedCode.hash(of: code) else { throw wrong }
        switch try await store.redeemVerificationCode(
            userID: user.id, codeHash: codeHash, maxAttempts: configuration.codeAttempts)
        {
        case .verified(let user):
            dependencies.logger.notice("e-mail address verified", metadata: ["user_id": "\(user.id)"])
            return user.profile
        case .wrong, .noCode: throw wrong
        }
    }

    /// Sends the access token's account a new link and code, unless its address is verified
    /// (`conflict`). Within the per-account limit; beyond it the request is dropped quietly.
    public func resend(accessToken: String) async throws {
        let user = try await currentUser(accessToken)
        guard !user.emailVerified else { throw AuthError(.conflict, "the e-mail address is verified already") }
        try await outbox.enqueue([Self.request(username: user.username, email: user.email)])
    }

    /// The outbox's handler for verification requests.
    public var requests: EmailVerificationRequests { EmailVerificationRequests(service: self) }

    // MARK: Helpers

    private func currentUser(_ accessToken: String) async throws -> User {
        try await tokens.account(accessToken: accessToken, in: dependencies.users)
    }
}

/// Resolves a queued verification request: the account that still has the address gets a link and
/// a code there (unless it is verified already or over its limit), and the address it replaced a
/// notice; a request overtaken by a later change ends here, silently.
public struct EmailVerificationRequests: OutboxHandler {
    let service: EmailVerificationService

    public func deliver(_ item: OutboxItem) async -> OutboxOutcome {
        guard
            let request = try? JSONDecoder().decode(
                EmailVerificationService.Request.self, from: Data(item.message.payload.utf8))
        else { return .permanent("unreadable e-mail verification request") }
        let configuration = service.configuration
        let mail = service.mail
        do {
            let token = Base64.url.encode(try SecureRandom.bytes(32))
            let code = try MailedCode.new()
            let user = try await service.store.issueVerification(
                username: request.username, email: request.email, tokenHash: try Digest.sha256Hex(Array(token.utf8)),
                codeHash: try MailedCode.hash(code), lifetime: configuration.tokenLifetime,
                limit: configuration.perAccount, window: configuration.accountWindow
            ) { user, issued in
                var messages: [OutboxMessage] = []
                if issued {
                    messages.append(
                        try mail.emailVerification(
                            to: user, token: token, code: code, lifetime: configuration.tokenLifetime))
                }
                if let previous = request.previous, previous != user.email {
                    messages.append(try mail.emailChanged(to: previous, user: user))
                }
                return messages
            }
            if let user {
                service.dependencies.logger.info("e-mail verification queued", metadata: ["user_id": "\(user.id)"])
            }
            return .delivered
        } catch {
            return .temporary("e-mail verification request: \(error)")
        }
    }
}
