import AuthMemory
import Synchronization

/// Unix time a test moves instead of sleeping: it starts at the real time and moves only when
/// told. One clock drives a memory-backed `TestStack`'s use cases (seconds) and its in-memory
/// database (milliseconds), so idle timeouts, grace windows and `max_age` are tested without
/// waiting for them. (PostgreSQL keeps its own clock: tests on it move rows' times instead.)
public final class TestClock: Sendable {
    private let milliseconds: Mutex<Int64>

    public init() {
        milliseconds = Mutex(MemoryDatabase.milliseconds())
    }

    public var nowMilliseconds: Int64 { milliseconds.withLock { $0 } }
    /// Unix seconds.
    public var now: Int64 { nowMilliseconds / 1000 }

    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        milliseconds.withLock { $0 += seconds * 1000 + attoseconds / 1_000_000_000_000_000 }
    }
}
