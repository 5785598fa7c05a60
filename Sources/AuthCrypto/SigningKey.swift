internal import COpenSSL

/// The JWS algorithms authd signs and verifies with (RFC 7518 §3, RFC 8037 for EdDSA).
public enum JWSAlgorithm: String, Sendable, Hashable, CaseIterable {
    case hs256 = "HS256"
    case rs256 = "RS256"
    case es256 = "ES256"
    case edDSA = "EdDSA"

    /// The key type OpenSSL names, for the public-key algorithms.
    var keyType: String? {
        switch self {
        case .hs256: nil
        case .rs256: "RSA"
        case .es256: "EC"
        case .edDSA: "ED25519"
        }
    }
}

/// A private key for public-key signatures (Ed25519, P-256 or RSA of at least 2048 bits), loaded
/// from PEM or generated, through OpenSSL's EVP interface. Its algorithm follows from the key, so
/// a key signs and verifies with exactly one algorithm. The public half is what a JWKS publishes.
public final class SigningKey: Sendable {
    public let algorithm: JWSAlgorithm
    /// The EVP_PKEY; never changed after init. OpenSSL allows one key in concurrent sign and
    /// verify operations, each with its own context.
    nonisolated(unsafe) private let key: OpaquePointer

    /// RSA keys shorter than this are refused (RFC 7518 §3.3 requires 2048 bits).
    public static let minimumRSABits = 2048
    /// The size `generate` gives an RSA key.
    public static let generatedRSABits: UInt32 = 3072

    private init(taking key: OpaquePointer) throws(CryptoError) {
        self.key = key
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_ED25519:
            algorithm = .edDSA
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1,
                String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) == "prime256v1"
            else {
                EVP_PKEY_free(key)
                throw CryptoError(.invalidParameters, "an EC key must be on P-256 (ES256)")
            }
            algorithm = .es256
        case EVP_PKEY_RSA:
            guard EVP_PKEY_get_bits(key) >= Self.minimumRSABits else {
                EVP_PKEY_free(key)
                throw CryptoError(.invalidParameters, "an RSA key needs at least \(Self.minimumRSABits) bits")
            }
            algorithm = .rs256
        default:
            EVP_PKEY_free(key)
            throw CryptoError(.invalidParameters, "only Ed25519, P-256 and RSA keys sign tokens")
        }
    }

    deinit { EVP_PKEY_free(key) }

    /// The private key in `pem` (PKCS#8 `PRIVATE KEY`, or a traditional `RSA`/`EC PRIVATE KEY`
    /// block); encrypted keys are refused.
    public convenience init(pem: String) throws(CryptoError) {
        var text = Array(pem.utf8)
        guard
            let key = text.withUnsafeMutableBufferPointer({ buffer in
                buffer.withMemoryRebound(to: CChar.self) { authd_private_key_from_pem($0.baseAddress, $0.count) }
            })
        else { throw CryptoError(.invalidParameters, "no unencrypted private key in the PEM text") }
        try self.init(taking: key)
    }

    /// A new key for `algorithm` (not HS256).
    public static func generate(_ algorithm: JWSAlgorithm) throws(CryptoError) -> SigningKey {
        guard let type = algorithm.keyType else {
            throw CryptoError(.invalidParameters, "HS256 uses a secret, not a key pair")
        }
        guard let key = authd_generate_key(type, generatedRSABits) else {
            throw CryptoError(.openSSL, "key generation failed")
        }
        return try SigningKey(taking: key)
    }

    /// The private key as unencrypted PKCS#8 PEM: for `authctl key generate` to write to a file.
    public func privatePEM() throws(CryptoError) -> String {
        var out = [CChar](repeating: 0, count: 16_384)
        let length = authd_private_key_to_pem(key, &out, out.count)
        guard length > 0 else { throw CryptoError(.openSSL, "the key could not be written as PEM") }
        return String(decoding: out.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The JWS signature of `message`: for ES256 the fixed-size r || s of RFC 7518 §3.4, not DER.
    public func sign(_ message: some Collection<UInt8>) throws(CryptoError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw CryptoError(.openSSL, "EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, digest, nil, key) == 1 else {
            throw CryptoError(.openSSL, "EVP_DigestSignInit failed")
        }
        let input = Array(message)
        var length = 0
        guard EVP_DigestSign(context, nil, &length, input, input.count) == 1 else {
            throw CryptoError(.openSSL, "EVP_DigestSign failed")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, input, input.count) == 1 else {
            throw CryptoError(.openSSL, "EVP_DigestSign failed")
        }
        signature.removeLast(signature.count - length)
        guard algorithm == .es256 else { return signature }
        var raw = [UInt8](repeating: 0, count: 64)
        guard authd_ecdsa_der_to_raw(signature, signature.count, &raw, 32) == 1 else {
            throw CryptoError(.openSSL, "the ECDSA signature could not be converted")
        }
        return raw
    }

    /// True when `signature` is this key's signature of `message` under its algorithm.
    public func verify(_ signature: [UInt8], of message: some Collection<UInt8>) -> Bool {
        PublicKey.verify(signature, of: message, key: key, algorithm: algorithm)
    }

    /// SHA-256 for RS256 and ES256; none for Ed25519, which hashes inside the signature.
    private var digest: OpaquePointer? { algorithm == .edDSA ? nil : EVP_sha256() }

    /// The public key's JWK members (RFC 7517, 7518 §6, 8037 §2), without `kid`, `alg` or `use`.
    public func publicJWK() throws(CryptoError) -> [String: String] {
        switch algorithm {
        case .edDSA:
            var raw = [UInt8](repeating: 0, count: 32)
            var length = raw.count
            guard EVP_PKEY_get_raw_public_key(key, &raw, &length) == 1, length == 32 else {
                throw CryptoError(.openSSL, "the Ed25519 public key could not be read")
            }
            return ["kty": "OKP", "crv": "Ed25519", "x": Base64.url.encode(raw)]
        case .es256:
            return [
                "kty": "EC", "crv": "P-256", "x": Base64.url.encode(try number("qx", width: 32)),
                "y": Base64.url.encode(try number("qy", width: 32)),
            ]
        case .rs256:
            return ["kty": "RSA", "n": Base64.url.encode(try number("n")), "e": Base64.url.encode(try number("e"))]
        case .hs256:
            throw CryptoError(.invalidParameters, "HS256 has no public key")
        }
    }

    /// The RFC 7638 thumbprint of the public key: a `kid` every instance holding the same key
    /// derives alike, which reveals nothing but the public key.
    public func thumbprint() throws(CryptoError) -> String {
        try PublicKey.thumbprint(algorithm, try publicJWK())
    }

    /// A big-endian integer parameter of the key, left-padded to `width` bytes when given.
    private func number(_ name: String, width: Int? = nil) throws(CryptoError) -> [UInt8] {
        var value: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key, name, &value) == 1, let value else {
            throw CryptoError(.openSSL, "the key's \(name) could not be read")
        }
        defer { BN_free(value) }
        let size = width ?? Int((BN_num_bits(value) + 7) / 8)
        var out = [UInt8](repeating: 0, count: size)
        guard BN_bn2binpad(value, &out, Int32(size)) == Int32(size) else {
            throw CryptoError(.openSSL, "the key's \(name) does not fit")
        }
        return out
    }
}

/// Keys print as their algorithm only, so no log line or reflection can carry one.
extension SigningKey: CustomStringConvertible, CustomReflectable {
    public var description: String { "SigningKey(\(algorithm.rawValue))" }
    public var customMirror: Mirror { Mirror(self, children: ["algorithm": algorithm.rawValue]) }
}
