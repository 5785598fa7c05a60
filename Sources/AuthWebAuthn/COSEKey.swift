public import AuthCrypto

/// A credential public key as authenticators hand it over: a COSE_Key map (RFC 9052 §7) of the
/// three algorithms authd accepts (RFC 9053, RFC 8812): EC2 on P-256 with ES256 (-7), OKP Ed25519
/// with EdDSA (-8), RSA with RS256 (-257). The key's parameters must be the algorithm's and
/// complete; private parameters are refused.
public enum COSEKey {
    /// COSE's algorithm identifiers for the algorithms authd verifies.
    public static let algorithms: [Int64: JWSAlgorithm] = [-7: .es256, -8: .edDSA, -257: .rs256]

    public struct Refused: Error, Hashable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { "COSE key refused: \(reason)" }
    }

    public static func publicKey(_ key: CBOR) throws(Refused) -> PublicKey {
        guard let type = key[1]?.integer, let identifier = key[3]?.integer else {
            throw Refused(reason: "kty and alg are required")
        }
        guard let algorithm = algorithms[identifier] else {
            throw Refused(reason: "an algorithm authd does not accept")
        }
        func parameter(_ label: Int64) throws(Refused) -> String {
            guard let bytes = key[label]?.byteString else { throw Refused(reason: "parameter \(label) is missing") }
            return Base64.url.encode(bytes)
        }
        let jwk: [String: String]
        switch (type, algorithm) {
        case (2, .es256):
            guard key[-1]?.integer == 1, key[-4] == nil else {
                throw Refused(reason: "an EC2 key for ES256 is on P-256")
            }
            jwk = ["kty": "EC", "crv": "P-256", "x": try parameter(-2), "y": try parameter(-3)]
        case (1, .edDSA):
            guard key[-1]?.integer == 6, key[-4] == nil else {
                throw Refused(reason: "an OKP key for EdDSA is Ed25519")
            }
            jwk = ["kty": "OKP", "crv": "Ed25519", "x": try parameter(-2)]
        case (3, .rs256):
            guard key[-3] == nil else { throw Refused(reason: "an RSA key with private parameters") }
            jwk = ["kty": "RSA", "n": try parameter(-1), "e": try parameter(-2)]
        default:
            throw Refused(reason: "the key type is not the algorithm's")
        }
        do {
            return try PublicKey(jwk: jwk, algorithm: algorithm)
        } catch {
            throw Refused(reason: "not a valid \(algorithm.rawValue) public key")
        }
    }
}
