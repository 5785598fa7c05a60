import AuthCore
import Testing

@Suite("doorbell")
struct DoorbellTests {
    let clock = ContinuousClock()

    @Test("a ring ends a wait at once; a ring before the wait is kept for it, once; no ring: the timeout")
    func rings() async throws {
        let doorbell = Doorbell()
        let early = await clock.measure {
            async let waited: Void = doorbell.wait(upTo: .seconds(30))
            try? await Task.sleep(for: .milliseconds(50))
            doorbell.ring()
            await waited
        }
        #expect(early < .seconds(10))
        doorbell.ring()
        #expect(await clock.measure { await doorbell.wait(upTo: .seconds(30)) } < .seconds(10), "kept")
        let timedOut = await clock.measure { await doorbell.wait(upTo: .milliseconds(200)) }
        #expect(timedOut >= .milliseconds(200) && timedOut < .seconds(10), "the kept ring was used up")
    }

    @Test("cancelling the waiting task ends the wait")
    func cancelled() async throws {
        let doorbell = Doorbell()
        let waited = await clock.measure {
            let task = Task { await doorbell.wait(upTo: .seconds(30)) }
            try? await Task.sleep(for: .milliseconds(50))
            task.cancel()
            await task.value
        }
        #expect(waited < .seconds(10))
    }
}
