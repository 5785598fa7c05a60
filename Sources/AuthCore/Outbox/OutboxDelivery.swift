public import Logging
import Metrics

/// What a handler made of one delivery.
public enum OutboxOutcome: Sendable, Equatable {
    case delivered
    /// Worth another try later: the relay answered 4xx, did not answer, or could not be reached.
    case temporary(String)
    /// Never going to work: the relay answered 5xx, or the payload cannot be read.
    case permanent(String)
}

/// Delivers the messages of one kind (mail through SMTP or sendmail, later logout tokens).
public protocol OutboxHandler: Sendable {
    func deliver(_ item: OutboxItem) async -> OutboxOutcome
}

/// Delivers the outbox from any instance: claims what is due, hands each message to its kind's
/// handler, and settles it as the outcome says: removed when delivered, retried with a growing
/// delay when the failure is temporary, given up (kept, with a metric and a log line) when it is
/// permanent or the message has waited longer than `giveUpAfter`.
///
/// Delivery is at least once: an instance that dies after the relay accepted a message but before
/// settling it leaves the claim to run out, and the next claim sends the message again.
public struct OutboxDelivery: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Messages claimed, and delivered side by side, at a time.
        public var batchSize: Int
        /// Milliseconds a claim holds its messages; longer than the slowest delivery (the SMTP
        /// client's timeouts bound it), or a message could be sent twice while it is still being sent.
        public var lease: Int64
        /// How long to wait, when nothing was due, before looking again.
        public var pollInterval: Duration
        /// Milliseconds to the first retry; each later one waits twice as long, up to `maximumRetry`.
        public var firstRetry: Int64
        public var maximumRetry: Int64
        /// Milliseconds after which a message that still fails is given up.
        public var giveUpAfter: Int64

        public init(
            batchSize: Int = 8, lease: Int64 = 300_000, pollInterval: Duration = .seconds(2),
            firstRetry: Int64 = 30_000,
            maximumRetry: Int64 = 3_600_000, giveUpAfter: Int64 = 172_800_000
        ) {
            self.batchSize = max(1, batchSize)
            self.lease = lease
            self.pollInterval = pollInterval
            self.firstRetry = firstRetry
            self.maximumRetry = maximumRetry
            self.giveUpAfter = giveUpAfter
        }

        /// Milliseconds before the next try of a message that failed on its `attempts`th.
        public func retryDelay(afterAttempt attempts: Int) -> Int64 {
            let doublings = min(max(attempts - 1, 0), 40)
            let delay = firstRetry.multipliedReportingOverflow(by: Int64(1) << doublings)
            return delay.overflow ? maximumRetry : min(delay.partialValue, maximumRetry)
        }
    }

    /// How one message was settled.
    public enum Settlement: Sendable, Equatable {
        case delivered
        case deferred
        case failed
    }

    let store: any OutboxStore
    let handlers: [OutboxMessage.Kind: any OutboxHandler]
    let configuration: Configuration
    let logger: Logger
    /// Rung when a message is added (the database's notification), to start a round before the
    /// poll would.
    let doorbell: Doorbell?

    public init(
        store: any OutboxStore, handlers: [OutboxMessage.Kind: any OutboxHandler],
        configuration: Configuration = .init(), doorbell: Doorbell? = nil,
        logger: Logger
    ) {
        self.doorbell = doorbell
        self.store = store
        self.handlers = handlers
        self.configuration = configuration
        self.logger = logger
    }

    /// Claims one batch and delivers it; how each claimed message was settled, by id.
    @discardableResult
    public func deliverDue() async throws -> [Int64: Settlement] {
        let items = try await store.claim(limit: configuration.batchSize, lease: configuration.lease)
        return try await withThrowingTaskGroup(of: (Int64, Settlement).self) { group in
            for item in items {
                group.addTask { (item.id, try await deliver(item)) }
            }
            var settled: [Int64: Settlement] = [:]
            for try await (id, settlement) in group { settled[id] = settlement }
            return settled
        }
    }

    /// Delivers until the task is cancelled: a full batch is followed at once by the next, anything
    /// less by `pollInterval` of rest, cut short by the doorbell (a new message; retries that come
    /// due are found by the poll). A database that is away is retried after the same rest.
    public func run() async {
        while !Task.isCancelled {
            var full = false
            do {
                full = try await deliverDue().count == configuration.batchSize
                let depth = try await store.depth()
                Gauge(label: "authd_outbox_queued").record(depth.queued)
                Gauge(label: "authd_outbox_failed").record(depth.failed)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("outbox: delivery round failed", metadata: ["error": "\(error)"])
            }
            guard !full else { continue }
            if let doorbell {
                await doorbell.wait(upTo: configuration.pollInterval)
            } else {
                try? await Task.sleep(for: configuration.pollInterval)
            }
        }
    }

    private func deliver(_ item: OutboxItem) async throws -> Settlement {
        let kind = item.message.kind
        let outcome =
            await handlers[kind]?.deliver(item) ?? .permanent("no handler for outbox messages of kind \(kind)")
        let metadata: Logger.Metadata = ["outbox_id": "\(item.id)", "kind": "\(kind)", "attempts": "\(item.attempts)"]
        switch outcome {
        case .delivered:
            try await store.delivered(item)
            Counter(label: "authd_outbox_sent_total", dimensions: [("kind", kind.rawValue)]).increment()
            logger.info("outbox: delivered", metadata: metadata)
            return .delivered
        case .temporary(let reason) where item.claimedAt - item.createdAt < configuration.giveUpAfter:
            try await store.deferred(
                item, after: configuration.retryDelay(afterAttempt: item.attempts), reason: reason)
            Counter(label: "authd_outbox_deferred_total", dimensions: [("kind", kind.rawValue)]).increment()
            logger.notice("outbox: deferred", metadata: metadata.merging(["reason": "\(reason)"]) { $1 })
            return .deferred
        case .temporary(let reason), .permanent(let reason):
            try await store.failed(item, reason: reason)
            Counter(label: "authd_outbox_failed_total", dimensions: [("kind", kind.rawValue)]).increment()
            logger.error("outbox: given up", metadata: metadata.merging(["reason": "\(reason)"]) { $1 })
            return .failed
        }
    }
}
