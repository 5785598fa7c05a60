/// How long a revocation stays in force, where a user-wide cut-off falls, and how long the
/// database keeps rows no instance needs. Decided here and carried out by the stores on the
/// database's clock, so every instance cuts off and prunes alike however their clocks drift.
/// Times are Unix seconds.
public struct RetentionPolicy: Hashable, Sendable {
    /// How long a revocation stays in force after it is made: the longest an access token lives
    /// plus the leeway verification allows. By then every token it covers has expired on its own.
    public var revocationLifetime: Int64
    /// Seconds of clock skew verification allows past a token's `exp`.
    public var leeway: Int64
    /// How long an expired revocation's row is kept before a prune deletes it, so an instance
    /// whose clock runs behind the database's still loads it while it matters there.
    public var expiredRevocationKept: Int64
    /// How long an ended or expired session's row (with its refresh token hashes) is kept, so an
    /// operator looking into how a session ended (reuse, idle, logout, an admin) still finds it.
    public var endedSessionKept: Int64
    /// How long an outbox message that was given up stays for an operator to read (its reason).
    public var givenUpMessageKept: Int64

    public init(
        accessTokenLifetime: Int64, leeway: Int64, expiredRevocationKept: Int64 = 3600,
        endedSessionKept: Int64 = 86400, givenUpMessageKept: Int64 = 604_800
    ) {
        revocationLifetime = accessTokenLifetime + leeway
        self.leeway = leeway
        self.expiredRevocationKept = expiredRevocationKept
        self.endedSessionKept = endedSessionKept
        self.givenUpMessageKept = givenUpMessageKept
    }

    /// The revocation of one session or one token, made at `now`.
    public func revocation(_ kind: Revocation.Kind, of subject: String, at now: Int64) -> Revocation {
        Revocation(kind: kind, subject: subject, expiresAt: now + revocationLifetime)
    }

    /// The first second a subject's tokens may be issued in after a cut-off made during `second`,
    /// given their current `notBefore`. Tokens carry whole seconds, so one issued earlier in the
    /// same second must fall before it: the next second. A token issued since the last cut-off
    /// carries that cut-off's second (tokens are issued no earlier than `notBefore`), so a second
    /// cut-off while the first is still ahead moves one second past it: it refuses that token too.
    /// A cut-off never moves back. Many cut-offs of one subject within a second push its new
    /// tokens' `nbf` ahead; past the verification leeway they are refused until the clock catches
    /// up (closed, never open).
    public func notBefore(after current: Int64?, cutOffIn second: Int64) -> Int64 {
        max(current.map { $0 + 1 } ?? .min, second + 1)
    }

    /// The revocation that carries a user's cut-off (`notBefore`) to every instance.
    public func userCutOff(_ userID: Int64, notBefore: Int64) -> Revocation {
        Revocation(kind: .user, subject: String(userID), cutOff: notBefore, expiresAt: notBefore + revocationLifetime)
    }

    /// The revocation that carries a client's cut-off to every instance; its tokens may live
    /// `tokenLifetime` (longer than users').
    public func clientCutOff(_ clientID: String, notBefore: Int64, tokenLifetime: Int64?) -> Revocation {
        Revocation(
            kind: .client, subject: clientID, cutOff: notBefore,
            expiresAt: notBefore + clientRevocationLifetime(tokenLifetime))
    }

    /// The revocation of a deleted client made at `now`: all its tokens, whenever issued.
    public func deletedClient(_ clientID: String, at now: Int64, tokenLifetime: Int64?) -> Revocation {
        Revocation(
            kind: .client, subject: clientID, cutOff: .max, expiresAt: now + clientRevocationLifetime(tokenLifetime))
    }

    private func clientRevocationLifetime(_ tokenLifetime: Int64?) -> Int64 {
        max(revocationLifetime, (tokenLifetime ?? 0) + leeway)
    }

    /// The revocation of one access token until it would have expired.
    public func token(_ tokenID: String, expiresAt: Int64) -> Revocation {
        Revocation(kind: .token, subject: tokenID, expiresAt: expiresAt + leeway)
    }

    /// The revocation of a deleted user made at `now`: every token they hold is refused, whenever
    /// it was issued.
    public func deletedUser(_ userID: Int64, at now: Int64) -> Revocation {
        Revocation(kind: .user, subject: String(userID), cutOff: .max, expiresAt: now + revocationLifetime)
    }
}
