/// Authenticator data (WebAuthn Level 3 §6.1): the RP ID's hash, the flags, the signature counter,
/// then, when the flags say so, the attested credential (AAGUID, credential ID, COSE public key) and
/// the extensions' CBOR map, and nothing after them.
public struct AuthenticatorData: Hashable, Sendable {
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// UP: a person was present (touched, clicked).
        public static let userPresent = Flags(rawValue: 0x01)
        /// UV: the authenticator verified the person (PIN, biometrics).
        public static let userVerified = Flags(rawValue: 0x04)
        /// BE: the credential may be backed up (a synced passkey).
        public static let backupEligible = Flags(rawValue: 0x08)
        /// BS: it is backed up now.
        public static let backedUp = Flags(rawValue: 0x10)
        /// AT: attested credential data follows.
        public static let attestedCredential = Flags(rawValue: 0x40)
        /// ED: extensions follow.
        public static let extensions = Flags(rawValue: 0x80)
    }

    /// The credential a registration creates.
    public struct AttestedCredential: Hashable, Sendable {
        public let aaguid: [UInt8]
        public let id: [UInt8]
        /// The COSE_Key as sent (stored, and read again at each sign-in).
        public let publicKey: CBOR
    }

    /// The bytes the signature covers, as received.
    public let raw: [UInt8]
    public let rpIDHash: [UInt8]
    public let flags: Flags
    public let signCount: UInt32
    public let attestedCredential: AttestedCredential?
    public let extensions: CBOR?

    /// Credential IDs longer than this are refused (WebAuthn Level 3 caps them at 1,023 bytes).
    public static let maximumCredentialIDLength = 1023

    public struct Refused: Error, Hashable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { "authenticator data refused: \(reason)" }
    }

    public init(_ bytes: [UInt8]) throws(Refused) {
        guard bytes.count >= 37 else { throw Refused(reason: "shorter than 37 bytes") }
        raw = bytes
        rpIDHash = Array(bytes[0..<32])
        flags = Flags(rawValue: bytes[32])
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        guard !flags.contains(.backedUp) || flags.contains(.backupEligible) else {
            throw Refused(reason: "backed up but not backup eligible")
        }
        var index = 37
        if flags.contains(.attestedCredential) {
            guard bytes.count >= index + 18 else { throw Refused(reason: "attested credential data is cut off") }
            let aaguid = Array(bytes[index..<(index + 16)])
            let length = Int(bytes[index + 16]) << 8 | Int(bytes[index + 17])
            index += 18
            guard (1...Self.maximumCredentialIDLength).contains(length), bytes.count >= index + length else {
                throw Refused(reason: "a credential ID of no or too many bytes")
            }
            let id = Array(bytes[index..<(index + length)])
            index += length
            let key: CBOR
            do {
                let (item, used) = try CBOR.decodePrefix(of: bytes[index...])
                (key, index) = (item, index + used)
            } catch {
                throw Refused(reason: "the credential public key is not CBOR: \(error.reason)")
            }
            attestedCredential = AttestedCredential(aaguid: aaguid, id: id, publicKey: key)
        } else {
            attestedCredential = nil
        }
        if flags.contains(.extensions) {
            let item: CBOR
            let used: Int
            do {
                (item, used) = try CBOR.decodePrefix(of: bytes[index...])
            } catch {
                throw Refused(reason: "extensions are not CBOR: \(error.reason)")
            }
            guard item.entries != nil else { throw Refused(reason: "extensions are not a map") }
            (extensions, index) = (item, index + used)
        } else {
            extensions = nil
        }
        guard index == bytes.count else { throw Refused(reason: "bytes after the data the flags announce") }
    }
}
