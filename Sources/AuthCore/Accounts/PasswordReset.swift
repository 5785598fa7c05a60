import AuthCrypto
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Password reset by mail. `POST /password/forgot` does the same work whatever it is asked for:
/// it queues the request in the outbox, and `PasswordResetRequests` resolves it there, so neither
/// its answer nor its time tells whether an account exists. The token (32 random bytes) goes to
/// the account's address; only its hash is stored; it is single-use and short-lived, and using it
/// ends every session of the account and tells its owner by mail.
public struct PasswordResetService: Sendable {
    public struct Configuration: Sendable {
        /// Seconds a reset token is valid.
        public var tokenLifetime: Int64
        /// Reset tokens an account can be sent within `accountWindow` seconds; more requests are dropped.
        public var perAccount: Int
        public var accountWindow: Int64
        /// Requests and resets per client address (token bucket, per instance).
        public var perAddress: RateLimiter.Configuration?

        public init(
            tokenLifetime: Int64 = 1800, perAccount: Int = 3, accountWindow: Int64 = 3600,
            perAddress: RateLimiter.Configuration? = .init(burst: 5, perSecond: 0.05)
        ) {
            self.tokenLifetime = tokenLifetime
            self.perAccount = perAccount
            self.accountWindow = accountWindow
            self.perAddress = perAddress
        }
    }

    let configuration: Configuration
    let outbox: any OutboxStore
    let tokens: any AccountTokenStore
    let mail: any AccountMail
    let policy: PasswordPolicy
    let dependencies: AuthDependencies
    let addresses: RateLimiter?
    let grouping: AddressGrouping

    public init(
        configuration: Configuration, outbox: any OutboxStore, tokens: any AccountTokenStore, mail: any AccountMail,
        policy: PasswordPolicy, grouping: AddressGrouping = .init(), dependencies: AuthDependencies
    ) {
        self.configuration = configuration
        self.outbox = outbox
        self.tokens = tokens
        self.mail = mail
        self.policy = policy
        self.grouping = grouping
        self.dependencies = dependencies
        addresses = configuration.perAddress.map { RateLimiter(configuration: $0) }
    }

    /// What the outbox keeps of a request.
    struct Request: Codable {
        var login: String
    }

    static let tooMany = AuthError(.rateLimited, "too many password reset requests from this address, retry later")

    /// Queues a reset for whichever account `login` (a username or an e-mail address) names. The
    /// same answer, and the same work, for every login.
    public func requestReset(login requested: String, source: String?) async throws {
        let login = try Identity.validLogin(requested)
        try addresses?.spend(source, grouping: grouping, or: Self.tooMany)
        let payload = String(decoding: try JSONEncoder().encode(Request(login: login)), as: UTF8.self)
        try await outbox.enqueue([OutboxMessage(kind: .passwordResetRequest, payload: payload)])
    }

    /// Sets `newPassword` with the reset token `token`; ends every session of the account.
    public func reset(token: String, newPassword: String, source: String?) async throws {
        try addresses?.spend(source, grouping: grouping, or: Self.tooMany)
        let invalid = AuthError(.invalidResetToken, "the reset token is unknown, used or expired")
        guard Identity.isBase64URL(token, lengths: 43...43) else { throw invalid }
        try await policy.validate(newPassword)
        let hasher = dependencies.hasher
        let newHash = try await dependencies.hashing.run { try hasher.hash(Array(newPassword.utf8)) }
        let mail = self.mail
        let redeemed = try await tokens.redeemReset(
            tokenHash: try Digest.sha256Hex(Array(token.utf8)), newHash: newHash
        ) { user in [try mail.passwordChanged(to: user)] }
        dependencies.revocations.apply(redeemed.revocations)
        guard let user = redeemed.value else { throw invalid }
        dependencies.logger.notice("password reset", metadata: ["user_id": "\(user.id)"])
    }

    /// The outbox's handler for `POST /password/forgot`'s requests.
    public var requests: PasswordResetRequests { PasswordResetRequests(service: self) }
}

/// Resolves a queued reset request: an account that exists, is enabled and is under its limit gets
/// a new token by mail; any other request ends here, silently.
public struct PasswordResetRequests: OutboxHandler {
    let service: PasswordResetService

    public func deliver(_ item: OutboxItem) async -> OutboxOutcome {
        guard
            let login = try? JSONDecoder().decode(
                PasswordResetService.Request.self, from: Data(item.message.payload.utf8)
            ).login
        else { return .permanent("unreadable password reset request") }
        let configuration = service.configuration
        let mail = service.mail
        do {
            let token = Base64.url.encode(try SecureRandom.bytes(32))
            let user = try await service.tokens.issueReset(
                login: login, tokenHash: try Digest.sha256Hex(Array(token.utf8)), lifetime: configuration.tokenLifetime,
                limit: configuration.perAccount, window: configuration.accountWindow
            ) { user in [try mail.passwordReset(to: user, token: token, lifetime: configuration.tokenLifetime)] }
            if let user {
                service.dependencies.logger.info("password reset mail queued", metadata: ["user_id": "\(user.id)"])
            }
            return .delivered
        } catch {
            return .temporary("password reset request: \(error)")
        }
    }
}
