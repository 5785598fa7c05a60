public import AuthCrypto

/// How DPoP proofs are judged (README, "DPoP"). Seconds.
public struct DPoPPolicy: Sendable {
    /// A proof's `iat` may be this old; its `jti` is remembered this long (plus `clockSkew`).
    public var proofLifetime: Int64
    /// … and this far in the future.
    public var clockSkew: Int64
    /// Every proof must carry a nonce authd issued (RFC 9449 §8, `DPoP-Nonce`); a nonce is good
    /// for one to two `proofLifetime`s, on every instance sharing the JWT secret.
    public var requireNonce: Bool

    public init(proofLifetime: Int64 = 60, clockSkew: Int64 = 5, requireNonce: Bool = false) {
        self.proofLifetime = proofLifetime
        self.clockSkew = clockSkew
        self.requireNonce = requireNonce
    }
}

/// RFC 9449 §4.3's checks of a proof against the request it came with: the signature by the key
/// in its header, `htm` the request's method, `htu` its URL, `iat` within the policy's window,
/// `ath` the hash of the access token presented with it, the nonce when one is required, and last
/// (the one database round trip) a `jti` no instance has seen from that key.
public struct DPoPVerifier: Sendable {
    let policy: DPoPPolicy
    let replays: any ProofReplayStore
    /// Keys the nonces: derived from the JWT secret, so every instance issues and accepts the same.
    let nonceKey: PreparedHMAC
    let clock: @Sendable () -> Int64

    public init(
        policy: DPoPPolicy, replays: any ProofReplayStore, keyring: JWTKeyring,
        clock: @escaping @Sendable () -> Int64 = UnixTime.now
    ) throws {
        self.policy = policy
        self.replays = replays
        nonceKey = try PreparedHMAC(.sha256, key: try keyring.derivedKey(purpose: "dpop nonce"))
        self.clock = clock
    }

    /// The outcome of `proof` (the `DPoP` header; nil when absent) for a request of `method` to
    /// `url` (the public URL, without query), presented with `accessToken` (`Authorization: DPoP`)
    /// or not: what the handler then runs with (`ProofOfPossession.current`).
    public func check(proof: String?, method: String, url: String, accessToken: String?) async -> ProofOfPossession {
        do {
            guard let proof else {
                throw AuthError(.invalidDPoPProof, "a DPoP authorization needs a DPoP proof header")
            }
            return .proven(
                key: try await verify(proof, method: method, url: url, accessToken: accessToken),
                accessToken: accessToken)
        } catch let error as AuthError {
            return .refused(error, accessToken: accessToken)
        } catch {
            return .refused(AuthError(.unavailable, "proofs cannot be checked now"), accessToken: accessToken)
        }
    }

    private func verify(_ compact: String, method: String, url: String, accessToken: String?) async throws -> String {
        let proof: DPoPProof
        do {
            proof = try DPoPProof(compact)
        } catch {
            throw AuthError(.invalidDPoPProof, "the DPoP proof is not valid: \(error.message)")
        }
        guard proof.method == method else {
            throw AuthError(.invalidDPoPProof, "the proof's htm is not this request's method")
        }
        guard let claimed = Self.normalized(proof.url), claimed == Self.normalized(url) else {
            throw AuthError(.invalidDPoPProof, "the proof's htu is not this request's URL")
        }
        let now = clock()
        guard proof.issuedAt >= now - policy.proofLifetime, proof.issuedAt <= now + policy.clockSkew else {
            throw AuthError(.invalidDPoPProof, "the proof's iat is too old or in the future")
        }
        if let accessToken {
            guard let hash = proof.accessTokenHash, hash == (try DPoPProof.hash(ofAccessToken: accessToken)) else {
                throw AuthError(.invalidDPoPProof, "the proof's ath is not the hash of the access token")
            }
        }
        if policy.requireNonce {
            guard let nonce = proof.nonce, isCurrent(nonce: nonce, now: now) else {
                throw AuthError(.useDPoPNonce, "the proof needs the nonce of the DPoP-Nonce header")
            }
        }
        let proofHash = try Digest.sha256Hex(Array("\(proof.key.thumbprint).\(proof.id)".utf8))
        guard
            try await replays.record(
                proofHash: proofHash, until: proof.issuedAt + policy.proofLifetime + policy.clockSkew * 2)
        else { throw AuthError(.invalidDPoPProof, "this proof was presented before") }
        return proof.key.thumbprint
    }

    /// The nonce proofs should carry now (`DPoP-Nonce`), when the policy requires one.
    public func nonce() -> String? {
        guard policy.requireNonce else { return nil }
        return try? nonce(window: clock() / policy.proofLifetime)
    }

    /// A window's nonce: its number and the start of its HMAC, so any instance can check it.
    private func nonce(window: Int64) throws -> String {
        let number = withUnsafeBytes(of: window.bigEndian, Array.init)
        return Base64.url.encode(number + (try nonceKey.authenticate(number)).prefix(16))
    }

    /// This window's nonce or the last one's.
    private func isCurrent(nonce: String, now: Int64) -> Bool {
        let window = now / policy.proofLifetime
        return [window, window - 1].contains { candidate in
            (try? self.nonce(window: candidate)).map { ConstantTime.equals(Array($0.utf8), Array(nonce.utf8)) } ?? false
        }
    }

    /// An http(s) URL as RFC 9449 §4.3 compares it: scheme and host lowercased, the scheme's default
    /// port dropped, an empty path as `/`, without query and fragment; nil for anything else.
    static func normalized(_ url: String) -> String? {
        let withoutFragment = url.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let withoutQuery = withoutFragment.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard let colon = withoutQuery.firstIndex(of: ":"), withoutQuery[colon...].hasPrefix("://") else { return nil }
        let scheme = withoutQuery[..<colon].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = withoutQuery[withoutQuery.index(colon, offsetBy: 3)...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<slash].lowercased()
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        let defaultPort = scheme == "http" ? ":80" : ":443"
        if authority.hasSuffix(defaultPort) { authority.removeLast(defaultPort.count) }
        let path = rest[slash...]
        return "\(scheme)://\(authority)\(path.isEmpty ? "/" : path)"
    }
}
