public import AuthCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why a ceremony's response was refused: a stable code for the front ends and the audit log, and
/// a message safe to show (never the response's bytes).
public struct WebAuthnError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// Bytes that do not parse: client data, authenticator data, CBOR, a key.
        case malformed
        /// `type` is not the ceremony's (`webauthn.get` for a sign-in, `webauthn.create` for a registration).
        case wrongType = "wrong_type"
        case wrongChallenge = "wrong_challenge"
        /// The origin is not one of the relying party's, or the request came from a cross-origin frame.
        case wrongOrigin = "wrong_origin"
        /// The authenticator data's RP ID hash is not the relying party's.
        case wrongRelyingParty = "wrong_relying_party"
        case userNotPresent = "user_not_present"
        case userNotVerified = "user_not_verified"
        case badSignature = "bad_signature"
        /// An attestation authd does not accept, or one that does not verify.
        case badAttestation = "bad_attestation"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// Whom the ceremonies are for: the RP ID (a registrable domain of the origins) and the exact
/// origins the browser may report.
public struct RelyingParty: Hashable, Sendable {
    public var id: String
    public var origins: Set<String>

    public init(id: String, origins: Set<String>) {
        self.id = id
        self.origins = origins
    }

    /// SHA-256 of the RP ID, as authenticator data carries it.
    public var idHash: [UInt8] { (try? Digest.hash(.sha256, Array(id.utf8))) ?? [] }
}

/// Whether the authenticator must verify the person (WebAuthn's `userVerification`).
public enum UserVerification: String, Hashable, Sendable, CaseIterable {
    case required, preferred, discouraged
}

/// The client data a browser signs over (WebAuthn §5.8.1), as far as a relying party reads it.
public struct ClientData: Hashable, Sendable {
    public let type: String
    public let challenge: [UInt8]
    public let origin: String
    public let crossOrigin: Bool

    private struct JSON: Decodable {
        var type: String
        var challenge: String
        var origin: String
        var crossOrigin: Bool?
    }

    /// Longer client data is refused before parsing.
    public static let maximumLength = 4096

    public init(json bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count <= Self.maximumLength,
            let json = try? JSONDecoder().decode(JSON.self, from: Data(bytes)),
            let challenge = Base64.url.decode(json.challenge)
        else { throw WebAuthnError(.malformed, "the client data is not WebAuthn's JSON") }
        type = json.type
        self.challenge = challenge
        origin = json.origin
        crossOrigin = json.crossOrigin ?? false
    }

    /// What authenticators sign beside their data: SHA-256 of the client data's exact bytes.
    static func hash(_ clientDataJSON: [UInt8]) throws(WebAuthnError) -> [UInt8] {
        do {
            return try Digest.hash(.sha256, clientDataJSON)
        } catch {
            throw WebAuthnError(.malformed, "the client data could not be hashed")
        }
    }

    /// WebAuthn §7.1 steps 7–10 and §7.2 steps 11–14: the ceremony's type, the challenge issued
    /// (compared in constant time), an origin of the relying party's, not from a cross-origin frame.
    func check(type expected: String, challenge issued: [UInt8], relyingParty: RelyingParty) throws(WebAuthnError) {
        guard type == expected else { throw WebAuthnError(.wrongType, "the client data is not for this ceremony") }
        guard ConstantTime.equals(challenge, issued) else {
            throw WebAuthnError(.wrongChallenge, "the response answers another challenge")
        }
        guard relyingParty.origins.contains(origin), !crossOrigin else {
            throw WebAuthnError(.wrongOrigin, "the response comes from an origin that is not this site's")
        }
    }
}

/// A sign-in with a registered credential (WebAuthn §7.2), verified: the flags the authenticator
/// set and its new signature counter. `counterWentBack` says the counter did not grow where it
/// counts (a cloned authenticator, or a rewound one); what to do about it is the caller's policy.
public struct Assertion: Hashable, Sendable {
    public let flags: AuthenticatorData.Flags
    public let signCount: UInt32
    public let counterWentBack: Bool

    /// The stored `publicKey` (a COSE_Key) and `storedSignCount` are the credential's; the
    /// challenge is the one issued for this ceremony.
    public static func verify(
        clientDataJSON: [UInt8], authenticatorData bytes: [UInt8], signature: [UInt8], publicKey: PublicKey,
        storedSignCount: UInt32, challenge: [UInt8], relyingParty: RelyingParty, userVerification: UserVerification
    ) throws(WebAuthnError) -> Assertion {
        let clientData = try ClientData(json: clientDataJSON)
        try clientData.check(type: "webauthn.get", challenge: challenge, relyingParty: relyingParty)
        let data: AuthenticatorData
        do {
            data = try AuthenticatorData(bytes)
        } catch {
            throw WebAuthnError(.malformed, error.reason)
        }
        try Self.checkFlags(data, relyingParty: relyingParty, userVerification: userVerification)
        guard publicKey.verify(signature, of: bytes + (try ClientData.hash(clientDataJSON)), format: .der) else {
            throw WebAuthnError(.badSignature, "the signature does not verify with the credential's key")
        }
        let counts = data.signCount != 0 || storedSignCount != 0
        return Assertion(
            flags: data.flags, signCount: data.signCount, counterWentBack: counts && data.signCount <= storedSignCount)
    }

    /// The RP ID's hash, UP always, UV when required (§7.2 steps 15–17).
    static func checkFlags(
        _ data: AuthenticatorData, relyingParty: RelyingParty, userVerification: UserVerification
    ) throws(WebAuthnError) {
        guard ConstantTime.equals(data.rpIDHash, relyingParty.idHash) else {
            throw WebAuthnError(.wrongRelyingParty, "the authenticator answered for another relying party")
        }
        guard data.flags.contains(.userPresent) else {
            throw WebAuthnError(.userNotPresent, "the authenticator did not see the person")
        }
        guard userVerification != .required || data.flags.contains(.userVerified) else {
            throw WebAuthnError(.userNotVerified, "the authenticator did not verify the person")
        }
    }
}
