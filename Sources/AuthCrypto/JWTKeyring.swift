/// One HMAC key with the `kid` that names it in token headers.
public struct JWTKey: Sendable {
    public let id: String
    let secret: [UInt8]
    /// HS256 under `secret`, its key setup done once.
    let mac: PreparedHMAC

    /// Secrets shorter than this are refused: HS256 wants at least the hash size (RFC 7518 §3.2).
    public static let minimumSecretLength = 32

    public init(id: String, secret: [UInt8]) throws(CryptoError) {
        guard !id.isEmpty, id.utf8.count <= 64, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw CryptoError(.invalidParameters, "a key id is 1 to 64 printable ASCII characters")
        }
        guard secret.count >= Self.minimumSecretLength else {
            throw CryptoError(.invalidParameters, "a JWT secret needs at least \(Self.minimumSecretLength) bytes")
        }
        self.id = id
        self.secret = secret
        self.mac = try PreparedHMAC(.sha256, key: secret)
    }

    /// A kid derived from the secret, so every instance sharing a secret names it alike without
    /// configuration, and the kid reveals nothing usable about the secret.
    public static func derivedID(for secret: [UInt8]) throws(CryptoError) -> String {
        let digest = try Digest.hash(.sha256, Array("authd-kid:".utf8) + secret)
        return String(Base64.url.encode(digest.prefix(9)))
    }
}

/// The signing key plus older keys that still verify, looked up by `kid`: rotating the signing
/// key does not log anybody out while the old key stays listed. The HMAC secret is always there
/// (other keys are derived from it, and HS256 tokens verify with it); with a `signingPair`, access
/// tokens are signed by that private key instead, and its public half, with the previous pairs',
/// is what a JWKS publishes. A pair's `kid` is its RFC 7638 thumbprint.
public struct JWTKeyring: Sendable {
    public let signingKey: JWTKey
    private let keys: [String: JWTKey]
    /// The key pair access tokens are signed with; nil signs them with HS256.
    public let signingPair: (id: String, key: SigningKey)?
    /// Every key pair that verifies, the signing one first.
    public let pairs: [(id: String, key: SigningKey)]
    /// The pairs' public keys as JWKs (RFC 7517) with `kid`, `alg` and `use`, in the same order,
    /// then the ID-token pair's when it is none of them: what a JWK Set publishes. Never the secret.
    public let publicKeys: [[String: String]]
    /// The RS256 pair ID tokens are signed with (OpenID Connect requires RS256): `idTokenKey`, or
    /// else the signing pair when it is RS256; nil when there is neither. An ID-token pair of its
    /// own verifies no access token.
    public let idTokenPair: (id: String, key: SigningKey)?

    public init(
        signingKey: JWTKey, verificationKeys: [JWTKey] = [], signingPair: SigningKey? = nil,
        previousPairs: [SigningKey] = [], idTokenKey: SigningKey? = nil
    ) throws(CryptoError) {
        var keys = [signingKey.id: signingKey]
        for key in verificationKeys where key.id != signingKey.id {
            guard keys[key.id] == nil else {
                throw CryptoError(.invalidParameters, "duplicate key id \(key.id)")
            }
            keys[key.id] = key
        }
        var pairs: [(id: String, key: SigningKey)] = []
        var publicKeys: [[String: String]] = []
        for pair in [signingPair].compactMap({ $0 }) + previousPairs {
            let id = try pair.thumbprint()
            guard keys[id] == nil, !pairs.contains(where: { $0.id == id }) else {
                throw CryptoError(.invalidParameters, "key pair \(id) is listed twice")
            }
            pairs.append((id, pair))
            publicKeys.append(
                try pair.publicJWK().merging(["kid": id, "alg": pair.algorithm.rawValue, "use": "sig"]) { $1 })
        }
        self.signingPair = signingPair == nil ? nil : pairs.first
        if let idTokenKey {
            guard idTokenKey.algorithm == .rs256 else {
                throw CryptoError(.invalidParameters, "the ID token key must be an RSA key (RS256)")
            }
            let id = try idTokenKey.thumbprint()
            if !pairs.contains(where: { $0.id == id }) {
                publicKeys.append(
                    try idTokenKey.publicJWK().merging(["kid": id, "alg": JWSAlgorithm.rs256.rawValue, "use": "sig"]) {
                        $1
                    })
            }
            idTokenPair = (id, idTokenKey)
        } else {
            idTokenPair = self.signingPair?.key.algorithm == .rs256 ? self.signingPair : nil
        }
        self.publicKeys = publicKeys
        self.signingKey = signingKey
        self.keys = keys
        self.pairs = pairs
    }

    public func key(id: String) -> JWTKey? { keys[id] }

    /// The key pair named `id` when it signs with `algorithm`: a token's `alg` must be its key's.
    public func pair(id: String, algorithm: JWSAlgorithm) -> SigningKey? {
        pairs.first { $0.id == id && $0.key.algorithm == algorithm }?.key
    }

    /// What access tokens are signed with.
    public var signingAlgorithm: JWSAlgorithm { signingPair?.key.algorithm ?? .hs256 }

    /// What ID tokens can be signed with: RS256 (OpenID Connect's; the ID-token pair, without
    /// which `openid` cannot be configured), and the access-token signing pair's algorithm when
    /// that is another public-key one.
    public var idTokenAlgorithms: [JWSAlgorithm] {
        guard let other = signingPair?.key.algorithm, other != .rs256 else { return [.rs256] }
        return [.rs256, other]
    }

    /// The pair that signs ID tokens with `algorithm`; nil when there is none.
    public func idTokenPair(for algorithm: JWSAlgorithm) -> (id: String, key: SigningKey)? {
        if algorithm == .rs256 { return idTokenPair }
        guard idTokenPair != nil, let pair = signingPair, pair.key.algorithm == algorithm else { return nil }
        return pair
    }
}

/// Keys print as their id only, so no log line or reflection (`"\(service)"`) can carry a secret.
extension JWTKey: CustomStringConvertible, CustomReflectable {
    public var description: String { "JWTKey(id: \(id))" }
    public var customMirror: Mirror { Mirror(self, children: ["id": id]) }
}

extension JWTKeyring: CustomStringConvertible, CustomReflectable {
    public var description: String { "JWTKeyring(signing: \(signingPair?.id ?? signingKey.id))" }
    public var customMirror: Mirror { Mirror(self, children: ["signing": signingPair?.id ?? signingKey.id]) }
}
