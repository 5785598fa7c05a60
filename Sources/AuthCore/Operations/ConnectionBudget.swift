/// Whether PostgreSQL has room for every instance: each authd may hold its pool's connections plus
/// one for the revocation listener, so `instances × (pool + 1)` must fit in `max_connections`
/// less the reserved ones (README, "Connection budget"). Checked once at start; the instances are
/// counted by their listeners' connections (this one's included once it has connected), and
/// assumed to have pools of this instance's size.
public struct ConnectionBudget: Sendable, Equatable {
    public var pool: Int
    public var maximum: Int
    public var reserved: Int
    public var instances: Int

    public init(pool: Int, maximum: Int, reserved: Int, instances: Int) {
        self.pool = pool
        self.maximum = maximum
        self.reserved = reserved
        self.instances = max(1, instances)
    }

    /// One instance's connections at most: the pool and the listener.
    public var perInstance: Int { pool + 1 }
    public var need: Int { instances * perInstance }
    public var available: Int { maximum - reserved }
    /// How many instances like this one fit.
    public var instancesThatFit: Int { max(0, available / perInstance) }

    /// The warning to log, or nil when all fit.
    public var warning: String? {
        guard need > available else { return nil }
        return
            "\(instances) instance(s) × (database.max_connections \(pool) + 1 for the revocation listener) = \(need) "
            + "connections, but PostgreSQL allows \(available) (max_connections \(maximum) less \(reserved) reserved; "
            + "\(instancesThatFit) such instances fit): requests may wait for connections and fail with 503. Raise "
            + "max_connections, lower database.max_connections, or put PgBouncer in front (README, \"Connection budget\")"
    }
}
