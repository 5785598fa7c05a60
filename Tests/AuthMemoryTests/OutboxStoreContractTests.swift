import AuthCore
import AuthTestSupport
import Logging
import Synchronization
import Testing

/// The outbox on both backings, each case on a database of its own: a claim takes every due row,
/// whoever added it.
@Suite("store contract: the outbox and its delivery")
struct OutboxStoreContractTests {
    static func stack(_ backing: TestStack.Backing) async throws -> TestStack {
        try await TestStack(
            backing: backing, databaseURL: backing == .postgres ? try TestDatabase.freshMigratedURL() : nil)
    }

    static func mail(_ number: Int) -> OutboxMessage {
        OutboxMessage(kind: .mail, payload: #"{"to":"user\#(number)@example.com"}"#)
    }

    @Test(
        "claims take due messages oldest first, once while leased; only the latest claim settles one",
        arguments: TestStack.Backing.allCases)
    func claims(_ backing: TestStack.Backing) async throws {
        let stack = try await Self.stack(backing)
        let outbox = stack.stores.outbox
        try await outbox.enqueue((1...3).map(Self.mail))
        let first = try await outbox.claim(limit: 2, lease: 60_000)
        #expect(first.map(\.message) == [Self.mail(1), Self.mail(2)], "the payload comes back as written")
        #expect(first.map(\.attempts) == [1, 1] && first[0].id < first[1].id)
        #expect(first.allSatisfy { $0.claimedAt >= $0.createdAt })
        let second = try await outbox.claim(limit: 5, lease: 60_000)
        #expect(second.map(\.message) == [Self.mail(3)], "leased messages are not claimed again")
        #expect(try await outbox.depth() == OutboxDepth(queued: 3, failed: 0))

        #expect(try await outbox.delivered(first[0]))
        #expect(try await outbox.deferred(first[1], after: 0, reason: "421 try later"))
        let retried = try await outbox.claim(limit: 5, lease: 60_000)
        #expect(retried.map(\.message) == [Self.mail(2)] && retried.map(\.attempts) == [2])
        #expect(!(try await outbox.delivered(first[1])), "a claim that was taken over settles nothing")
        #expect(try await outbox.failed(second[0], reason: "550 no such user"))
        #expect(try await outbox.depth() == OutboxDepth(queued: 1, failed: 1))
        #expect(try await outbox.claim(limit: 5, lease: 0).map(\.message) == [], "nothing due: #2 is leased")
        #expect(try await outbox.delivered(retried[0]))
        #expect(try await outbox.depth() == OutboxDepth(queued: 0, failed: 1), "a given-up message stays")
        #expect(try await outbox.claim(limit: 5, lease: 0).isEmpty)
        await stack.shutdown()
    }

    @Test("a claim whose lease ended is taken over, as when its instance died", arguments: TestStack.Backing.allCases)
    func leaseEnds(_ backing: TestStack.Backing) async throws {
        let stack = try await Self.stack(backing)
        let outbox = stack.stores.outbox
        try await outbox.enqueue([Self.mail(1)])
        let dead = try #require(try await outbox.claim(limit: 1, lease: 0).first)
        let next = try #require(try await outbox.claim(limit: 1, lease: 60_000).first)
        #expect(next.id == dead.id && next.attempts == 2)
        #expect(!(try await outbox.delivered(dead)))
        #expect(try await outbox.delivered(next))
        #expect(try await outbox.depth() == OutboxDepth(queued: 0, failed: 0))
        await stack.shutdown()
    }

    @Test("concurrent claims take disjoint messages and together all of them", arguments: TestStack.Backing.allCases)
    func concurrentClaims(_ backing: TestStack.Backing) async throws {
        let stack = try await Self.stack(backing)
        let outbox = stack.stores.outbox
        try await outbox.enqueue((1...40).map(Self.mail))
        let claims = try await withThrowingTaskGroup(of: [OutboxItem].self) { group in
            for _ in 0..<4 { group.addTask { try await outbox.claim(limit: 10, lease: 60_000) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let ids = claims.flatMap { $0.map(\.id) }
        #expect(ids.count == 40 && Set(ids).count == 40)
        await stack.shutdown()
    }

    /// Outcomes scripted per recipient number; records what it was handed.
    final class ScriptedHandler: OutboxHandler {
        let outcomes: [String: OutboxOutcome]
        let handed = Mutex<[String]>([])

        init(_ outcomes: [String: OutboxOutcome]) {
            self.outcomes = outcomes
        }

        func deliver(_ item: OutboxItem) async -> OutboxOutcome {
            handed.withLock { $0.append(item.message.payload) }
            return outcomes[item.message.payload] ?? .delivered
        }
    }

    @Test(
        "delivery: delivered removed, temporary deferred and retried, permanent and unknown kinds given up",
        arguments: TestStack.Backing.allCases)
    func delivery(_ backing: TestStack.Backing) async throws {
        let stack = try await Self.stack(backing)
        let outbox = stack.stores.outbox
        let handler = ScriptedHandler([
            Self.mail(2).payload: .temporary("421 busy"), Self.mail(3).payload: .permanent("550 no such user"),
        ])
        let delivery = OutboxDelivery(
            store: outbox, handlers: [.mail: handler], configuration: .init(batchSize: 10, firstRetry: 0),
            logger: Logger(label: "test"))
        let unknown = OutboxMessage(kind: .init(rawValue: "carrier-pigeon"), payload: "{}")
        try await outbox.enqueue((1...3).map(Self.mail) + [unknown])
        let settled = try await delivery.deliverDue()
        #expect(settled.values.sorted { "\($0)" < "\($1)" } == [.deferred, .delivered, .failed, .failed])
        #expect(handler.handed.withLock { $0.count } == 3, "the unknown kind reached no handler")
        #expect(try await outbox.depth() == OutboxDepth(queued: 1, failed: 2))
        let again = try await delivery.deliverDue()
        #expect(Array(again.values) == [.deferred], "retried, and deferred again")

        let impatient = OutboxDelivery(
            store: outbox, handlers: [.mail: handler], configuration: .init(giveUpAfter: -1),
            logger: Logger(label: "test"))
        #expect(Array(try await impatient.deliverDue().values) == [.failed], "past giveUpAfter: given up")
        #expect(try await outbox.depth() == OutboxDepth(queued: 0, failed: 3))
        await stack.shutdown()
    }

    @Test("retries wait twice as long each time, up to the maximum")
    func retryDelays() {
        let configuration = OutboxDelivery.Configuration(firstRetry: 30_000, maximumRetry: 3_600_000)
        #expect(
            (1...9).map(configuration.retryDelay(afterAttempt:)) == [
                30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000,
            ])
        #expect(configuration.retryDelay(afterAttempt: 10_000) == 3_600_000)
    }
}
