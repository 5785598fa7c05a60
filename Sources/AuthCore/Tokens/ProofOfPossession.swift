import AuthCrypto

/// What the request being served proved with a DPoP proof (RFC 9449), held for the request's task.
/// The HTTP front end checks the `DPoP` header once, before any handler runs
/// (`DPoPVerifier.check`), and runs the handler with the outcome here; the token authority reads
/// it. So every path that takes an access token, down to use cases the front end knows nothing
/// of, refuses a key-bound token without a proof by its key, and every token issued while a proof
/// is in scope is bound to that key. Where nothing set it (the line protocol, authctl) no proof
/// was given: bound tokens are refused there, and nothing issued is bound.
public enum ProofOfPossession: Sendable, Equatable {
    /// A proof that checked out, by the key with this RFC 7638 thumbprint; `accessToken` is the
    /// token it was presented with (`Authorization: DPoP`), nil for a request for tokens.
    case proven(key: String, accessToken: String?)
    /// A proof (or a `DPoP` authorization without one) that did not: its error is the answer
    /// wherever the request takes or gets a token.
    case refused(AuthError, accessToken: String?)

    @TaskLocal public static var current: ProofOfPossession?

    var accessToken: String? {
        switch self {
        case .proven(_, let token), .refused(_, let token): token
        }
    }

    /// The key a token issued now is bound to: a proof's sent for tokens (none presented with an
    /// access token); the proof's error when it failed; nil without a proof.
    static func keyForIssuing() throws(AuthError) -> String? {
        switch current {
        case .proven(let key, nil)?: return key
        case .refused(let error, nil)?: throw error
        case nil, .proven?, .refused?: return nil
        }
    }

    /// The key `client`'s tokens are bound to now: a client registered with
    /// `dpop_bound_access_tokens` (RFC 9449 §5.2) must send a proof with every token request.
    static func keyForIssuing(to client: OAuthClient?) throws(AuthError) -> String? {
        let key = try keyForIssuing()
        if key == nil, client?.requiresDPoP == true {
            throw AuthError(.invalidDPoPProof, "this client's token requests must carry a DPoP proof")
        }
        return key
    }

    /// RFC 9449 §7: a token bound to a key is accepted only with `Authorization: DPoP` and a proof
    /// by that key for this request; an unbound token only as a bearer token.
    static func check(_ claims: AccessTokenClaims, presented token: String) throws(AuthError) {
        let presentation = current?.accessToken == token ? current : nil
        guard let bound = claims.confirmation else {
            guard presentation == nil else {
                throw AuthError(.invalidToken, "this token is not bound to a key: present it as a Bearer token")
            }
            return
        }
        switch presentation {
        case .proven(let key, _)?:
            guard key == bound else {
                throw AuthError(.invalidDPoPProof, "the proof is signed by another key than the token is bound to")
            }
        case .refused(let error, _)?:
            throw error
        case nil:
            throw AuthError(
                .invalidToken, "this token is bound to a key: present it with Authorization: DPoP and a proof")
        }
    }
}

/// The proofs seen lately, on every instance: a proof presented twice is refused the second time.
public protocol ProofReplayStore: Sendable {
    /// Records `proofHash` (hex SHA-256 of the key's thumbprint and the proof's `jti`) until
    /// `expiresAt` (Unix seconds); false when it is recorded and unexpired already.
    func record(proofHash: String, until expiresAt: Int64) async throws -> Bool
}
