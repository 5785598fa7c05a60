public import AuthCrypto

/// The portal's CSRF tokens, a signed double submit: the browser's CSRF cookie is a random value
/// (its pre-session), and a form carries HMAC(key, cookie ‖ the SSO cookie's hash), so a form
/// token is good only with the cookie it was made for and in the SSO session it was rendered in
/// (or with none, before sign-in). A cookie planted by a sibling host, or a token taken from
/// another browser or an earlier sign-in, does not pass. The key is derived from the JWT secret,
/// so every instance checks every other's tokens.
public struct CSRFGuard: Sendable {
    let key: [UInt8]

    public init(keyring: JWTKeyring) throws {
        key = try keyring.derivedKey(purpose: "portal csrf")
    }

    /// Whether `cookie` is a CSRF cookie authd would have set (256 random bits, base64url).
    public static func isCookie(_ cookie: String) -> Bool { Identity.isBase64URL(cookie, lengths: 43...43) }

    /// The form token for the browser's CSRF `cookie` and its SSO cookie (nil when signed out).
    public func field(cookie: String, sso: String?) throws -> String {
        var message = Array(cookie.utf8) + [0]
        if let sso { message += try Digest.hash(.sha256, Array(sso.utf8)) }
        return Base64.url.encode(try HMAC.authenticate(.sha256, key: key, message: message))
    }

    /// `field` is the token for this cookie and SSO cookie, compared in constant time.
    public func matches(field: String?, cookie: String?, sso: String?) -> Bool {
        guard let field, let cookie, Self.isCookie(cookie), let expected = try? self.field(cookie: cookie, sso: sso)
        else { return false }
        return ConstantTime.equals(Array(field.utf8), Array(expected.utf8))
    }
}
