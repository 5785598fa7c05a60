import Synchronization

/// Wakes one waiting task early: the outbox's deliverer waits on it between rounds, and the
/// database's notification of a new message rings it. A ring with nobody waiting is kept for the
/// next wait, so none is lost between a round and the wait after it.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns once the bell rang (or had rung since the last wait), after `timeout`, or when the
    /// task is cancelled. One waiter at a time.
    public func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Only a sleep that ran its course rings: a cancelled one leaves no ring behind.
                if (try? await Task.sleep(for: timeout)) != nil { self.ring() }
            }
            group.addTask {
                await withTaskCancellationHandler {
                    await self.waitForRing()
                } onCancel: {
                    self.ring()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let rung = state.withLock { state -> Bool in
                if state.rung {
                    state.rung = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if rung { continuation.resume() }
        }
    }
}
