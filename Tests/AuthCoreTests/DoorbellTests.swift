import AuthCore
import Testing

/// The waits are long (120 s) and the bounds loose (60 s): what is checked is that a ring or a
/// cancellation ends a wait rather than its timeout, on a machine the whole suite keeps busy.
@Suite("doorbell")
struct DoorbellTests {
    let clock = ContinuousClock()

    @Test("a ring ends a wait at once; a ring before the wait is kept for it, once; no ring: the timeout")
    func rings() async throws {
        let doorbell = Doorbell()
        let early = await clock.measure {
            async let waited: Void = doorbell.wait(upTo: .seconds(120))
            try? await Task.sleep(for: .milliseconds(50))
            doorbell.ring()
            await waited
        }
        #expect(early < .seconds(60))
        doorbell.ring()
        #expect(await clock.measure { await doorbell.wait(upTo: .seconds(120)) } < .seconds(60), "kept")
        let timedOut = await clock.measure { await doorbell.wait(upTo: .milliseconds(200)) }
        #expect(timedOut >= .milliseconds(200) && timedOut < .seconds(60), "the kept ring was used up")
    }

    @Test("cancelling the waiting task ends the wait")
    func cancelled() async throws {
        let doorbell = Doorbell()
        let waited = await clock.measure {
            let task = Task { await doorbell.wait(upTo: .seconds(120)) }
            try? await Task.sleep(for: .milliseconds(50))
            task.cancel()
            await task.value
        }
        #expect(waited < .seconds(60))
    }
}
