/// A DPoP proof (RFC 9449 §4.2) read and its signature checked with the public key its own header
/// carries: `typ` `dpop+jwt`, an asymmetric `alg` (ES256, EdDSA, RS256) whose key type the `jwk`
/// has, no private key members, no `crit`, and the claims `jti`, `htm`, `htu` and `iat`. Whether
/// the proof fits the request (method, URL, time, replay, nonce, token) is the caller's to decide.
public struct DPoPProof: Sendable {
    /// Whose proof it is; its thumbprint is the `jkt` of the tokens bound to it.
    public let key: PublicKey
    public let id: String
    /// `htm` and `htu`: the request's method and URL (without query and fragment).
    public let method: String
    public let url: String
    public let issuedAt: Int64
    /// `ath`: base64url SHA-256 of the access token presented with the proof, when one is.
    public let accessTokenHash: String?
    public let nonce: String?

    /// Longer proofs are refused before any parsing (an RSA-8192 key's proof is under 4 KiB).
    public static let maximumLength = 8192

    public init(_ compact: String) throws(JWTError) {
        guard compact.utf8.count <= Self.maximumLength else { throw JWTError(.malformed, "proof too long") }
        let parts = compact.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw JWTError(.malformed, "a proof has three non-empty dot-separated parts")
        }
        let header = try Self.json(parts[0], "header")
        guard case .string(let typ)? = header["typ"], typ.lowercased() == "dpop+jwt" else {
            throw JWTError(.wrongType, "typ must be dpop+jwt")
        }
        guard case .string(let alg)? = header["alg"], let algorithm = JWSAlgorithm(rawValue: alg), algorithm != .hs256
        else { throw JWTError(.unsupportedAlgorithm, "a proof is signed with ES256, EdDSA or RS256") }
        guard header["crit"] == nil else { throw JWTError(.malformed, "crit headers are not supported") }
        guard case .object(let jwk)? = header["jwk"] else { throw JWTError(.malformed, "jwk must be a public key") }
        do {
            key = try PublicKey(jwk: jwk, algorithm: algorithm)
        } catch {
            throw JWTError(.unknownKey, "jwk must be a public key of the alg's type")
        }
        guard let signature = Base64.url.decode(utf8: parts[2]),
            key.verify(signature, of: compact.utf8[..<parts[1].endIndex])
        else { throw JWTError(.badSignature, "bad signature") }

        let claims = try Self.json(parts[1], "claims")
        guard case .string(let id)? = claims["jti"], (1...256).contains(id.utf8.count),
            case .string(let method)? = claims["htm"], case .string(let url)? = claims["htu"],
            case .number(let issuedAt)? = claims["iat"], abs(issuedAt) < 1e15
        else { throw JWTError(.malformed, "a proof has jti, htm, htu and iat") }
        self.id = id
        self.method = method
        self.url = url
        self.issuedAt = Int64(issuedAt.rounded(.down))
        accessTokenHash = try claims.optionalString("ath")
        nonce = try claims.optionalString("nonce")
    }

    /// RFC 9449 §4.2's `ath` for `accessToken`.
    public static func hash(ofAccessToken accessToken: String) throws(CryptoError) -> String {
        Base64.url.encode(try Digest.hash(.sha256, Array(accessToken.utf8)))
    }

    private static func json(_ part: Substring.UTF8View, _ what: String) throws(JWTError) -> FlatJSON {
        guard let bytes = Base64.url.decode(utf8: part), let json = try? FlatJSON(bytes) else {
            throw JWTError(.malformed, "\(what) is not the expected JSON")
        }
        return json
    }
}
