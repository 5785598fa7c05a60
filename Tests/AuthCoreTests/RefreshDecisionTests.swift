import AuthCore
import Testing

@Suite("SessionPolicy.decide: what a refresh token does, without a database")
struct RefreshDecisionTests {
    let policy = SessionPolicy(lifetime: 3_600, idleTimeout: 600, refreshGrace: 10)
    let now: Int64 = 1_800_000_000_000

    /// A live session used a minute ago, its last rotation 5 s ago with a grace pair.
    func state(_ change: (inout RefreshState) -> Void = { _ in }) -> RefreshState {
        var state = RefreshState(
            isCurrent: false, isPrevious: false, revoked: false, expiresAt: now + 1_000_000, lastUsedAt: now - 60_000,
            rotatedAt: now - 5_000, hasGracePair: true, now: now)
        change(&state)
        return state
    }

    @Test("the current token of a live session rotates; once idle for the timeout it ends the session")
    func current() {
        #expect(policy.decide(state { $0.isCurrent = true }) == .rotate)
        #expect(
            policy.decide(
                state {
                    $0.isCurrent = true; $0.lastUsedAt = now - 599_999
                }) == .rotate)
        #expect(
            policy.decide(
                state {
                    $0.isCurrent = true; $0.lastUsedAt = now - 600_000
                }) == .revoke(.idle))
    }

    @Test("the previous token within the grace window replays the pair; after it, or without a pair, it is theft")
    func previous() {
        #expect(policy.decide(state { $0.isPrevious = true }) == .replayGracePair)
        #expect(
            policy.decide(
                state {
                    $0.isPrevious = true; $0.rotatedAt = now - 9_999
                }) == .replayGracePair)
        #expect(
            policy.decide(
                state {
                    $0.isPrevious = true; $0.rotatedAt = now - 10_000
                }) == .revoke(.reused))
        #expect(
            policy.decide(
                state {
                    $0.isPrevious = true; $0.hasGracePair = false
                }) == .revoke(.reused))
        #expect(
            policy.decide(
                state {
                    $0.isPrevious = true; $0.rotatedAt = nil
                }) == .revoke(.reused))
    }

    @Test("an older token than the previous one is never forgiven, even within the window")
    func older() {
        #expect(policy.decide(state()) == .revoke(.reused))
    }

    @Test("a revoked session, or one past its lifetime, refuses every token and revokes nothing")
    func ended() {
        for token in [(true, false), (false, true), (false, false)] {
            let revoked = state {
                $0.isCurrent = token.0; $0.isPrevious = token.1; $0.revoked = true
            }
            #expect(policy.decide(revoked) == .refuse)
            let expired = state {
                $0.isCurrent = token.0; $0.isPrevious = token.1; $0.expiresAt = now
            }
            #expect(policy.decide(expired) == .refuse)
        }
    }
}
