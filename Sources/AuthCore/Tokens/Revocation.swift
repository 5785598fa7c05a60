/// One rule that refuses access tokens before they expire (README, "Sessions and revocation"): a revoked token
/// (`jti`), a revoked session (`sid`: every token of it), or a user's or OAuth client's cut-off
/// (tokens issued before `cutOff`; `Int64.max` for a deleted account or client). Each is kept until `expiresAt`, after
/// which no token it could refuse is still valid.
public struct Revocation: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case token, session, user, client
    }

    public var kind: Kind
    public var subject: String
    /// For `user`: the first Unix second whose tokens stand.
    public var cutOff: Int64
    /// Unix seconds.
    public var expiresAt: Int64

    public init(kind: Kind, subject: String, cutOff: Int64 = 0, expiresAt: Int64) {
        self.kind = kind
        self.subject = subject
        self.cutOff = cutOff
        self.expiresAt = expiresAt
    }

    /// `kind subject cutOff expiresAt`: how a revocation travels between instances (NOTIFY payload).
    public var payload: String { "\(kind.rawValue) \(subject) \(cutOff) \(expiresAt)" }

    public init?(payload: String) {
        let parts = payload.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 4, let kind = Kind(rawValue: String(parts[0])), !parts[1].isEmpty,
            let cutOff = Int64(parts[2]), let expiresAt = Int64(parts[3])
        else { return nil }
        self.init(kind: kind, subject: String(parts[1]), cutOff: cutOff, expiresAt: expiresAt)
    }
}

/// What a change did beyond its result: the revocations it recorded, to apply to this
/// instance's state at once (the others hear of them through the feed).
public struct Changed<Value: Sendable>: Sendable {
    public var value: Value
    public var revocations: [Revocation]

    public init(_ value: Value, revocations: [Revocation] = []) {
        self.value = value
        self.revocations = revocations
    }
}
