import AuthCore
import AuthTestSupport
import Testing

/// DPoP's replay cache on both backings: a proof is recorded once while its time runs; after it, the
/// same hash may be recorded again (its proof's window is over).
@Suite("store contract: DPoP proofs seen")
struct ProofReplayContractTests {
    @Test("a proof hash is recorded once until it expires, then again", arguments: TestStack.Backing.allCases)
    func recordOnce(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let replays = stack.stores.proofReplays
            let live = try Contract.digest(TestDatabase.uniqueName("live"))
            #expect(try await replays.record(proofHash: live, until: UnixTime.now() + 60))
            #expect(!(try await replays.record(proofHash: live, until: UnixTime.now() + 60)), "a replay")
            let over = try Contract.digest(TestDatabase.uniqueName("over"))
            #expect(try await replays.record(proofHash: over, until: UnixTime.now() - 1))
            #expect(try await replays.record(proofHash: over, until: UnixTime.now() + 60), "its time was over")
            #expect(!(try await replays.record(proofHash: over, until: UnixTime.now() + 60)))
        }
    }
}
