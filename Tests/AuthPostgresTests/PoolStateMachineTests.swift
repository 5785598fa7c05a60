import Testing

@testable import AuthPostgres

@Suite("PoolStateMachine: the pool's rules without threads or a database")
struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String>

    /// A machine with both of its two connections open and lent out.
    func full() -> Machine {
        var machine = Machine(maxConnections: 2)
        for _ in 0..<2 {
            guard case .open = machine.lease() else {
                Issue.record("a free slot opens a connection")
                return machine
            }
        }
        return machine
    }

    func waiter(_ action: Machine.LeaseAction) -> Machine.WaiterID? {
        if case .wait(let id) = action { return id }
        return nil
    }

    @Test("opens up to maxConnections, reuses an idle connection before opening, then queues")
    func bounded() throws {
        var machine = Machine(maxConnections: 2)
        guard case .open = machine.lease(), case .open = machine.lease() else { throw Failure("two slots") }
        #expect(machine.open == 2)
        #expect(waiter(machine.lease()) != nil, "the third caller waits")
        var other = Machine(maxConnections: 2)
        _ = other.lease()
        guard case .none = other.released("a") else { throw Failure("no waiter: the connection goes idle") }
        guard case .use("a") = other.lease() else { throw Failure("the idle connection is reused") }
        #expect(other.open == 1)
    }

    @Test("waiters are served first come, first served")
    func fifo() throws {
        var machine = full()
        let ids = (0..<3).compactMap { _ in waiter(machine.lease()) }
        #expect(ids.count == 3)
        for (index, id) in ids.enumerated() {
            guard case .hand(let connection, to: let served) = machine.released("c\(index)") else {
                throw Failure("a release goes to a waiter")
            }
            #expect(served == id && connection == "c\(index)")
        }
        guard case .none = machine.released("last") else { throw Failure("no one left: idle") }
        #expect(machine.idle == ["last"] && machine.open == 2)
    }

    @Test("a waiter that timed out is out of line; one served already cannot time out")
    func timeout() throws {
        var machine = full()
        let first = try #require(waiter(machine.lease()))
        let second = try #require(waiter(machine.lease()))
        let timedOut = machine.timedOut(first)
        let again = machine.timedOut(first)
        #expect(timedOut && !again, "out of line, once")
        guard case .hand(_, to: second) = machine.released("c") else { throw Failure("the next in line") }
        let late = machine.timedOut(second)
        #expect(!late, "served before its time was up")
        #expect(machine.waiters.isEmpty)
    }

    @Test("a broken connection's slot goes to the first waiter, who opens a new one; else it is freed")
    func brokenReplaced() throws {
        var machine = full()
        let id = try #require(waiter(machine.lease()))
        guard case .openFor(id) = machine.discarded() else { throw Failure("the waiter opens in the freed slot") }
        #expect(machine.open == 2, "the slot passed on, still counted")
        guard case .none = machine.discarded() else { throw Failure("no waiter") }
        #expect(machine.open == 1)
        guard case .open = machine.lease() else { throw Failure("the freed slot opens again") }
    }

    @Test("a broken connection drops the idle ones with it; the next callers open fresh connections")
    func brokenDropsIdle() throws {
        var machine = Machine(maxConnections: 3)
        for _ in 0..<3 { _ = machine.lease() }
        _ = machine.released("a")
        _ = machine.released("b")
        #expect(machine.dropIdle() == ["a", "b"])
        #expect(machine.idle.isEmpty && machine.open == 1, "only the broken one, still lent, is counted")
        guard case .none = machine.discarded() else { throw Failure("no waiter") }
        #expect(machine.open == 0)
        guard case .open = machine.lease() else { throw Failure("a fresh connection, not a dropped one") }
        #expect(machine.dropIdle().isEmpty && machine.open == 1, "nothing idle: nothing dropped")
    }

    @Test("close fails every waiter, drops the connections that come back, refuses new leases")
    func closeWithWaiters() throws {
        var machine = full()
        let ids = (0..<2).compactMap { _ in waiter(machine.lease()) }
        let closed = machine.close()
        #expect(closed.waiters == ids && closed.idle.isEmpty)
        #expect(machine.waiters.isEmpty)
        guard case .fail = machine.lease() else { throw Failure("closed") }
        guard case .drop("back") = machine.released("back") else { throw Failure("dropped") }
        #expect(machine.open == 1)
        guard case .none = machine.discarded() else { throw Failure("a broken one is simply gone") }
        #expect(machine.open == 0, "every slot accounted for")
    }

    @Test("close hands back the idle connections; those lent out stay counted until they return")
    func closeIdle() {
        var machine = Machine(maxConnections: 3)
        _ = machine.lease()
        _ = machine.lease()
        _ = machine.released("a")
        let closed = machine.close()
        #expect(closed.idle == ["a"] && machine.idle.isEmpty)
        #expect(machine.open == 1)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
