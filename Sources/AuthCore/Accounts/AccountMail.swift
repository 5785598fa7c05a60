/// The mail the account lifecycle sends, written by the mail module (templates, sender, links)
/// as outbox messages; AuthCore only says who gets which message with what.
public protocol AccountMail: Sendable {
    /// The message with a password reset token, valid for `lifetime` seconds.
    func passwordReset(to user: User, token: String, lifetime: Int64) throws -> OutboxMessage
    /// The notice that the password was reset.
    func passwordChanged(to user: User) throws -> OutboxMessage
    /// The link (with `token`) and the short `code` that verify the account's address, valid for
    /// `lifetime` seconds.
    func emailVerification(to user: User, token: String, code: String, lifetime: Int64) throws -> OutboxMessage
    /// The notice to `previous` that the account's address is now `user.email`.
    func emailChanged(to previous: String, user: User) throws -> OutboxMessage
    /// The invitation to `email` with its link's `token`, valid for `lifetime` seconds.
    func invitation(to email: String, token: String, lifetime: Int64) throws -> OutboxMessage
}

/// Single-use tokens sent by mail, kept as their SHA-256 only.
public protocol AccountTokenStore: Sendable {
    /// Finds the enabled account `login` names (a username in any case, else an e-mail address
    /// exactly) and, unless it already had `limit` reset tokens issued within `window` seconds,
    /// stores a new one (`tokenHash`, valid `lifetime` seconds) with the messages `mail` makes for
    /// the account, in one transaction. The account, or nil when there is none or it is over the limit.
    func issueReset(
        login: String, tokenHash: String, lifetime: Int64, limit: Int, window: Int64,
        mail: @escaping @Sendable (User) throws -> [OutboxMessage]
    ) async throws -> User?
    /// Uses the reset token `tokenHash` (unused, unexpired, its account enabled): stores `newHash`
    /// as the password, ends every session and cuts off every token of the account, forgets its
    /// other reset tokens and adds what `mail` makes, in one transaction. The account, or nil when
    /// the token is not valid (nothing changed then).
    func redeemReset(
        tokenHash: String, newHash: String, mail: @escaping @Sendable (User) throws -> [OutboxMessage]
    ) async throws -> Changed<User?>

    /// Finds the account `username` names while its address is still `email`; unless its address
    /// is verified already or it had `limit` verification tokens issued within `window` seconds,
    /// expires its unused ones and adds a new one (`tokenHash`, `codeHash`, for `email`, valid
    /// `lifetime` seconds). Adds what `mail` makes for the account (told whether a token was
    /// issued), in the same transaction. The account, or nil when no account has that name and address.
    func issueVerification(
        username: String, email: String, tokenHash: String, codeHash: String, lifetime: Int64, limit: Int,
        window: Int64, mail: @escaping @Sendable (User, _ issued: Bool) throws -> [OutboxMessage]
    ) async throws -> User?
    /// Uses the verification token `tokenHash` (unexpired, for the account's current address, the
    /// account enabled) and marks the address verified. The account; also when the token was used
    /// already and the address stayed verified (a link opened twice); nil otherwise.
    func redeemVerification(tokenHash: String) async throws -> User?
    /// Checks `codeHash` against the account's newest live verification code: a match verifies the
    /// address; a miss counts a try, and after `maxAttempts` misses the code is void.
    func redeemVerificationCode(userID: Int64, codeHash: String, maxAttempts: Int) async throws
        -> VerificationCodeOutcome
}

/// What typing a verification code did.
public enum VerificationCodeOutcome: Sendable, Equatable {
    case verified(User)
    case wrong
    /// No code to check: none sent, expired, used, void after too many misses, or sent to an
    /// address the account no longer has.
    case noCode
}
