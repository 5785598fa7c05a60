/// A presented refresh token's session as the store holds it. Times are Unix milliseconds on the
/// store's clock.
public struct RefreshState: Hashable, Sendable {
    /// The token is the session's current one.
    public var isCurrent: Bool
    /// The token is the one the last rotation replaced.
    public var isPrevious: Bool
    public var revoked: Bool
    public var expiresAt: Int64
    public var lastUsedAt: Int64
    /// When the session last rotated; nil before its first refresh.
    public var rotatedAt: Int64?
    /// The last rotation kept its pair (sealed) for a client retrying the previous token.
    public var hasGracePair: Bool
    public var now: Int64

    public init(
        isCurrent: Bool, isPrevious: Bool, revoked: Bool, expiresAt: Int64, lastUsedAt: Int64, rotatedAt: Int64?,
        hasGracePair: Bool, now: Int64
    ) {
        self.isCurrent = isCurrent
        self.isPrevious = isPrevious
        self.revoked = revoked
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.rotatedAt = rotatedAt
        self.hasGracePair = hasGracePair
        self.now = now
    }
}

/// What a presented refresh token does, decided by `SessionPolicy.decide` and carried out by the
/// `SessionStore`.
public enum RefreshDecision: Hashable, Sendable {
    /// The current token of a live session: replace it by a new pair.
    case rotate
    /// The previous token within the grace window (a client retrying a lost response): the pair
    /// its rotation issued, again.
    case replayGracePair
    /// The session ends: a rotated token presented after the grace window (or an older one) is
    /// taken for stolen, and a session unused for the idle timeout is over.
    case revoke(Reason)
    /// The session had ended already.
    case refuse

    public enum Reason: String, Hashable, Sendable {
        case reused, idle
    }
}

extension SessionPolicy {
    public func decide(_ state: RefreshState) -> RefreshDecision {
        guard !state.revoked, state.expiresAt > state.now else { return .refuse }
        if state.isCurrent {
            return state.lastUsedAt > state.now - idleTimeout * 1000 ? .rotate : .revoke(.idle)
        }
        if state.isPrevious, state.hasGracePair, let rotatedAt = state.rotatedAt,
            rotatedAt > state.now - refreshGrace * 1000
        {
            return .replayGracePair
        }
        return .revoke(.reused)
    }
}
