import AuthCore
import DequeModule
public import Logging
import Metrics
import NIOPosix
import Synchronization

/// A bounded pool of libpq connections whose blocking calls run on a dedicated thread pool, one
/// thread per connection, never on an event loop or the cooperative pool. Connections open
/// lazily; one that breaks is discarded and its slot reopened on demand; a caller that finds every
/// connection busy waits in FIFO order up to `acquireTimeout`, then gets `poolTimeout`.
public final class PostgresPool: Sendable {
    public struct Configuration: Sendable {
        /// libpq connection string or URL (multi-host and `target_session_attrs` work as in libpq).
        public var connectionString: String
        public var maxConnections: Int
        /// How long a caller waits for a free connection before `poolTimeout`.
        public var acquireTimeout: Duration
        public var connectTimeoutSeconds: Int

        public init(
            connectionString: String, maxConnections: Int = 10, acquireTimeout: Duration = .seconds(5),
            connectTimeoutSeconds: Int = 5
        ) {
            self.connectionString = connectionString
            self.maxConnections = max(1, maxConnections)
            self.acquireTimeout = acquireTimeout
            self.connectTimeoutSeconds = connectTimeoutSeconds
        }
    }

    /// What a waiter is handed: an idle connection, or the right to open one.
    private enum Grant {
        case connection(PostgresConnection)
        case slot
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Grant, any Error>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters = Deque<Waiter>()
        var nextWaiterID: UInt64 = 0
        var closed = false
    }

    public let configuration: Configuration
    private let threads: NIOThreadPool
    private let state = Mutex(State())
    private let logger: Logger
    /// Connections lent out and callers waiting for one, for the gauges below.
    private struct Usage {
        var lent = 0
        var waiting = 0
    }
    private let usage = Mutex(Usage())
    private let inUseGauge = Gauge(label: "authd_db_connections_in_use")
    private let waitingGauge = Gauge(label: "authd_db_waiters")

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        threads = NIOThreadPool(numberOfThreads: configuration.maxConnections)
        threads.start()
    }

    /// Lends a connection to `body` on a pool thread. A connection left broken is discarded.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let connection: PostgresConnection
        do {
            connection = try await acquire()
        } catch let error as PostgresError where error.code != .connectionFailed {
            throw error.counted()  // pool timeout or closed; failed connects count themselves
        }
        count(\.lent, by: 1, on: inUseGauge)
        defer { count(\.lent, by: -1, on: inUseGauge) }
        do {
            let result = try await threads.runIfActive { try body(connection) }
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    private func count(_ field: WritableKeyPath<Usage, Int>, by delta: Int, on gauge: Gauge) {
        gauge.record(
            usage.withLock { usage in
                usage[keyPath: field] += delta
                return usage[keyPath: field]
            })
    }

    /// Closes idle connections and refuses new work; in-flight jobs finish first.
    public func close() async {
        let waiters = state.withLock { state in
            state.closed = true
            state.open -= state.idle.count
            state.idle = []  // dropping the last reference closes each connection
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.poolClosed, "the database pool is closed"))
        }
        try? await threads.shutdownGracefully()
    }

    private func acquire() async throws -> PostgresConnection {
        enum Next {
            case use(PostgresConnection)
            case open
            case wait(UInt64)
            case closed
        }
        let next = state.withLock { state -> Next in
            if state.closed { return .closed }
            if let connection = state.idle.popLast() { return .use(connection) }
            if state.open < configuration.maxConnections {
                state.open += 1
                return .open
            }
            state.nextWaiterID += 1
            return .wait(state.nextWaiterID)
        }
        switch next {
        case .closed: throw PostgresError(.poolClosed, "the database pool is closed")
        case .use(let connection): return connection
        case .open: return try await openConnection()
        case .wait(let id):
            count(\.waiting, by: 1, on: waitingGauge)
            defer { count(\.waiting, by: -1, on: waitingGauge) }
            switch try await wait(id: id) {
            case .connection(let connection): return connection
            case .slot: return try await openConnection()
            }
        }
    }

    /// Opens a connection for a slot already counted in `open`; gives the slot back on failure.
    private func openConnection() async throws -> PostgresConnection {
        let configuration = self.configuration
        do {
            return try await threads.runIfActive {
                try PostgresConnection(
                    connectionString: configuration.connectionString,
                    connectTimeoutSeconds: configuration.connectTimeoutSeconds)
            }
        } catch {
            releaseSlot()
            logger.warning("database connection failed", metadata: ["error": "\(error)"])
            throw error
        }
    }

    private func wait(id: UInt64) async throws -> Grant {
        let timer = TimerHandle()
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            let closed = state.withLock { state -> Bool in
                if state.closed { return true }
                state.waiters.append(Waiter(id: id, continuation: continuation))
                return false
            }
            guard !closed else {
                continuation.resume(throwing: PostgresError(.poolClosed, "the database pool is closed"))
                return
            }
            // Started only once the waiter is queued, so a timeout can never miss it.
            let timeout = configuration.acquireTimeout
            timer.start {
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                let waiter = self.state.withLock { state -> Waiter? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiters.remove(at: index)
                }
                waiter?.continuation.resume(
                    throwing: PostgresError(.poolTimeout, "no database connection became free in time"))
            }
        }
    }

    private func release(_ connection: PostgresConnection) {
        guard !connection.isBroken else {
            logger.info("discarding a broken database connection")
            releaseSlot()
            return
        }
        let waiter = state.withLock { state -> Waiter? in
            if state.closed {
                state.open -= 1
                return nil
            }
            if let waiter = state.waiters.popFirst() { return waiter }
            state.idle.append(connection)
            return nil
        }
        waiter?.continuation.resume(returning: .connection(connection))
    }

    /// A connection was discarded or never opened: a waiter may open a new one in its place.
    private func releaseSlot() {
        let waiter = state.withLock { state -> Waiter? in
            if let waiter = state.waiters.popFirst() { return waiter }
            state.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: .slot)
    }
}

/// The timeout task of one waiter, cancelled when the waiter is served first.
private final class TimerHandle: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)

    func start(_ body: @escaping @Sendable () async -> Void) {
        task.withLock { $0 = Task(operation: body) }
    }

    func cancel() {
        task.withLock { $0?.cancel() }
    }
}

extension PostgresPool {
    /// For the stores: runs on a pooled connection and turns connection trouble into AuthCore's
    /// `unavailable` and an unstorable value into `invalidInput`; other errors pass through.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        do {
            return try await withConnection(body)
        } catch let error as PostgresError where error.isUnavailable {
            throw AuthError(.unavailable, "the database is unavailable, retry shortly")
        } catch let error as PostgresError where error.code == .invalidParameter {
            throw AuthError(.invalidInput, "input contains a NUL character")
        }
    }
}

extension PostgresPool.Configuration: CustomStringConvertible, CustomReflectable {
    public var description: String { "PostgresPool.Configuration(maxConnections: \(maxConnections))" }
    public var customMirror: Mirror { Mirror(self, children: ["maxConnections": maxConnections]) }
}
