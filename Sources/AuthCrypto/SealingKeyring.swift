/// AES-256-GCM keys for secrets kept in the database (TOTP secrets), separate from the JWT keys.
/// Each sealed value is stored with the id of the key that sealed it; older keys still open their
/// values during a rotation. Keys are derived from configured secret material, ids from the keys.
public struct SealingKeyring: Sendable {
    public let currentID: String
    private let keys: [String: [UInt8]]

    public init(current: [UInt8], previous: [[UInt8]] = []) throws(CryptoError) {
        var keys: [String: [UInt8]] = [:]
        var currentID = ""
        for (index, material) in ([current] + previous).enumerated() {
            guard material.count >= 32 else {
                throw CryptoError(.invalidParameters, "sealing key material needs at least 32 bytes")
            }
            let key = try HMAC.authenticate(.sha256, key: material, message: Array("authd sealing key v1".utf8))
            let id = Base64.url.encode(try Digest.hash(.sha256, Array("authd-sealing-kid:".utf8) + key).prefix(9))
            if index == 0 { currentID = id }
            keys[id] = key
        }
        self.currentID = currentID
        self.keys = keys
    }

    /// Sealed under the current key; `context` (say, the owner's id) must be given again to open it.
    public func seal(_ plaintext: [UInt8], context: [UInt8]) throws(CryptoError) -> [UInt8] {
        try AESGCM.seal(plaintext, key: keys[currentID]!, associatedData: context)
    }

    public func open(_ sealed: [UInt8], keyID: String, context: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let key = keys[keyID] else { throw CryptoError(.openFailed, "no configured key has this id") }
        return try AESGCM.open(sealed, key: key, associatedData: context)
    }
}

extension SealingKeyring {
    /// Whether `material` is the JWT signing secret: one secret must not serve both purposes.
    public static func sameMaterial(_ material: [UInt8], asSigningKeyOf keyring: JWTKeyring) -> Bool {
        ConstantTime.equals(material, keyring.signingKey.secret)
    }
}

extension JWTKeyring {
    /// A 32-byte key for another purpose, derived from the signing secret: every instance sharing
    /// the secret derives the same one, and it reveals nothing about the secret.
    public func derivedKey(purpose: String) throws(CryptoError) -> [UInt8] {
        try HMAC.authenticate(.sha256, key: signingKey.secret, message: Array("authd derived key: \(purpose)".utf8))
    }
}

extension SealingKeyring: CustomStringConvertible, CustomReflectable {
    public var description: String { "SealingKeyring(current: \(currentID))" }
    public var customMirror: Mirror { Mirror(self, children: ["current": currentID]) }
}
