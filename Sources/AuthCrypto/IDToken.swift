#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// OpenID Connect Core §2 and §5.1: what an ID token says. Times are Unix seconds.
public struct IDTokenClaims: Codable, Hashable, Sendable {
    public var issuer: String
    public var subject: String
    /// The client it was issued to (a single audience, which is also `azp`).
    public var audience: String
    public var expiresAt: Int64
    public var issuedAt: Int64
    public var authTime: Int64
    public var nonce: String?
    /// §3.1.3.6: the left half of the SHA-256 of the access token issued beside it, base64url.
    public var accessTokenHash: String?
    /// RFC 8176 methods: `pwd`, `otp`.
    public var methods: [String]
    public var authenticationClass: String
    public var authorizedParty: String
    /// `roles` scope.
    public var roles: [String]?
    /// `profile` scope.
    public var name: String?
    public var preferredUsername: String?
    /// `email` scope: the address, and whether its owner proved it (`email_verified`).
    public var email: String?
    public var emailVerified: Bool?
    /// The SSO session it was issued in (OpenID Connect Back-Channel and Front-Channel Logout):
    /// what a logout token's `sid` names.
    public var sessionID: String?

    public init(
        issuer: String, subject: String, audience: String, expiresAt: Int64, issuedAt: Int64, authTime: Int64,
        nonce: String?, accessTokenHash: String?, methods: [String], authenticationClass: String, roles: [String]?,
        name: String? = nil, preferredUsername: String? = nil, email: String? = nil, emailVerified: Bool? = nil,
        sessionID: String? = nil
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.authTime = authTime
        self.nonce = nonce
        self.accessTokenHash = accessTokenHash
        self.methods = methods
        self.authenticationClass = authenticationClass
        self.authorizedParty = audience
        self.roles = roles
        self.name = name
        self.preferredUsername = preferredUsername
        self.email = email
        self.emailVerified = emailVerified
        self.sessionID = sessionID
    }

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audience = "aud", expiresAt = "exp", issuedAt = "iat"
        case authTime = "auth_time", nonce, accessTokenHash = "at_hash", methods = "amr"
        case authenticationClass = "acr", authorizedParty = "azp", roles, name
        case preferredUsername = "preferred_username", email, emailVerified = "email_verified"
        case sessionID = "sid"
    }
}

/// ID tokens: compact JWS with `typ` `JWT`, signed by the keyring's ID-token pair (RS256, which
/// OpenID Connect requires every provider to offer), verified by relying parties with the JWK Set.
public enum IDToken {
    public static func sign(_ claims: IDTokenClaims, with pair: (id: String, key: SigningKey)) throws(CryptoError)
        -> String
    {
        try signJWS(claims, type: "JWT", with: pair)
    }

    /// A compact JWS of `claims` (sorted keys), its header `alg`, `typ` and `kid`.
    static func signJWS(_ claims: some Encodable, type: String, with pair: (id: String, key: SigningKey))
        throws(CryptoError) -> String
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let header: Data
        let payload: Data
        do {
            header = try encoder.encode(["alg": pair.key.algorithm.rawValue, "typ": type, "kid": pair.id])
            payload = try encoder.encode(claims)
        } catch {
            throw CryptoError(.invalidParameters, "claims cannot be encoded")
        }
        let signingInput = Base64.url.encode(header) + "." + Base64.url.encode(payload)
        return signingInput + "." + Base64.url.encode(try pair.key.sign(signingInput.utf8))
    }

    /// `at_hash` (OpenID Connect Core §3.1.3.6): the left-most half of the access token's ASCII
    /// hashed with the ID token's algorithm's hash, base64url without padding. SHA-256 for RS256
    /// and ES256; SHA-512 for EdDSA, as for Ed25519 signatures (RFC 8032's hash).
    public static func accessTokenHash(_ accessToken: String, signedWith algorithm: JWSAlgorithm) throws(CryptoError)
        -> String
    {
        let digest = try Digest.hash(algorithm == .edDSA ? .sha512 : .sha256, Array(accessToken.utf8))
        return Base64.url.encode(digest.prefix(digest.count / 2))
    }
}

extension IDToken {
    /// The claims of an ID token this `pair` signed (RS256, its `kid`), whatever its `exp`: an
    /// `id_token_hint` names a past sign-in (OpenID Connect RP-Initiated Logout §2). Nil for
    /// anything else.
    public static func claims(of token: String, signedBy pair: (id: String, key: SigningKey)) -> IDTokenClaims? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard token.utf8.count <= 8192, parts.count == 3, let headerBytes = Base64.url.decode(parts[0]),
            let header = try? JSONDecoder().decode([String: String].self, from: Data(headerBytes)),
            header["alg"] == pair.key.algorithm.rawValue, header["kid"] == pair.id,
            let signature = Base64.url.decode(parts[2]),
            pair.key.verify(signature, of: Array((parts[0] + "." + parts[1]).utf8)),
            let payload = Base64.url.decode(parts[1])
        else { return nil }
        return try? JSONDecoder().decode(IDTokenClaims.self, from: Data(payload))
    }
}

/// OpenID Connect Back-Channel Logout 1.0 §2.4: what a logout token says. Never a `nonce`, always
/// the logout event; `sid` and `sub` both, so a client may match either.
public struct LogoutTokenClaims: Codable, Hashable, Sendable {
    public var issuer: String
    public var subject: String
    public var audience: String
    public var issuedAt: Int64
    public var expiresAt: Int64
    public var tokenID: String
    public var sessionID: String
    public var events: [String: [String: String]]

    public static let event = "http://schemas.openid.net/event/backchannel-logout"

    public init(
        issuer: String, subject: String, audience: String, issuedAt: Int64, expiresAt: Int64, tokenID: String,
        sessionID: String
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.tokenID = tokenID
        self.sessionID = sessionID
        events = [Self.event: [:]]
    }

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audience = "aud", issuedAt = "iat", expiresAt = "exp"
        case tokenID = "jti", sessionID = "sid", events
    }
}

/// Logout tokens: compact JWS with `typ` `logout+jwt` (§2.4, so that no other kind of token can be
/// taken for one), signed as the client's ID tokens are.
public enum LogoutToken {
    public static let type = "logout+jwt"

    public static func sign(_ claims: LogoutTokenClaims, with pair: (id: String, key: SigningKey))
        throws(CryptoError) -> String
    {
        try IDToken.signJWS(claims, type: type, with: pair)
    }
}
