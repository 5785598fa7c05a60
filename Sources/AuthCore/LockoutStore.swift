/// Failure counters shared by every instance. `key` is the account name, lower-cased, and
/// `source` the client address or "" for an account-wide counter.
public protocol LockoutStore: Sendable {
    /// True while the pair is locked.
    func isLocked(username: String, source: String) async throws -> Bool
    /// Counts one failure in one atomic statement: a new window starts when the old one is over,
    /// and reaching `attempts` within the window locks for `lockSeconds`. Returns the count.
    @discardableResult
    func recordFailure(username: String, source: String, attempts: Int, windowSeconds: Int, lockSeconds: Int)
        async throws -> Int
    /// Forgets the pair's failures (successful login).
    func reset(username: String, source: String) async throws
    /// Forgets every counter of the account (`authctl user unlock`).
    func unlock(username: String) async throws
}
