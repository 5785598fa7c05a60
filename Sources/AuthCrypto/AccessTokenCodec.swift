#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Signs and verifies access tokens: compact JWS, `typ` `at+jwt`, key chosen by `kid` and the
/// algorithm pinned by that key (HS256 for the secret, EdDSA, ES256 or RS256 for a key pair).
public struct AccessTokenCodec: Sendable {
    public struct Validation: Sendable {
        public var issuer: String
        public var audience: String
        /// Clock skew tolerated on `exp` and `nbf`, in seconds.
        public var leeway: Int64
        /// RFC 9068's profile for the tokens issued to OAuth clients (`oauth.access_token_format:
        /// rfc9068`): their `iss` is this (the issuer URL) and a public key signs them, so a
        /// resource server verifies them with the JWK Set. Nil: every token is authd's own kind.
        public var clientIssuer: String?

        public init(issuer: String, audience: String, leeway: Int64 = 30, clientIssuer: String? = nil) {
            self.issuer = issuer
            self.audience = audience
            self.leeway = leeway
            self.clientIssuer = clientIssuer
        }
    }

    public let keyring: JWTKeyring
    public let validation: Validation
    /// Tokens whose signature and claims already checked out; only their times are checked again.
    let cache: VerifiedTokenCache
    /// Longer strings are refused before any parsing.
    public static let maximumTokenLength = 8192

    public init(keyring: JWTKeyring, validation: Validation, cacheCapacity: Int = 16_384) {
        self.keyring = keyring
        self.validation = validation
        self.cache = VerifiedTokenCache(capacity: cacheCapacity)
    }

    private struct Header: Encodable {
        var alg: String
        var typ: String?
        var kid: String?
    }

    /// Where a key could be found (RFC 7515 §4.1.2–4.1.6): authd's keys are its own, so a token
    /// naming one of these (with any value but null) was not made the way authd makes tokens.
    private static let keyLocations = ["jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256"]

    /// The pair that signs a client's RFC 9068 tokens: the access-token pair, or else the RS256
    /// ID-token pair (published in the JWK Set either way); nil without the profile or a pair.
    public var clientTokenPair: (id: String, key: SigningKey)? {
        guard validation.clientIssuer != nil else { return nil }
        return keyring.signingPair ?? keyring.idTokenPair
    }

    /// The `iss` of a token issued to an OAuth client: RFC 9068's issuer URL under that profile.
    public var clientTokenIssuer: String { validation.clientIssuer ?? validation.issuer }

    /// Whether `claims` are a client's token under RFC 9068's profile.
    private func isProfiled(_ claims: AccessTokenClaims) -> Bool {
        claims.clientID != nil && validation.clientIssuer != nil && claims.issuer == validation.clientIssuer
    }

    public func sign(_ claims: AccessTokenClaims) throws(CryptoError) -> String {
        let pair = isProfiled(claims) ? clientTokenPair : keyring.signingPair
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header: Data
        let payload: Data
        do {
            header = try encoder.encode(
                Header(
                    alg: pair?.key.algorithm.rawValue ?? JWSAlgorithm.hs256.rawValue, typ: "at+jwt",
                    kid: pair?.id ?? keyring.signingKey.id))
            payload = try encoder.encode(claims)
        } catch {
            throw CryptoError(.invalidParameters, "claims cannot be encoded")
        }
        let signingInput = Base64.url.encode(header) + "." + Base64.url.encode(payload)
        let signature =
            if let pair {
                try pair.key.sign(signingInput.utf8)
            } else {
                try keyring.signingKey.mac.authenticate(signingInput.utf8)
            }
        return signingInput + "." + Base64.url.encode(signature)
    }

    /// Checks, in order: shape, header (alg one of the four, typ, no crit, a known kid whose key
    /// has that alg), signature (an HMAC in constant time), then claims: exp and nbf with leeway, iss, aud (authd's, or for a user's token
    /// issued to an OAuth client, that client).
    public func verify(_ token: String, now: Int64) throws(JWTError) -> AccessTokenClaims {
        let claims: AccessTokenClaims
        if let cached = cache.claims(for: token) {
            claims = cached
        } else {
            claims = try verifySignatureAndClaims(token)
        }
        guard now <= claims.expiresAt + validation.leeway else { throw JWTError(.expired, "token expired") }
        if let notBefore = claims.notBefore, now + validation.leeway < notBefore {
            throw JWTError(.notYetValid, "token not yet valid")
        }
        return claims
    }

    /// Everything but the time checks; a token that passes is remembered in the cache.
    private func verifySignatureAndClaims(_ token: String) throws(JWTError) -> AccessTokenClaims {
        guard token.utf8.count <= Self.maximumTokenLength else { throw JWTError(.malformed, "token too long") }
        var token = token
        // The token's own bytes, without copies: parts are slices of them.
        let claims = try token.withUTF8 { bytes in
            Result { () throws(JWTError) -> AccessTokenClaims in try verifySignatureAndClaims(bytes: bytes) }
        }.get()
        cache.insert(claims, for: token)
        return claims
    }

