import Metrics
import NIOCore
import Synchronization

/// The open connections of one server: bounds their number, and separately the number still to
/// authenticate with CLIENT (on listeners that require it), and reaches them all at shutdown.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        /// Connections that have not sent a good CLIENT yet, oldest first.
        var unauthenticated: [ObjectIdentifier] = []
    }

    private let limit: Int
    private let unauthenticatedLimit: Int
    private let state = Mutex(State())
    private let gauge = Gauge(label: "authd_line_connections")

    init(limit: Int, unauthenticatedLimit: Int = .max) {
        self.limit = limit
        self.unauthenticatedLimit = unauthenticatedLimit
    }

    var count: Int { state.withLock { $0.channels.count } }

    /// What `add` decided.
    enum Admission {
        case admitted
        /// Admitted; the oldest connection still to authenticate made room and is to be closed.
        case admittedEvicting(any Channel)
        /// The limit is reached: the caller refuses the connection.
        case refused
    }

    /// Adds a connection. One that must still authenticate never takes one of the last places:
    /// when `unauthenticatedLimit` of them are open, the oldest makes way, so idle sockets can
    /// hold at most that many places (and each only until its CLIENT deadline).
    func add(_ channel: any Channel, authenticated: Bool) -> Admission {
        let (admission, count) = state.withLock { state -> (Admission, Int) in
            guard state.channels.count < limit else { return (.refused, state.channels.count) }
            let id = ObjectIdentifier(channel)
            state.channels[id] = channel
            guard !authenticated else { return (.admitted, state.channels.count) }
            state.unauthenticated.append(id)
            guard state.unauthenticated.count > unauthenticatedLimit else { return (.admitted, state.channels.count) }
            let oldest = state.unauthenticated.removeFirst()
            guard let evicted = state.channels[oldest] else { return (.admitted, state.channels.count) }
            return (.admittedEvicting(evicted), state.channels.count)
        }
        gauge.record(count)
        return admission
    }

    /// The connection sent a good CLIENT: it no longer counts against the unauthenticated limit.
    func authenticated(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { $0.unauthenticated.removeAll { $0 == id } }
    }

    func remove(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        gauge.record(
            state.withLock { state in
                state.channels.removeValue(forKey: id)
                state.unauthenticated.removeAll { $0 == id }
                return state.channels.count
            })
    }

    /// Asks every connection to close once its requests in flight are answered.
    func drainAll() {
        for channel in state.withLock({ Array($0.channels.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(DrainEvent())
        }
    }

    func closeAll() {
        for channel in state.withLock({ Array($0.channels.values) }) {
            channel.close(promise: nil)
        }
    }
}
