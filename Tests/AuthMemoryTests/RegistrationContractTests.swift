import AuthCore
import AuthTestSupport
import Testing

/// Dynamic registration's storage on both backings: an initial access token is spent use by use
/// until its uses or its time run out; a client is found by its registration token's hash.
@Suite("store contract: dynamic registration")
struct RegistrationContractTests {
    @Test(
        "initial access tokens spend their uses, then refuse; expired ones refuse; a client by its registration hash",
        arguments: TestStack.Backing.allCases)
    func tokens(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let clients = stack.clients
            let limited = try Contract.digest(TestDatabase.uniqueName("limited"))
            try await clients.createRegistrationToken(
                hash: limited, expiresAt: UnixTime.now() + 3600, uses: 2, by: Contract.actor)
            #expect(try await clients.spendRegistrationToken(hash: limited))
            #expect(try await clients.spendRegistrationToken(hash: limited))
            #expect(!(try await clients.spendRegistrationToken(hash: limited)), "two uses")
            let unlimited = try Contract.digest(TestDatabase.uniqueName("unlimited"))
            try await clients.createRegistrationToken(
                hash: unlimited, expiresAt: UnixTime.now() + 3600, uses: nil, by: Contract.actor)
            for _ in 0..<3 { #expect(try await clients.spendRegistrationToken(hash: unlimited)) }
            let expired = try Contract.digest(TestDatabase.uniqueName("expired"))
            try await clients.createRegistrationToken(
                hash: expired, expiresAt: UnixTime.now() - 1, uses: nil, by: Contract.actor)
            #expect(!(try await clients.spendRegistrationToken(hash: expired)))
            #expect(!(try await clients.spendRegistrationToken(hash: Contract.digest("unknown"))))

            let registration = try Contract.digest(TestDatabase.uniqueName("registration"))
            var new = NewClient(
                id: TestDatabase.uniqueName("k"), grantTypes: [.authorizationCode], scopes: ["openid"],
                redirectURIs: ["https://rp.example/cb"])
            new.registrationHash = registration
            let created = try await clients.create(new, secretHash: Contract.hash, by: Contract.actor)
            #expect(try await clients.client(registrationHash: registration)?.id == created.id)
            #expect(try await clients.client(registrationHash: Contract.digest("other")) == nil)
            _ = try await clients.delete(clientID: created.id, by: Contract.actor)
            #expect(try await clients.client(registrationHash: registration) == nil)
        }
    }
}
