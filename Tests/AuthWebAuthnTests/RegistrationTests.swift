import AuthCrypto
import AuthTestSupport
import AuthWebAuthn
import Testing

@Suite("WebAuthn registration (§7.1): a new passkey's attestation verified")
struct RegistrationTests {
    static let party = AssertionTests.party

    static func verify(
        _ response: (clientDataJSON: [UInt8], attestationObject: [UInt8]), challenge: [UInt8],
        userVerification: UserVerification = .preferred
    ) throws -> Registration {
        try Registration.verify(
            clientDataJSON: response.clientDataJSON, attestationObject: response.attestationObject,
            challenge: challenge, relyingParty: party, userVerification: userVerification)
    }

    @Test(
        "none and packed self attestation register a credential whose key then verifies its sign-ins",
        arguments: [
            ("none", JWSAlgorithm.es256), ("packed", .es256), ("packed", .edDSA), ("packed", .rs256), ("none", .edDSA),
        ])
    func registers(_ format: String, _ algorithm: JWSAlgorithm) throws {
        var authenticator = try SoftAuthenticator(algorithm)
        let challenge = try SecureRandom.bytes(32)
        let registered = try Self.verify(
            try authenticator.registration(challenge: challenge, format: format), challenge: challenge)
        #expect(registered.credentialID == authenticator.credentialID && registered.algorithm == algorithm)
        #expect(registered.format == format && registered.aaguid == SoftAuthenticator.aaguid)
        let next = try SecureRandom.bytes(32)
        let signIn = try authenticator.assertion(challenge: next)
        let assertion = try Assertion.verify(
            clientDataJSON: signIn.clientDataJSON, authenticatorData: signIn.authenticatorData,
            signature: signIn.signature, publicKey: try COSEKey.publicKey(registered.publicKey),
            storedSignCount: registered.signCount, challenge: next, relyingParty: Self.party,
            userVerification: .required)
        #expect(assertion.signCount == 1 && !assertion.counterWentBack)
    }

    @Test(
        "refused: another origin, the sign-in's type, another challenge, no UP, a none with a statement, a forged packed signature, x5c"
    )
    func refusals() throws {
        let authenticator = try SoftAuthenticator()
        let other = try SoftAuthenticator()
        let challenge = try SecureRandom.bytes(32)
        let forged = try other.sign([1, 2, 3])
        let cases: [(String, WebAuthnError.Code, (clientDataJSON: [UInt8], attestationObject: [UInt8]))] = [
            (
                "another origin", .wrongOrigin,
                try authenticator.registration(challenge: challenge, origin: "https://evil.example")
            ),
            (
                "another RP ID", .wrongRelyingParty,
                try authenticator.registration(challenge: challenge, rpID: "evil.example")
            ),
            (
                "another challenge", .wrongChallenge,
                try authenticator.registration(challenge: try SecureRandom.bytes(32))
            ),
            ("no UP", .userNotPresent, try authenticator.registration(challenge: challenge, flags: [.userVerified])),
            (
                "none with a statement", .badAttestation,
                try authenticator.registration(challenge: challenge, statement: ["sig": .bytes(forged)])
            ),
            (
                "packed, forged", .badAttestation,
                try authenticator.registration(
                    challenge: challenge, format: "packed", statement: ["alg": .int(-7), "sig": .bytes(forged)])
            ),
            (
                "packed, another alg", .badAttestation,
                try authenticator.registration(
                    challenge: challenge, format: "packed", statement: ["alg": .int(-8), "sig": .bytes(forged)])
            ),
            (
                "packed with x5c", .badAttestation,
                try authenticator.registration(
                    challenge: challenge, format: "packed",
                    statement: ["alg": .int(-7), "sig": .bytes(forged), "x5c": .array([.bytes([0x30])])])
            ),
            ("tpm", .badAttestation, try authenticator.registration(challenge: challenge, format: "tpm")),
        ]
        for (what, code, response) in cases {
            do {
                _ = try Self.verify(response, challenge: challenge)
                Issue.record("\(what) was accepted")
            } catch let error as WebAuthnError {
                #expect(error.code == code, "\(what): \(error)")
            }
        }
        let signIn = SoftAuthenticator.clientDataJSON(
            type: "webauthn.get", challenge: challenge, origin: "https://example.com")
        let response = try authenticator.registration(challenge: challenge)
        #expect(throws: WebAuthnError.self, "the sign-in's type") {
            try Self.verify((signIn, response.attestationObject), challenge: challenge)
        }
        #expect(throws: WebAuthnError.self, "UV required") {
            try Self.verify(
                try authenticator.registration(challenge: challenge, flags: [.userPresent]), challenge: challenge,
                userVerification: .required)
        }
    }
}
