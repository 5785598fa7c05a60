import AuthCore
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
        /// How long a caller waits for a free connection before `poolTimeout`; also how long a
        /// new connection may take to open (libpq counts whole seconds, at least 2) and how long
        /// data sent on one may stay unacknowledged before the link counts as dead.
        public var acquireTimeout: Duration

        public init(
            connectionString: String, maxConnections: Int = 10, acquireTimeout: Duration = .seconds(5)
        ) {
            self.connectionString = connectionString
            self.maxConnections = max(1, maxConnections)
            self.acquireTimeout = acquireTimeout
        }

        var connectTimeoutSeconds: Int {
            max(2, Int((acquireTimeout.wholeMilliseconds + 999) / 1000))
        }
    }

    /// What a caller is handed: an idle connection, or the right to open one.
    private enum Grant: Sendable {
        case connection(PostgresConnection)
        case slot
    }

    private typealias Machine = PoolStateMachine<PostgresConnection>

    /// The decisions, and the continuations of the callers waiting in line.
    private struct State {
        var machine: Machine
        var waiting: [Machine.WaiterID: CheckedContinuation<Grant, any Error>] = [:]
    }

    public let configuration: Configuration
    private let threads: NIOThreadPool
    private let state: Mutex<State>
    private let logger: Logger
    /// Connections lent out, for the gauge below.
    private let lent = Mutex(0)
    private let inUseGauge = Gauge(label: "authd_db_connections_in_use")
    private let waitingGauge = Gauge(label: "authd_db_waiters")

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        state = Mutex(State(machine: Machine(maxConnections: configuration.maxConnections)))
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
        countLent(1)
        defer { countLent(-1) }
        do {
            let result = try await threads.runIfActive { try body(connection) }
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    private func countLent(_ delta: Int) {
        inUseGauge.record(
            lent.withLock { lent in
                lent += delta
                return lent
            })
    }

    private static let closedError = PostgresError(.poolClosed, "the database pool is closed")

    /// Runs one event on the state under its lock, recording the waiters gauge.
    private func withState<T: Sendable>(_ body: @Sendable (inout State) -> T) -> T {
        let (result, waiters) = state.withLock { state in (body(&state), state.machine.waiters.count) }
        waitingGauge.record(waiters)
        return result
    }

    /// Closes idle connections and refuses new work; in-flight jobs finish first.
    public func close() async {
        // The idle connections close as their last reference goes, outside the lock.
        let (idle, waiting) = withState { state in
            let (idle, waiters) = state.machine.close()
            return (idle, waiters.compactMap { state.waiting.removeValue(forKey: $0) })
        }
        withExtendedLifetime(idle) {}
        for continuation in waiting { continuation.resume(throwing: Self.closedError) }
        try? await threads.shutdownGracefully()
    }

    private func acquire() async throws -> PostgresConnection {
        let deadline = ContinuousClock.now + configuration.acquireTimeout
        let timer = TimerHandle()
        defer { timer.cancel() }
        let grant = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
            let action = withState { state in
                let action = state.machine.lease()
                if case .wait(let id) = action { state.waiting[id] = continuation }
                return action
            }
            switch action {
            case .use(let connection): continuation.resume(returning: .connection(connection))
            case .open: continuation.resume(returning: .slot)
            case .fail: continuation.resume(throwing: Self.closedError)
            case .wait(let id):
                // Started once the waiter is queued, so a timeout can never miss it.
                timer.start {
                    try? await Task.sleep(until: deadline)
                    guard !Task.isCancelled else { return }
                    let expired = self.withState { state in
                        state.machine.timedOut(id) ? state.waiting.removeValue(forKey: id) : nil
                    }
                    expired?.resume(throwing: PostgresError(.poolTimeout, "no database connection became free in time"))
                }
            }
        }
        switch grant {
        case .connection(let connection) where connection.isUsable: return connection
        case .connection:
            // Closed while idle: its slot, still held, gets a fresh connection; the caller never
            // sees the dead one.
            logger.info("replacing a database connection closed while idle")
            return try await openConnection(by: deadline)
        case .slot: return try await openConnection(by: deadline)
        }
    }

    /// Opens a connection for a slot already counted, within the caller's `deadline`: a connect
    /// still under way then (a link that swallows packets) is left to finish on its own, its
    /// connection joining the pool or its slot given back, while the caller gets `poolTimeout`.
    private func openConnection(by deadline: ContinuousClock.Instant) async throws -> PostgresConnection {
        let race = Race<PostgresConnection>()
        return try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            race.hold(
                Task {
                    try? await Task.sleep(until: deadline)
                    race.finish(.failure(PostgresError(.poolTimeout, "no database connection could be opened in time")))
                })
            Task {
                do {
                    let connection = try await self.openConnection()
                    if !race.finish(.success(connection)) { self.release(connection) }
                } catch {
                    race.finish(.failure(error))
                }
            }
        }
    }

    /// Opens a connection for a slot already counted; gives the slot back on failure.
    private func openConnection() async throws -> PostgresConnection {
        let configuration = self.configuration
        do {
            return try await threads.runIfActive {
                try PostgresConnection(
                    connectionString: configuration.connectionString,
                    connectTimeoutSeconds: configuration.connectTimeoutSeconds,
                    unacknowledgedTimeout: configuration.acquireTimeout)
            }
        } catch {
            perform { $0.discarded() }
            logger.warning("database connection failed", metadata: ["error": "\(error)"])
            throw error
        }
    }

    private func release(_ connection: PostgresConnection) {
        if connection.isBroken {
            let idle = withState { $0.machine.dropIdle() }
            logger.info(
                "discarding a broken database connection", metadata: ["idle_dropped_with_it": "\(idle.count)"])
            perform { $0.discarded() }
        } else {
            perform { $0.released(connection) }
        }
    }

    /// Carries out what a release or a discard decided.
    private func perform(_ event: @Sendable (inout Machine) -> Machine.ReleaseAction) {
        let (action, continuation) = withState { state in
            let action = event(&state.machine)
            switch action {
            case .hand(_, let id), .openFor(let id): return (action, state.waiting.removeValue(forKey: id))
            case .none, .drop: return (action, nil)
            }
        }
        switch action {
        case .hand(let connection, _): continuation?.resume(returning: .connection(connection))
        case .openFor: continuation?.resume(returning: .slot)
        case .none, .drop: break  // a dropped connection closes as its last reference goes
        }
    }
}

/// A continuation resumed by whichever finishes first, the work or its timer.
private final class Race<T: Sendable>: Sendable {
    private let state = Mutex<(CheckedContinuation<T, any Error>?, Task<Void, Never>?)>((nil, nil))

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.0 = continuation }
    }

    /// The timer, cancelled at once when the race is already over.
    func hold(_ timer: Task<Void, Never>) {
        let over = state.withLock { state in
            if state.0 != nil { state.1 = timer }
            return state.0 == nil
        }
        if over { timer.cancel() }
    }

    /// Resumes the caller with `result` unless something else did first; false then.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (continuation, timer) = state.withLock { state in
            defer { state = (nil, nil) }
            return state
        }
        timer?.cancel()
        continuation?.resume(with: result)
        return continuation != nil
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