    private func verifySignatureAndClaims(bytes utf8: UnsafeBufferPointer<UInt8>) throws(JWTError)
        -> AccessTokenClaims
    {
        guard let first = Self.dot(in: utf8, from: 0), let second = Self.dot(in: utf8, from: first + 1),
            Self.dot(in: utf8, from: second + 1) == nil
        else { throw JWTError(.malformed, "a token has three non-empty dot-separated parts") }
        let (headerPart, claimsPart, signaturePart) = (
            utf8[..<first], utf8[(first + 1)..<second], utf8[(second + 1)...]
        )
        guard !headerPart.isEmpty, !claimsPart.isEmpty, !signaturePart.isEmpty else {
            throw JWTError(.malformed, "a token has three non-empty dot-separated parts")
        }
        let header = try flatJSON(headerPart, what: "header")
        guard case .string(let alg)? = header["alg"] else { throw JWTError(.malformed, "alg must be a string") }
        guard let algorithm = JWSAlgorithm(rawValue: alg) else {
            throw JWTError(.unsupportedAlgorithm, "only HS256, EdDSA, ES256 and RS256 are accepted")
        }
        guard let typ = try header.optionalString("typ"),
            ["at+jwt", "application/at+jwt"].contains(typ.lowercased())
        else { throw JWTError(.wrongType, "typ must be at+jwt") }
        guard header["crit"] ?? .null == .null else { throw JWTError(.malformed, "crit headers are not supported") }
        guard Self.keyLocations.allSatisfy({ header[$0] ?? .null == .null }) else {
            throw JWTError(.malformed, "jku, jwk, x5u, x5c and x5t headers are not accepted: authd's keys are its own")
        }
        guard let kid = try header.optionalString("kid") else { throw JWTError(.unknownKey, "unknown key id") }
        guard let signature = Base64.url.decode(utf8: signaturePart) else {
            throw JWTError(.malformed, "signature is not base64url")
        }
        let signingInput = utf8[..<second]
        var signedByIDTokenPair = false
        if algorithm == .hs256 {
            guard let key = keyring.key(id: kid) else { throw JWTError(.unknownKey, "unknown key id") }
            let expected: [UInt8]
            do {
                expected = try key.mac.authenticate(signingInput)
            } catch {
                throw JWTError(.badSignature, "signature could not be computed")
            }
            guard ConstantTime.equals(signature, expected) else { throw JWTError(.badSignature, "bad signature") }
        } else {
            var key = keyring.pair(id: kid, algorithm: algorithm)
            if key == nil, let pair = clientTokenPair, pair.id == kid, pair.key.algorithm == algorithm {
                // The ID-token pair signs clients' RFC 9068 tokens only: checked with the claims.
                key = pair.key
                signedByIDTokenPair = true
            }
            guard let key else { throw JWTError(.unknownKey, "unknown key id for this algorithm") }
            guard key.verify(signature, of: signingInput) else { throw JWTError(.badSignature, "bad signature") }
        }

        let claims: AccessTokenClaims
        do {
            claims = try AccessTokenClaims(try flatJSON(claimsPart, what: "claims"))
        } catch {
            throw JWTError(.malformed, "claims is not the expected JSON")
        }
        guard signedByIDTokenPair ? isProfiled(claims) : claims.issuer == validation.issuer || isProfiled(claims) else {
            throw JWTError(.wrongIssuer, "wrong issuer")
        }
        guard claims.audience.contains(claims.expectedAudience(authd: validation.audience)) else {
            throw JWTError(.wrongAudience, "wrong audience")
        }
        return claims
    }

    /// The index of the first `.` at or after `start` (`memchr`).
    private static func dot(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count,
            let found = memchr(base + start, Int32(UInt8(ascii: ".")), bytes.count - start)
        else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    private func flatJSON(_ part: Slice<UnsafeBufferPointer<UInt8>>, what: String) throws(JWTError) -> FlatJSON {
        guard let bytes = Base64.url.decode(utf8: part) else {
            throw JWTError(.malformed, "\(what) is not base64url")
        }
        do {
            return try FlatJSON(bytes)
        } catch {
            throw JWTError(.malformed, "\(what) is not the expected JSON")
        }
    }
}

extension FlatJSON {
    /// A string member of a JWS header or claims: nil when absent or null; `malformed` for any other type.
    func optionalString(_ name: String) throws(JWTError) -> String? {
        switch self[name] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw JWTError(.malformed, "\(name) must be a string")
        }
    }
}
