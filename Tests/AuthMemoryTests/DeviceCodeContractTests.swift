import AuthCore
import AuthTestSupport
import Testing

/// RFC 8628's device codes in both stores: a user code taken is refused, a request is answered
/// once, a poll sooner than the interval is `slow_down`, an allowed request is spent
/// by one poll, and other clients, expired and spent codes get nothing.
@Suite("store contract: device codes and pushed requests")
struct DeviceCodeContractTests {
    static func code() -> String {
        // Eight letters of the alphabet, unique per test run (the shared database keeps user codes).
        let alphabet = Array("BCDFGHJKLMNPQRSTVWXZ")
        var value = UInt64.random(in: 0..<(1 << 34))
        var letters: [Character] = []
        for _ in 0..<8 {
            letters.append(alphabet[Int(value % 20)])
            value /= 20
        }
        return String(letters)
    }

    @Test(
        "saved once per user code; answered once; polls within the interval slow down; one poll spends an allowed request",
        arguments: TestStack.Backing.allCases)
    func lifecycle(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let codes = stack.stores.codes
            let client = try await Contract.client(stack)
            let user = try await Contract.user(stack)
            let userCode = Self.code()
            let hash = try Contract.digest("device-\(userCode)")
            #expect(
                try await codes.saveDevice(
                    codeHash: hash, userCode: userCode, clientID: client.id, scopes: ["openid"], lifetime: 600,
                    interval: 300))
            #expect(
                !(try await codes.saveDevice(
                    codeHash: try Contract.digest("other-\(userCode)"), userCode: userCode, clientID: client.id,
                    scopes: [], lifetime: 600, interval: 1)),
                "a user code in use is refused")
            let asked = try #require(try await codes.deviceRequest(userCode: userCode))
            #expect(asked.clientID == client.id && asked.scopes == ["openid"] && asked.userCode == userCode)

            #expect(try await codes.pollDevice(codeHash: hash, clientID: client.id) == .pending)
            // (That the interval grows is DeviceFlowTests', on a clock of its own.)
            #expect(try await codes.pollDevice(codeHash: hash, clientID: client.id) == .slowDown)
            #expect(try await codes.pollDevice(codeHash: hash, clientID: client.id) == .slowDown)
            #expect(try await codes.pollDevice(codeHash: hash, clientID: "someone-else") == .invalid)

            let approval = DeviceApproval(userID: user.id, authTime: 1234, methods: ["pwd"], ssoSessionID: nil)
            #expect(try await codes.decideDevice(userCode: userCode, approval: approval))
            #expect(!(try await codes.decideDevice(userCode: userCode, approval: nil)), "answered once")
            #expect(try await codes.deviceRequest(userCode: userCode) == nil)
            guard case .approved(let grant) = try await codes.pollDevice(codeHash: hash, clientID: client.id) else {
                Issue.record("an allowed request is spent by the next poll")
                return
            }
            #expect(grant.userID == user.id && grant.authTime == 1234 && grant.scopes == ["openid"])
            #expect(grant.clientID == client.id && grant.methods == ["pwd"])
            #expect(try await codes.pollDevice(codeHash: hash, clientID: client.id) == .invalid, "spent")
        }
    }

    @Test("a refused request stays refused; an expired one is expired_token", arguments: TestStack.Backing.allCases)
    func refusedAndExpired(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let codes = stack.stores.codes
            let client = try await Contract.client(stack)
            let refused = Self.code()
            let refusedHash = try Contract.digest("device-\(refused)")
            _ = try await codes.saveDevice(
                codeHash: refusedHash, userCode: refused, clientID: client.id, scopes: [], lifetime: 600,
                interval: 5)
            #expect(try await codes.decideDevice(userCode: refused, approval: nil))
            #expect(try await codes.pollDevice(codeHash: refusedHash, clientID: client.id) == .denied)
            #expect(try await codes.pollDevice(codeHash: refusedHash, clientID: client.id) == .denied)

            let late = Self.code()
            let lateHash = try Contract.digest("device-\(late)")
            _ = try await codes.saveDevice(
                codeHash: lateHash, userCode: late, clientID: client.id, scopes: [], lifetime: 1, interval: 5)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await codes.deviceRequest(userCode: late) == nil)
            #expect(!(try await codes.decideDevice(userCode: late, approval: nil)))
            #expect(try await codes.pollDevice(codeHash: lateHash, clientID: client.id) == .expired)
        }
    }

    @Test(
        "a pushed request is taken once, by its client only, before it expires",
        arguments: TestStack.Backing.allCases)
    func pushed(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let codes = stack.stores.codes
            let client = try await Contract.client(stack)
            let other = try await Contract.client(stack)
            let hash = try Contract.digest("pushed-\(client.id)")
            try await codes.savePushed(uriHash: hash, clientID: client.id, parameters: #"{"state":"s"}"#, lifetime: 60)
            #expect(try await codes.takePushed(uriHash: hash, clientID: other.id) == nil, "another client's")
            #expect(try await codes.takePushed(uriHash: hash, clientID: client.id) == #"{"state":"s"}"#)
            #expect(try await codes.takePushed(uriHash: hash, clientID: client.id) == nil, "taken once")
            let late = try Contract.digest("late-\(client.id)")
            try await codes.savePushed(uriHash: late, clientID: client.id, parameters: "{}", lifetime: 1)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await codes.takePushed(uriHash: late, clientID: client.id) == nil, "expired")
        }
    }
}
