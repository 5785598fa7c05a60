import Synchronization

/// Claims of tokens that already passed the signature, header, issuer and audience checks, keyed
/// by the exact token text. A service typically presents the same token on every request, so this
/// turns most verifications into one hash lookup. Only complete, successful verifications are
/// stored; expiry is checked on every use, and revocation is decided by the caller after this.
/// When full it is emptied rather than tracking recency: cheap, bounded, and refilled in one pass.
final class VerifiedTokenCache: Sendable {
    private let capacity: Int
    private let entries = Mutex<[String: AccessTokenClaims]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    func claims(for token: String) -> AccessTokenClaims? {
        guard capacity > 0 else { return nil }
        return entries.withLock { $0[token] }
    }

    func insert(_ claims: AccessTokenClaims, for token: String) {
        guard capacity > 0 else { return }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = claims
        }
    }
}
