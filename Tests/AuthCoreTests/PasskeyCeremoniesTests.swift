import AuthCore
import AuthCrypto
import AuthTestSupport
import AuthWebAuthn
import Testing

@Suite("passkey ceremonies: challenges issued and taken once on any instance, responses verified")
struct PasskeyCeremoniesTests {
    static let policy = PasskeyPolicy(
        relyingParty: RelyingParty(id: "example.com", origins: ["https://example.com"]), userVerification: .required)

    static func ceremonies(_ stack: TestStack) -> PasskeyCeremonies {
        PasskeyCeremonies(policy: policy, store: stack.stores.passkeys, users: stack.users)
    }

    /// `authenticator`'s credential registered for `user`, asked for by `binding`.
    static func register(
        _ ceremonies: PasskeyCeremonies, _ authenticator: SoftAuthenticator, for user: User, binding: String = "s1"
    ) async throws -> Passkey {
        let options = try await ceremonies.registrationOptions(for: user, binding: binding)
        let response = try authenticator.registration(challenge: options.challenge)
        return try await ceremonies.register(
            user: user, binding: binding, clientDataJSON: response.clientDataJSON,
            attestationObject: response.attestationObject, name: "Laptop")
    }

    static func code(_ call: () async throws -> some Any) async -> AuthError.Code? {
        do {
            _ = try await call()
            return nil
        } catch {
            return (error as? AuthError)?.code ?? .internal
        }
    }

    @Test(
        "register, then sign in with no username typed; the counter moves; options name the user's credentials",
        arguments: TestStack.Backing.allCases)
    func registerAndSignIn(_ backing: TestStack.Backing) async throws {
        let stack = try await TestStack(backing: backing)
        let ceremonies = Self.ceremonies(stack)
        let (user, _) = try await stack.account()
        var authenticator = try SoftAuthenticator()
        let passkey = try await Self.register(ceremonies, authenticator, for: user)
        #expect(passkey.userID == user.id && passkey.id == authenticator.credentialID && passkey.name == "Laptop")
        let again = try await ceremonies.registrationOptions(for: user, binding: "s1")
        #expect(again.credentialIDs == [passkey.id] && again.userHandle == PasskeyCeremonies.userHandle(user.id))

        let options = try await ceremonies.signInOptions(for: nil, binding: "browser")
        #expect(options.credentialIDs.isEmpty, "discoverable: the authenticator names its user")
        let response = try authenticator.assertion(challenge: options.challenge)
        let signedIn = try await ceremonies.signIn(
            binding: "browser", credentialID: authenticator.credentialID, clientDataJSON: response.clientDataJSON,
            authenticatorData: response.authenticatorData, signature: response.signature)
        #expect(signedIn.user.id == user.id && signedIn.flags.contains(.userVerified))
        #expect(try await stack.stores.passkeys.passkey(id: passkey.id)?.signCount == 1)
        #expect(try await ceremonies.signInOptions(for: user, binding: "b").credentialIDs == [passkey.id])
        await stack.shutdown()
    }

    @Test(
        "refused alike: a replayed or another asker's challenge, the other ceremony's, an unknown credential, another account's"
    )
    func refusals() async throws {
        let stack = try await TestStack(backing: .memory)
        let ceremonies = Self.ceremonies(stack)
        let (user, _) = try await stack.account()
        let (other, _) = try await stack.account()
        var authenticator = try SoftAuthenticator()
        _ = try await Self.register(ceremonies, authenticator, for: user)
        var stranger = try SoftAuthenticator()
        _ = try await Self.register(ceremonies, stranger, for: other)

        func signIn(_ authenticator: inout SoftAuthenticator, challenge: [UInt8], binding: String, id: [UInt8]? = nil)
            async -> AuthError.Code?
        {
            guard let response = try? authenticator.assertion(challenge: challenge) else { return .internal }
            let id = id ?? authenticator.credentialID
            return await Self.code {
                try await ceremonies.signIn(
                    binding: binding, credentialID: id, clientDataJSON: response.clientDataJSON,
                    authenticatorData: response.authenticatorData, signature: response.signature)
            }
        }
        let options = try await ceremonies.signInOptions(for: nil, binding: "b")
        #expect(await signIn(&authenticator, challenge: options.challenge, binding: "elsewhere") == .invalidPasskey)
        #expect(await signIn(&authenticator, challenge: options.challenge, binding: "b") == nil)
        #expect(await signIn(&authenticator, challenge: options.challenge, binding: "b") == .invalidPasskey, "replayed")
        let registration = try await ceremonies.registrationOptions(for: user, binding: "b")
        #expect(await signIn(&authenticator, challenge: registration.challenge, binding: "b") == .invalidPasskey)
        let unknown = try await ceremonies.signInOptions(for: nil, binding: "b")
        #expect(
            await signIn(&authenticator, challenge: unknown.challenge, binding: "b", id: try SecureRandom.bytes(32))
                == .invalidPasskey)
        let forUser = try await ceremonies.signInOptions(for: user, binding: "b")
        #expect(
            await signIn(&stranger, challenge: forUser.challenge, binding: "b") == .invalidPasskey, "another account's")
        await stack.shutdown()
    }

    @Test("a counter that went backwards refuses the sign-in and marks the passkey suspect; it then signs nobody in")
    func rewoundCounter() async throws {
        let stack = try await TestStack(backing: .memory)
        let ceremonies = Self.ceremonies(stack)
        let (user, _) = try await stack.account()
        var authenticator = try SoftAuthenticator()
        authenticator.signCount = 40
        let passkey = try await Self.register(ceremonies, authenticator, for: user)
        authenticator.signCount = 3
        for _ in 0..<2 {
            let options = try await ceremonies.signInOptions(for: nil, binding: "b")
            let response = try authenticator.assertion(challenge: options.challenge)
            #expect(
                await Self.code {
                    try await ceremonies.signIn(
                        binding: "b", credentialID: passkey.id, clientDataJSON: response.clientDataJSON,
                        authenticatorData: response.authenticatorData, signature: response.signature)
                } == .invalidPasskey)
            authenticator.signCount = 100
        }
        #expect(try await stack.stores.passkeys.passkey(id: passkey.id)?.suspect == true)
        await stack.shutdown()
    }

    @Test("a registration answers only its own user's challenge, from an allowed origin")
    func registrationRefusals() async throws {
        let stack = try await TestStack(backing: .memory)
        let ceremonies = Self.ceremonies(stack)
        let (user, _) = try await stack.account()
        let (other, _) = try await stack.account()
        let authenticator = try SoftAuthenticator()
        let options = try await ceremonies.registrationOptions(for: user, binding: "s")
        let response = try authenticator.registration(challenge: options.challenge)
        #expect(
            await Self.code {
                try await ceremonies.register(
                    user: other, binding: "s", clientDataJSON: response.clientDataJSON,
                    attestationObject: response.attestationObject, name: "x")
            } == .invalidPasskey)
        let next = try await ceremonies.registrationOptions(for: user, binding: "s")
        let foreign = try authenticator.registration(challenge: next.challenge, origin: "https://evil.example")
        #expect(
            await Self.code {
                try await ceremonies.register(
                    user: user, binding: "s", clientDataJSON: foreign.clientDataJSON,
                    attestationObject: foreign.attestationObject, name: "x")
            } == .invalidPasskey)
        #expect(try await stack.stores.passkeys.passkeys(userID: user.id).isEmpty)
        await stack.shutdown()
    }
}
