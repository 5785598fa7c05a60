import Synchronization

/// Claims of tokens that already passed the signature, header, issuer and audience checks, keyed
/// by the exact bytes of the token. A service typically presents the same token on every request,
/// so this turns most verifications into one hash lookup. Only complete, successful verifications
/// are stored; expiry is checked on every use, and revocation is decided by the caller after this.
/// When full it is emptied rather than tracking recency: cheap, bounded, and refilled in one pass.
final class VerifiedTokenCache: Sendable {
    private let capacity: Int
    private let entries = Mutex<[TokenBytes: AccessTokenClaims]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    func claims(for token: String) -> AccessTokenClaims? {
        guard capacity > 0 else { return nil }
        return entries.withLock { $0[TokenBytes(token)] }
    }

    func insert(_ claims: AccessTokenClaims, for token: String) {
        guard capacity > 0 else { return }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[TokenBytes(token)] = claims
        }
    }
}

/// A token compared and hashed as its UTF-8 bytes. `String`'s own equality is Unicode canonical
/// equivalence: `K` (U+004B) equals KELVIN SIGN (U+212A), so a different token would hit the
/// entry of a verified one.
struct TokenBytes: Hashable {
    let text: String

    init(_ text: String) {
        self.text = text
    }

    static func == (lhs: TokenBytes, rhs: TokenBytes) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var text = self.text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
