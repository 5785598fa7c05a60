import AuthCrypto

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
    /// The sign-in link (with `token`, and `continuation`, the portal's query for the sign-in it
    /// continues, when there is one) and the short `code`, valid for `lifetime` seconds.
    func signIn(to user: User, token: String, code: String, lifetime: Int64, continuation: String?) throws
        -> OutboxMessage
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

    /// Finds the enabled account `login` names (as `issueReset` does) and, unless it had `limit`
    /// sign-in tokens issued within `window` seconds, expires its unused ones and stores a new one
    /// (`tokenHash`, `codeHash`, for its address, valid `lifetime` seconds) with the messages
    /// `mail` makes, in one transaction. The account, or nil when there is none or it is over the limit.
    func issueSignIn(
        login: String, tokenHash: String, codeHash: String, lifetime: Int64, limit: Int, window: Int64,
        mail: @escaping @Sendable (User) throws -> [OutboxMessage]
    ) async throws -> User?
    /// The username of the enabled account `login` names (a username in any case, else an e-mail
    /// address exactly), as `issueSignIn` finds it.
    func username(login: String) async throws -> String?
    /// The username of the account the live sign-in link token `tokenHash` was sent to; nothing is used.
    func username(signInToken tokenHash: String) async throws -> String?
    /// Uses the account's newest live sign-in token (unused, unexpired, sent to the address the
    /// account still has) when `proofHash` is its link token's hash or its code's; a miss counts a
    /// try, and after `maxAttempts` misses the token is void. A use marks the account's address
    /// verified (the link or code reached it). Whether it was used.
    func redeemSignIn(userID: Int64, proofHash: String, maxAttempts: Int) async throws -> Bool
}

/// What typing a verification code did.
public enum VerificationCodeOutcome: Sendable, Equatable {
    case verified(User)
    case wrong
    /// No code to check: none sent, expired, used, void after too many misses, or sent to an
    /// address the account no longer has.
    case noCode
}

/// The six-digit codes mailed beside a link (address verification, sign-in by mail), for people who
/// read the message on another device. Only `hash` is stored.
public enum MailedCode {
    /// Six decimal digits, uniformly drawn.
    public static func new() throws -> String {
        while true {
            let value = try SecureRandom.bytes(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            // 4,294,000,000 is the largest multiple of 10⁶ below 2³²: no digit is likelier.
            guard value < 4_294_000_000 else { continue }
            let digits = String(value % 1_000_000)
            return String(repeating: "0", count: 6 - digits.count) + digits
        }
    }

    /// The stored form of a code.
    public static func hash(_ code: String) throws -> String {
        try Digest.sha256Hex(Array("authd e-mail code\n\(code)".utf8))
    }

    /// The stored form of what someone typed, spaces and dashes ignored; nil when it is not six digits.
    public static func hash(of typed: String) throws -> String? {
        let digits = typed.filter { $0 != " " && $0 != "-" }
        guard digits.utf8.count == 6, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return try hash(digits)
    }
}
