import DequeModule

/// The pool's decisions as a value: every event (a lease, a release, a broken connection, a
/// timeout, close) changes the state and returns what the caller must then do, so the rules (a
/// bounded number of connections, FIFO waiters, a broken connection's slot handed on, close
/// failing every waiter) are unit-tested without threads or a database. `PostgresPool` holds it
/// under a lock and performs the actions outside.
struct PoolStateMachine<Connection> {
    typealias WaiterID = UInt64

    let maxConnections: Int
    private(set) var idle: [Connection] = []
    /// Connections open or being opened, idle or lent.
    private(set) var open = 0
    private(set) var waiters = Deque<WaiterID>()
    private(set) var closed = false
    private var nextWaiterID: WaiterID = 0

    init(maxConnections: Int) {
        self.maxConnections = max(1, maxConnections)
    }

    enum LeaseAction {
        case use(Connection)
        /// Open a new connection (its slot is counted); report failure with `discarded()`.
        case open
        /// Wait in line; a later action names this id, or `timedOut(_:)` removes it.
        case wait(WaiterID)
        case fail
    }

    /// A caller wants a connection.
    mutating func lease() -> LeaseAction {
        if closed { return .fail }
        if let connection = idle.popLast() { return .use(connection) }
        if open < maxConnections {
            open += 1
            return .open
        }
        nextWaiterID += 1
        waiters.append(nextWaiterID)
        return .wait(nextWaiterID)
    }

    enum ReleaseAction {
        case none
        /// Hand the connection to this waiter.
        case hand(Connection, to: WaiterID)
        /// This waiter may open a connection in a freed slot.
        case openFor(WaiterID)
        /// The pool is closed: let the connection go (dropping it closes it).
        case drop(Connection)
    }

    /// A healthy connection comes back.
    mutating func released(_ connection: Connection) -> ReleaseAction {
        if closed {
            open -= 1
            return .drop(connection)
        }
        if let waiter = waiters.popFirst() { return .hand(connection, to: waiter) }
        idle.append(connection)
        return .none
    }

    /// A lent connection broke (and is gone), or opening one failed: its slot is free again, for
    /// the first waiter if there is one.
    mutating func discarded() -> ReleaseAction {
        if !closed, let waiter = waiters.popFirst() { return .openFor(waiter) }
        open -= 1
        return .none
    }

    /// A lent connection broke: the idle ones went over the same link and are likely dead too
    /// (a partition, a server restart). Returns them to drop, their slots freed; the next callers
    /// open fresh connections instead of each finding a dead one. (With idle connections there
    /// are no waiters to hand the slots to.)
    mutating func dropIdle() -> [Connection] {
        defer {
            open -= idle.count
            idle = []
        }
        return idle
    }

    /// The waiter's time is up. False when it was served (or failed by close) first.
    mutating func timedOut(_ waiter: WaiterID) -> Bool {
        guard let index = waiters.firstIndex(of: waiter) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Refuses new leases; returns the idle connections to drop and the waiters to fail.
    /// Connections lent out are dropped as they come back.
    mutating func close() -> (idle: [Connection], waiters: [WaiterID]) {
        closed = true
        defer {
            open -= idle.count
            idle = []
            waiters = []
        }
        return (idle, Array(waiters))
    }
}

extension PoolStateMachine: Sendable where Connection: Sendable {}
extension PoolStateMachine.LeaseAction: Sendable where Connection: Sendable {}
extension PoolStateMachine.ReleaseAction: Sendable where Connection: Sendable {}
