import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Claims of tokens that already passed the signature, header, issuer and audience checks, keyed
/// by the exact bytes of the token. A service typically presents the same token on every request,
/// so this turns most verifications into one hash lookup. Only complete, successful verifications
/// are stored; expiry is checked on every use, and revocation is decided by the caller after this.
/// When a shard is full it is emptied rather than tracking recency: cheap, bounded, and refilled
/// in one pass. Eight shards, chosen by the token's last character (its signature's, random), so
/// the event loops seldom wait for each other's lock.
final class VerifiedTokenCache: Sendable {
    private let shardCapacity: Int
    private let shards: [Shard]
    private static let shardCount = 8

    private final class Shard: Sendable {
        let entries = Mutex<[TokenBytes: AccessTokenClaims]>([:])
    }

    init(capacity: Int) {
        self.shardCapacity = (capacity + Self.shardCount - 1) / Self.shardCount
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    private func shard(_ token: String) -> Shard {
        shards[Int(token.utf8.last ?? 0) % Self.shardCount]
    }

    func claims(for token: String) -> AccessTokenClaims? {
        guard shardCapacity > 0 else { return nil }
        return shard(token).entries.withLock { $0[TokenBytes(token)] }
    }

    func insert(_ claims: AccessTokenClaims, for token: String) {
        guard shardCapacity > 0 else { return }
        let capacity = shardCapacity
        // A full shard is swapped for an empty one under the lock and freed after it: freeing
        // thousands of entries while holding it made the other event loop wait.
        var evicted: [TokenBytes: AccessTokenClaims] = [:]
        shard(token).entries.withLock { entries in
            if entries.count >= capacity {
                swap(&evicted, &entries)
                entries.reserveCapacity(capacity)
            }
            entries[TokenBytes(token)] = claims
        }
        _ = evicted.count
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
        var left = lhs.text
        var right = rhs.text
        return left.withUTF8 { a in
            right.withUTF8 { b in
                a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
        }
    }

    /// The length and the last 32 bytes: a token ends in its signature, which is random, and only
    /// verified tokens are stored, so nobody can make entries that collide.
    func hash(into hasher: inout Hasher) {
        var text = self.text
        text.withUTF8 { bytes in
            hasher.combine(bytes.count)
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.suffix(32))))
        }
    }
}
