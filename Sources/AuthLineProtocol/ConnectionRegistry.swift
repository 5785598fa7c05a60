import Metrics
import NIOCore
import Synchronization

/// The open connections of one server: bounds their number and reaches them at shutdown.
final class ConnectionRegistry: Sendable {
    private let limit: Int
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let gauge = Gauge(label: "authd_line_connections")

    init(limit: Int) {
        self.limit = limit
    }

    var count: Int { channels.withLock { $0.count } }

    /// False when the limit is reached; the caller refuses the connection.
    func add(_ channel: any Channel) -> Bool {
        let count = channels.withLock { channels -> Int? in
            guard channels.count < limit else { return nil }
            channels[ObjectIdentifier(channel)] = channel
            return channels.count
        }
        guard let count else { return false }
        gauge.record(count)
        return true
    }

    func remove(_ channel: any Channel) {
        gauge.record(
            channels.withLock { channels in
                channels.removeValue(forKey: ObjectIdentifier(channel))
                return channels.count
            })
    }

    /// Asks every connection to close once its requests in flight are answered.
    func drainAll() {
        for channel in channels.withLock({ Array($0.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(DrainEvent())
        }
    }

    func closeAll() {
        for channel in channels.withLock({ Array($0.values) }) {
            channel.close(promise: nil)
        }
    }
}
