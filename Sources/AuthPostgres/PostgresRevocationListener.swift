public import AuthCore
import AuthCrypto
public import Logging
import NIOPosix
public import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps a `RevocationState` current (README, "Sessions and revocation"): one dedicated connection that `LISTEN`s for
/// revocations and role changes (and for messages added to the outbox, to wake the deliverer), loads the whole state after every (re)connect — after `LISTEN`,
/// so nothing committed in between is missed — and probes the link while idle so a dead
/// connection is noticed within `keepAlive`. It runs on a thread of its own, never the pool's.
public final class PostgresRevocationListener: Service, Sendable {
    public struct Configuration: Sendable {
        public var connectionString: String
        /// What the minute's prune deletes from the database.
        public var retention: RetentionPolicy
        /// How long to wait for notifications before probing the connection with a query.
        public var keepAlive: Duration
        /// Longest pause between reconnection attempts (they start at 100 ms and double).
        public var maximumBackoff: Duration
        /// How long a probe may stay unanswered before the link counts as dead (a partition, a
        /// server gone without closing the connection); see `PostgresConnection.init`.
        public var unacknowledgedTimeout: Duration

        public init(
            connectionString: String, retention: RetentionPolicy, keepAlive: Duration = .seconds(2),
            maximumBackoff: Duration = .seconds(2), unacknowledgedTimeout: Duration = .seconds(5)
        ) {
            self.connectionString = connectionString
            self.retention = retention
            self.keepAlive = keepAlive
            self.maximumBackoff = maximumBackoff
            self.unacknowledgedTimeout = unacknowledgedTimeout
        }
    }

    /// How the listener's connection shows in `pg_stat_activity`.
    public static let applicationName = "authd revocation listener"
    /// The channel of the start-up probe (`probeSession`).
    static let probeChannel = "authd_listener_probe"

    /// The listener's connection is not a session of its own (a transaction- or statement-mode
    /// pooler such as PgBouncer in between): notifications would be lost, so authd does not start.
    public struct NotASession: Error, CustomStringConvertible {
        public var description: String {
            "the revocation listener's connection received no notification sent to it within 5 s: it is not a "
                + "session of its own (a transaction-mode pooler such as PgBouncer between authd and PostgreSQL?), "
                + "so revocations would be missed. Point database.listen_url at PostgreSQL directly (or at a "
                + "session-mode pool)"
        }
    }

    let configuration: Configuration
    let state: RevocationState
    let logger: Logger
    let clock: @Sendable () -> Int64
    /// Rung on every `authd_outbox` notification (a message added), when this instance delivers.
    let outbox: Doorbell?
    private let stopping = Atomic<Bool>(false)
    private let thread = NIOThreadPool(numberOfThreads: 1)

    public init(
        configuration: Configuration, state: RevocationState, outbox: Doorbell? = nil, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = UnixTime.now
    ) {
        self.outbox = outbox
        self.configuration = configuration
        self.state = state
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        thread.start()
        let refusal = await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                (try? await thread.runIfActive { self.listenUntilStopped() }) ?? nil
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        try? await thread.shutdownGracefully()
        if let refusal {
            logger.critical("not starting: \(refusal)")
            throw refusal
        }
    }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// The time the link was last known good (a probe or a notification answered), so that a
    /// dead link found only when a probe times out counts as stale from then, not from the
    /// moment it was noticed. Only the listener's thread touches it.
    private let lastContact = Atomic<Int64>(0)

    private func confirmContact() { lastContact.store(clock(), ordering: .relaxed) }

    /// A table (42P01) or column (42703) the listener reads does not exist: migrations still to
    /// run, or running.
    private static func schemaNotReady(_ error: any Error) -> Bool {
        ["42P01", "42703"].contains((error as? PostgresError)?.sqlState)
    }

    /// How long after start a missing table or column is taken for migrations under way rather
    /// than warned about.
    private static let schemaPatience = Duration.seconds(30)

    private func connect() throws -> PostgresConnection {
        try PostgresConnection(
            connectionString: configuration.connectionString,
            unacknowledgedTimeout: configuration.unacknowledgedTimeout)
    }

    /// Connect, load, listen; on any failure mark the state disconnected and start over. Returns
    /// `NotASession` when the first connection proves not to be a session of its own.
    private func listenUntilStopped() -> NotASession? {
        var backoff = Duration.milliseconds(100)
        var first = true
        let started = ContinuousClock.now
        confirmContact()
        while !isStopping {
            do {
                let connection = try connect()
                try connection.query("SET application_name = '\(Self.applicationName)'")
                try connection.query("LISTEN \(PostgresRevocations.channel)")
                try connection.query("LISTEN \(PostgresRevocations.rolesChannel)")
                if outbox != nil { try connection.query("LISTEN \(PostgresOutboxStore.channel)") }
                do {
                    try probeSession(connection)
                } catch let refusal as NotASession {
                    if first {
                        state.feedDisconnected(since: clock())
                        return refusal
                    }
                    logger.error("\(refusal)")
                }
                first = false
                try reload(on: connection)
                confirmContact()
                state.feedConnected()
                outbox?.ring()  // whatever was added while the listener was away
                logger.info("revocation listener connected", metadata: ["revocations": "\(state.count)"])
                backoff = .milliseconds(100)
                try listen(on: connection)
            } catch {
                state.feedDisconnected(since: lastContact.load(ordering: .relaxed))
                guard !isStopping else { break }
                if Self.schemaNotReady(error), ContinuousClock.now < started + Self.schemaPatience {
                    // A first start: the migrations, running beside the listener, have not made
                    // (all of) its tables and columns yet. /readyz says not ready meanwhile.
                    logger.info("revocation listener waiting for the database schema (migrations not applied yet)")
                } else {
                    logger.warning("revocation listener disconnected", metadata: ["error": "\(error)"])
                }
                sleep(backoff)
                backoff = min(backoff * 2, configuration.maximumBackoff)
            }
        }
        state.feedDisconnected(since: clock())
        return nil
    }

