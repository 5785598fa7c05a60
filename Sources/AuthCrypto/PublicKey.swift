internal import COpenSSL

/// A public key someone else holds, read from a JWK (RFC 7517): what a DPoP proof (RFC 9449)
/// carries and is signed with. The key type is the one `algorithm` names (P-256 for ES256, Ed25519
/// for EdDSA, RSA of 2,048 to 8,192 bits for RS256); a JWK with private members is refused.
public final class PublicKey: Sendable {
    public let algorithm: JWSAlgorithm
    /// RFC 7638's SHA-256 thumbprint, of the key's members as authd re-encodes them: the `jkt` a
    /// token bound to this key carries.
    public let thumbprint: String
    /// The EVP_PKEY; never changed after init (OpenSSL allows concurrent verifications).
    nonisolated(unsafe) private let key: OpaquePointer

    static let maximumRSABits = 8192

    public init(jwk: [String: String], algorithm: JWSAlgorithm) throws(CryptoError) {
        let refused = CryptoError(.invalidParameters, "the JWK is not a public \(algorithm.rawValue) key")
        guard jwk["d"] == nil, jwk["k"] == nil else { throw refused }
        func member(_ name: String, count: ClosedRange<Int>) throws(CryptoError) -> [UInt8] {
            guard let bytes = jwk[name].flatMap(Base64.url.decode), count.contains(bytes.count) else { throw refused }
            return bytes
        }
        let made: OpaquePointer?
        var canonical: [String: [UInt8]]
        switch algorithm {
        case .es256:
            guard jwk["kty"] == "EC", jwk["crv"] == "P-256" else { throw refused }
            canonical = ["x": try member("x", count: 32...32), "y": try member("y", count: 32...32)]
            made = authd_public_key("EC", canonical["x"]!, 32, canonical["y"]!, 32)
        case .edDSA:
            guard jwk["kty"] == "OKP", jwk["crv"] == "Ed25519" else { throw refused }
            canonical = ["x": try member("x", count: 32...32)]
            made = authd_public_key("ED25519", canonical["x"]!, 32, nil, 0)
        case .rs256:
            guard jwk["kty"] == "RSA" else { throw refused }
            let modulus = try member("n", count: (SigningKey.minimumRSABits / 8)...(Self.maximumRSABits / 8))
            let exponent = try member("e", count: 1...8)
            guard modulus[0] != 0, exponent[0] != 0 else { throw refused }
            canonical = ["n": modulus, "e": exponent]
            made = authd_public_key("RSA", modulus, modulus.count, exponent, exponent.count)
        case .hs256:
            throw refused
        }
        guard let made else { throw refused }
        key = made
        self.algorithm = algorithm
        do {
            thumbprint = try Self.thumbprint(algorithm, canonical.mapValues { Base64.url.encode($0) })
        } catch {
            EVP_PKEY_free(made)
            throw error
        }
    }

    deinit { EVP_PKEY_free(key) }

    /// How an ECDSA signature is written: JOSE's fixed r || s (RFC 7518 §3.4), or ASN.1 DER as
    /// WebAuthn authenticators write it. The other algorithms have one form.
    public enum SignatureFormat: Sendable {
        case jose, der
    }

    /// True when `signature` is this key's signature of `message`.
    public func verify(_ signature: [UInt8], of message: some Collection<UInt8>, format: SignatureFormat = .jose)
        -> Bool
    {
        Self.verify(signature, of: message, key: key, algorithm: algorithm, format: format)
    }

    /// The verification `SigningKey` and `PublicKey` share: `key` an EVP_PKEY of `algorithm`'s type.
    static func verify(
        _ signature: [UInt8], of message: some Collection<UInt8>, key: OpaquePointer, algorithm: JWSAlgorithm,
        format: SignatureFormat = .jose
    ) -> Bool {
        var der = signature
        if algorithm == .es256, format == .jose {
            guard signature.count == 64 else { return false }
            var out = [UInt8](repeating: 0, count: 80)
            let length = authd_ecdsa_raw_to_der(signature, 32, &out, out.count)
            guard length > 0 else { return false }
            der = Array(out.prefix(length))
        }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        // SHA-256 for RS256 and ES256; none for Ed25519, which hashes inside the signature.
        guard EVP_DigestVerifyInit(context, nil, algorithm == .edDSA ? nil : EVP_sha256(), nil, key) == 1 else {
            return false
        }
        let input = Array(message)
        return EVP_DigestVerify(context, der, der.count, input, input.count) == 1
    }

    /// RFC 7638 §3: SHA-256 of the required members (`kty`, the curve, the coordinates or modulus
    /// and exponent), sorted, without spaces, base64url.
    static func thumbprint(_ algorithm: JWSAlgorithm, _ members: [String: String]) throws(CryptoError) -> String {
        var members = members
        switch algorithm {
        case .edDSA: (members["kty"], members["crv"]) = ("OKP", "Ed25519")
        case .es256: (members["kty"], members["crv"]) = ("EC", "P-256")
        case .rs256: members["kty"] = "RSA"
        case .hs256: throw CryptoError(.invalidParameters, "HS256 has no public key")
        }
        // The values are base64url or fixed names: nothing in them needs escaping.
        let json = "{" + members.keys.sorted().map { "\"\($0)\":\"\(members[$0]!)\"" }.joined(separator: ",") + "}"
        return Base64.url.encode(try Digest.hash(.sha256, Array(json.utf8)))
    }
}

/// Keys print as their algorithm and thumbprint only.
extension PublicKey: CustomStringConvertible {
    public var description: String { "PublicKey(\(algorithm.rawValue), \(thumbprint))" }
}
