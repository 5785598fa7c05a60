/// A registered passkey (a WebAuthn credential) as stored. Times are Unix seconds.
public struct Passkey: Hashable, Sendable {
    public var id: [UInt8]
    public var userID: Int64
    /// The COSE_Key as the authenticator sent it.
    public var publicKey: [UInt8]
    public var signCount: UInt32
    public var aaguid: [UInt8]
    /// BE and BS: the credential may be synced, and is.
    public var backupEligible: Bool
    public var backedUp: Bool
    public var name: String
    /// Its counter went backwards once: it signs nobody in until an administrator resets it.
    public var suspect: Bool
    public var createdAt: Int64
    public var lastUsedAt: Int64?

    public init(
        id: [UInt8], userID: Int64, publicKey: [UInt8], signCount: UInt32, aaguid: [UInt8], backupEligible: Bool,
        backedUp: Bool, name: String, suspect: Bool = false, createdAt: Int64 = 0, lastUsedAt: Int64? = nil
    ) {
        self.id = id
        self.userID = userID
        self.publicKey = publicKey
        self.signCount = signCount
        self.aaguid = aaguid
        self.backupEligible = backupEligible
        self.backedUp = backedUp
        self.name = name
        self.suspect = suspect
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// A ceremony's challenge as stored: its SHA-256, which ceremony, whose (nil: a sign-in that has
/// not named its user, the discoverable kind), whoever asked (`binding`), until when.
public struct PasskeyChallenge: Hashable, Sendable {
    public enum Ceremony: String, Hashable, Sendable {
        case registration, signIn = "sign_in"
    }

    public var hash: String
    public var ceremony: Ceremony
    public var userID: Int64?
    public var binding: String
    public var expiresAt: Int64

    public init(hash: String, ceremony: Ceremony, userID: Int64?, binding: String, expiresAt: Int64) {
        self.hash = hash
        self.ceremony = ceremony
        self.userID = userID
        self.binding = binding
        self.expiresAt = expiresAt
    }
}

/// Passkeys and their ceremonies' challenges, shared by every instance: a challenge is taken once,
/// and a sign-in moves a credential's counter only from the value it read.
public protocol PasskeyStore: Sendable {
    /// Stores a new credential; `conflict` when its ID is registered already (to anyone).
    func add(_ passkey: Passkey) async throws -> Passkey
    func passkey(id: [UInt8]) async throws -> Passkey?
    /// The user's passkeys, oldest first (by the second; within one, by ID).
    func passkeys(userID: Int64) async throws -> [Passkey]
    /// A sign-in's new counter and backup state, if the counter still is `expected`: false when
    /// another sign-in moved it first.
    func recordUse(id: [UInt8], expected: UInt32, signCount: UInt32, backedUp: Bool) async throws -> Bool
    /// Marks the credential suspect (its counter went backwards).
    func markSuspect(id: [UInt8]) async throws
    /// False when the user has no such passkey.
    func rename(id: [UInt8], userID: Int64, name: String) async throws -> Bool
    func remove(id: [UInt8], userID: Int64) async throws -> Bool
    /// Removes every passkey of the user, audited in the same transaction; how many there were.
    func removeAll(userID: Int64, by actor: Actor) async throws -> Int
    func storeChallenge(_ challenge: PasskeyChallenge) async throws
    /// The unexpired challenge with this hash and binding, removed so that it answers once; nil
    /// otherwise (a challenge asked for elsewhere stays for its asker).
    func takeChallenge(hash: String, binding: String) async throws -> PasskeyChallenge?
}