    /// Sends a notification from a second connection and waits for it on the listener's: only a
    /// session of its own receives it (behind a transaction-mode pooler the LISTEN stayed on a
    /// server connection that went back to the pool). Notifications on the revocation channels
    /// that arrive meanwhile are dropped: the reload that follows reads everything committed.
    private func probeSession(_ connection: PostgresConnection) throws {
        let nonce = Hex.encode(try SecureRandom.bytes(8))
        try connection.query("LISTEN \(Self.probeChannel)")
        defer { _ = try? connection.query("UNLISTEN \(Self.probeChannel)") }
        let sender = try connect()
        try sender.query("SELECT pg_notify($1, $2)", [Self.probeChannel, nonce])
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, !isStopping {
            let notifications = try connection.notifications(waitingUpTo: 250, maximum: Self.batch)
            if notifications.contains(where: { $0.channel == Self.probeChannel && $0.payload == nonce }) { return }
        }
        if isStopping { return }
        throw NotASession()
    }

    private func reload(on connection: PostgresConnection) throws {
        try PostgresRevocations.prune(configuration.retention, on: connection)
        state.replaceAll(
            try PostgresRevocations.load(on: connection),
            permissions: try PostgresRevocations.loadPermissions(on: connection))
        Self.returnFreedMemory()
    }

    /// A large load leaves its query result and intermediate arrays freed but resident; glibc's
    /// `malloc_trim` hands that memory back (looked up at run time: Swift's Glibc module does not
    /// export malloc.h).
    private static func returnFreedMemory() {
        #if canImport(Glibc)
            guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return }
            _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
        #endif
    }

    /// Notifications handled at a time.
    static let batch = 1000

    private func listen(on connection: PostgresConnection) throws {
        let slice: Int32 = 250
        let keepAliveMilliseconds =
            configuration.keepAlive.wholeMilliseconds
        var quiet: Int64 = 0
        var lastPrune = clock()
        // A burst (a mass logout, an admin revoking thousands) is read and applied a batch at a
        // time, so its query results stay small; afterwards the freed memory goes back.
        var backlog = false
        var burst = false
        while !isStopping {
            let notifications = try connection.notifications(
                waitingUpTo: backlog ? 0 : slice, maximum: Self.batch)
            backlog = notifications.count == Self.batch
            let burstEnds = burst && !backlog
            burst = backlog
            defer { if burstEnds { Self.returnFreedMemory() } }
            if notifications.isEmpty {
                quiet += Int64(slice)
                if quiet >= keepAliveMilliseconds {
                    try connection.query("SELECT 1")
                    confirmContact()
                    quiet = 0
                }
            } else {
                quiet = 0
                try handle(notifications, on: connection)
                confirmContact()
            }
            if clock() - lastPrune >= 60 {
                lastPrune = clock()
                state.prune(now: lastPrune)
                try PostgresRevocations.prune(configuration.retention, on: connection)
            }
        }
    }

    /// A notification only says where to look: any role that can connect may NOTIFY, but only
    /// writers of `revocations` decide what it holds, so what is applied is read from the table.
    private func handle(_ notifications: [PostgresConnection.Notification], on connection: PostgresConnection) throws {
        var named: [Revocation] = []
        var rolesChanged = false
        for notification in notifications {
            if notification.channel == PostgresOutboxStore.channel {
                outbox?.ring()
            } else if notification.channel == PostgresRevocations.rolesChannel {
                rolesChanged = true
            } else if let revocation = Revocation(payload: notification.payload) {
                named.append(revocation)
            } else {
                logger.error("ignoring a malformed revocation notification")
            }
        }
        if !named.isEmpty {
            let stored = try PostgresRevocations.load(named, on: connection)
            if stored.count < Set(named.map { "\($0.kind):\($0.subject)" }).count {
                logger.warning("a revocation notification named no stored revocation: ignored")
            }
            state.apply(stored)
        }
        if rolesChanged { state.replacePermissions(try PostgresRevocations.loadPermissions(on: connection)) }
    }

    private func sleep(_ duration: Duration) {
        var remaining = duration
        while remaining > .zero, !isStopping {
            let step = min(remaining, .milliseconds(100))
            usleep(UInt32(step.wholeMicroseconds))
            remaining -= step
        }
    }
}

extension PostgresRevocationListener.Configuration: CustomStringConvertible, CustomReflectable {
    public var description: String { "PostgresRevocationListener.Configuration(connectionString: <redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
