/// Failure counters shared by every instance, keyed by the account name, lower-cased, and
/// `source`: the client's address group, or "" for an account-wide counter. The store keeps and
/// changes counters; `LockoutPolicy` decides what a failure does to one.
public protocol LockoutStore: Sendable {
    /// The pair's counter (nil when there is none) and the store's clock, read together.
    func counter(username: String, source: String) async throws -> (counter: LockoutPolicy.Counter?, now: Int64)
    /// Replaces the pair's counter by `change(counter, now)` while holding it, so concurrent
    /// changes on any number of instances each start from the one before. Returns the new counter.
    func update(
        username: String, source: String,
        _ change: @escaping @Sendable (LockoutPolicy.Counter?, Int64) -> LockoutPolicy.Counter
    ) async throws -> LockoutPolicy.Counter
    /// Forgets the pair's failures (successful login).
    func reset(username: String, source: String) async throws
    /// Forgets every counter of the account (`authctl user unlock`), with an audit entry
    /// (`user.unlock`) written with it.
    func unlock(username: String, by actor: Actor) async throws
}

extension LockoutStore {
    public func isLocked(username: String, source: String, under policy: LockoutPolicy) async throws -> Bool {
        let read = try await counter(username: username, source: source)
        return policy.isLocked(read.counter, at: read.now)
    }

    /// Counts one failure; the counter as it stands after it.
    @discardableResult
    public func recordFailure(username: String, source: String, under policy: LockoutPolicy) async throws
        -> LockoutPolicy.Counter
    {
        try await update(username: username, source: source) { policy.afterFailure($0, at: $1) }
    }
}
