public import AuthCrypto
public import AuthWebAuthn
import Foundation

/// A software authenticator for tests: one credential of its own key pair, making the
/// authenticator data, client data and signatures a browser and a security key would, each part
/// overridable to make the bad ones.
public struct SoftAuthenticator: Sendable {
    public let key: SigningKey
    public let credentialID: [UInt8]
    public var signCount: UInt32 = 0
    public static let aaguid = [UInt8](repeating: 0, count: 16)

    public init(_ algorithm: JWSAlgorithm = .es256) throws {
        key = try SigningKey.generate(algorithm)
        credentialID = try SecureRandom.bytes(32)
    }

    /// The credential's public key as a COSE_Key.
    public var coseKey: CBOR {
        get throws {
            .map(Dictionary(uniqueKeysWithValues: try Self.coseEntries(key).map { (CBOR.int($0.key), $0.value) }))
        }
    }

    /// `key`'s public half as a COSE_Key's entries (RFC 9053: EC2, OKP or RSA), as authenticators write it.
    public static func coseEntries(_ key: SigningKey) throws -> [Int64: CBOR] {
        let jwk = try key.publicJWK()
        let bytes = { (name: String) in CBOR.bytes(Base64.url.decode(jwk[name]!)!) }
        return switch key.algorithm {
        case .es256: [1: .int(2), 3: .int(-7), -1: .int(1), -2: bytes("x"), -3: bytes("y")]
        case .edDSA: [1: .int(1), 3: .int(-8), -1: .int(6), -2: bytes("x")]
        default: [1: .int(3), 3: .int(-257), -1: bytes("n"), -2: bytes("e")]
        }
    }

    public static func clientDataJSON(
        type: String, challenge: [UInt8], origin: String, crossOrigin: Bool = false
    ) -> [UInt8] {
        let challenge = Base64.url.encode(challenge)
        return Array(
            #"{"type":"\#(type)","challenge":"\#(challenge)","origin":"\#(origin)","crossOrigin":\#(crossOrigin)}"#.utf8
        )
    }

    /// Authenticator data for `rpID` with `flags`; with `attested`, the credential's ID and key.
    public func authenticatorData(rpID: String, flags: AuthenticatorData.Flags, attested: Bool = false) throws
        -> [UInt8]
    {
        var data = try Digest.hash(.sha256, Array(rpID.utf8))
        data.append((attested ? flags.union(.attestedCredential) : flags).rawValue)
        data += withUnsafeBytes(of: signCount.bigEndian, Array.init)
        if attested {
            data += Self.aaguid + [UInt8(credentialID.count >> 8), UInt8(credentialID.count & 0xFF)] + credentialID
            data += try coseKey.encoded
        }
        return data
    }

    /// A sign-in's response: client data, authenticator data, and the signature over the
    /// authenticator data and the client data's hash (DER for ES256, as authenticators write it).
    public mutating func assertion(
        challenge: [UInt8], rpID: String = "example.com", origin: String = "https://example.com",
        type: String = "webauthn.get", flags: AuthenticatorData.Flags = [.userPresent, .userVerified],
        crossOrigin: Bool = false
    ) throws -> (clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8]) {
        signCount &+= 1
        let clientData = Self.clientDataJSON(type: type, challenge: challenge, origin: origin, crossOrigin: crossOrigin)
        let data = try authenticatorData(rpID: rpID, flags: flags)
        return (clientData, data, try sign(data + (try Digest.hash(.sha256, clientData))))
    }

    /// A registration's response: client data and an attestation object of `format` (`none`, or
    /// `packed` self attestation signed by the credential's key), with `statement` replacing the
    /// attestation statement when given.
    public func registration(
        challenge: [UInt8], rpID: String = "example.com", origin: String = "https://example.com",
        format: String = "none", flags: AuthenticatorData.Flags = [.userPresent, .userVerified],
        statement: [String: CBOR]? = nil
    ) throws -> (clientDataJSON: [UInt8], attestationObject: [UInt8]) {
        let clientData = Self.clientDataJSON(type: "webauthn.create", challenge: challenge, origin: origin)
        let data = try authenticatorData(rpID: rpID, flags: flags, attested: true)
        var attestation: [String: CBOR] = [:]
        if format == "packed" {
            let identifier: Int64 =
                switch key.algorithm {
                case .es256: -7
                case .edDSA: -8
                default: -257
                }
            attestation = [
                "alg": .int(identifier), "sig": .bytes(try sign(data + (try Digest.hash(.sha256, clientData)))),
            ]
        }
        let object = CBOR.map([
            .text("fmt"): .text(format),
            .text("attStmt"): .map(
                Dictionary(uniqueKeysWithValues: (statement ?? attestation).map { (.text($0.key), $0.value) })),
            .text("authData"): .bytes(data),
        ])
        return (clientData, object.encoded)
    }

    /// `message` signed by the credential's key, ECDSA as DER.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        let signature = try key.sign(message)
        guard key.algorithm == .es256 else { return signature }
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty || value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = integer(signature[0..<32]) + integer(signature[32..<64])
        return [0x30, UInt8(body.count)] + body
    }
}
