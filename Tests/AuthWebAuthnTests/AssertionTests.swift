import AuthCrypto
import AuthTestSupport
import AuthWebAuthn
import Testing

@Suite("WebAuthn sign-in (§7.2): a passkey's assertion verified against the relying party and its challenge")
struct AssertionTests {
    static let party = RelyingParty(id: "example.com", origins: ["https://example.com"])

    static func verify(
        _ response: (clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8]),
        _ authenticator: SoftAuthenticator, challenge: [UInt8], stored: UInt32 = 0,
        userVerification: UserVerification = .preferred
    ) throws -> Assertion {
        try Assertion.verify(
            clientDataJSON: response.clientDataJSON, authenticatorData: response.authenticatorData,
            signature: response.signature, publicKey: try COSEKey.publicKey(try authenticator.coseKey),
            storedSignCount: stored, challenge: challenge, relyingParty: party, userVerification: userVerification)
    }

    @Test(
        "ES256, EdDSA and RS256 credentials sign in; the counter moves on",
        arguments: [JWSAlgorithm.es256, .edDSA, .rs256])
    func signIn(_ algorithm: JWSAlgorithm) throws {
        var authenticator = try SoftAuthenticator(algorithm)
        let challenge = try SecureRandom.bytes(32)
        let response = try authenticator.assertion(challenge: challenge)
        let assertion = try Self.verify(response, authenticator, challenge: challenge, userVerification: .required)
        #expect(assertion.signCount == 1 && !assertion.counterWentBack)
        #expect(assertion.flags.contains(.userVerified))
    }

    @Test(
        "refused: wrong origin or cross-origin frame, the other ceremony's type, another challenge, another RP ID, no UP"
    )
    func refusals() throws {
        var authenticator = try SoftAuthenticator()
        let challenge = try SecureRandom.bytes(32)
        let cases:
            [(
                String, WebAuthnError.Code,
                (inout SoftAuthenticator) throws -> (
                    clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8]
                )
            )] = [
                (
                    "another origin", .wrongOrigin,
                    { try $0.assertion(challenge: challenge, origin: "https://evil.example") }
                ),
                (
                    "a subdomain origin", .wrongOrigin,
                    { try $0.assertion(challenge: challenge, origin: "https://a.example.com") }
                ),
                ("a cross-origin frame", .wrongOrigin, { try $0.assertion(challenge: challenge, crossOrigin: true) }),
                (
                    "the registration's type", .wrongType,
                    { try $0.assertion(challenge: challenge, type: "webauthn.create") }
                ),
                ("another challenge", .wrongChallenge, { try $0.assertion(challenge: try SecureRandom.bytes(32)) }),
                ("another RP ID", .wrongRelyingParty, { try $0.assertion(challenge: challenge, rpID: "evil.example") }),
                ("UP cleared", .userNotPresent, { try $0.assertion(challenge: challenge, flags: [.userVerified]) }),
            ]
        for (what, code, make) in cases {
            let response = try make(&authenticator)
            #expect(throws: WebAuthnError.self, "\(what)") {
                try Self.verify(response, authenticator, challenge: challenge)
            }
            do {
                _ = try Self.verify(response, authenticator, challenge: challenge)
            } catch let error as WebAuthnError {
                #expect(error.code == code, "\(what): \(error)")
            }
        }
    }

    @Test("user verification: required refuses a response without UV; preferred and discouraged take it")
    func userVerification() throws {
        var authenticator = try SoftAuthenticator()
        let challenge = try SecureRandom.bytes(32)
        let response = try authenticator.assertion(challenge: challenge, flags: [.userPresent])
        #expect(throws: WebAuthnError(.userNotVerified, "the authenticator did not verify the person")) {
            try Self.verify(response, authenticator, challenge: challenge, userVerification: .required)
        }
        for policy in [UserVerification.preferred, .discouraged] {
            #expect((try? Self.verify(response, authenticator, challenge: challenge, userVerification: policy)) != nil)
        }
    }

    @Test("a tampered signature, authenticator data or client data, or another key's signature, does not verify")
    func tampering() throws {
        var authenticator = try SoftAuthenticator()
        let other = try SoftAuthenticator()
        let challenge = try SecureRandom.bytes(32)
        let good = try authenticator.assertion(challenge: challenge)
        var signature = good.signature
        signature[signature.count - 1] ^= 1
        var data = good.authenticatorData
        data[36] ^= 1
        let forged = try other.sign(good.authenticatorData + (try Digest.hash(.sha256, good.clientDataJSON)))
        for bad in [
            (good.clientDataJSON, good.authenticatorData, signature), (good.clientDataJSON, data, good.signature),
            (good.clientDataJSON, good.authenticatorData, forged),
        ] {
            #expect(throws: WebAuthnError(.badSignature, "the signature does not verify with the credential's key")) {
                try Self.verify(bad, authenticator, challenge: challenge)
            }
        }
        let reordered = Array(
            String(decoding: good.clientDataJSON, as: UTF8.self).replacingOccurrences(of: "false", with: "false ").utf8)
        #expect(throws: WebAuthnError.self, "the signature covers the client data's exact bytes") {
            try Self.verify((reordered, good.authenticatorData, good.signature), authenticator, challenge: challenge)
        }
    }

    @Test("a counter that did not grow is reported (a cloned or rewound authenticator); two zeros are not")
    func counter() throws {
        var authenticator = try SoftAuthenticator()
        let challenge = try SecureRandom.bytes(32)
        authenticator.signCount = 10
        let rewound = try authenticator.assertion(challenge: challenge)
        #expect(try Self.verify(rewound, authenticator, challenge: challenge, stored: 20).counterWentBack)
        #expect(try Self.verify(rewound, authenticator, challenge: challenge, stored: 11).counterWentBack, "equal")
        #expect(!(try Self.verify(rewound, authenticator, challenge: challenge, stored: 10).counterWentBack))
        authenticator.signCount = UInt32.max
        var zero = try SoftAuthenticator()
        zero.signCount = UInt32.max  // wraps to 0 at the next assertion
        let none = try zero.assertion(challenge: challenge)
        #expect(!(try Self.verify(none, zero, challenge: challenge, stored: 0).counterWentBack))
    }
}
