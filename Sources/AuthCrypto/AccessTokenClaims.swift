/// The claims of an authd access token (README, "Configuration": the token format). Times are Unix seconds.
public struct AccessTokenClaims: Hashable, Sendable, Codable {
    public var issuer: String
    public var audience: [String]
    public var subject: String
    public var name: String
    public var roles: [String]
    public var issuedAt: Int64
    public var notBefore: Int64?
    public var expiresAt: Int64
    public var id: String
    public var sessionID: String?
    /// The OAuth 2 client the token was issued to (RFC 9068 `client_id`); nil for a login's tokens.
    public var clientID: String?
    /// Space-separated scopes granted (RFC 9068 `scope`); nil when none were.
    public var scope: String?
    /// The RFC 7638 thumbprint of the key the token is bound to (RFC 9449 §6, `cnf.jkt`): it is
    /// accepted only with a DPoP proof signed by that key. Nil: a bearer token.
    public var confirmation: String?

    public init(
        issuer: String, audience: String, subject: String, name: String, roles: [String],
        issuedAt: Int64, notBefore: Int64? = nil, expiresAt: Int64, id: String, sessionID: String? = nil,
        clientID: String? = nil, scope: String? = nil, confirmation: String? = nil
    ) {
        self.issuer = issuer
        self.audience = [audience]
        self.subject = subject
        self.name = name
        self.roles = roles
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.id = id
        self.sessionID = sessionID
        self.clientID = clientID
        self.scope = scope
        self.confirmation = confirmation
    }

    /// Who the token was issued to and for, the one place that tells: no `client_id` is a login's
    /// token; `client_id` equal to `sub` a client's own (client ids start with a letter and users'
    /// subjects are their numeric ids, so the two cannot be confused); any other a user's token
    /// issued to that client.
    public var kind: TokenKind {
        switch clientID {
        case nil: .firstParty
        case subject: .client
        default: .delegated
        }
    }

    /// The audience this token must name: authd's own (`jwt.audience`) for a login's token and a
    /// client's own, the client for a user's token issued to a client (DESIGN §13).
    public func expectedAudience(authd: String) -> String {
        guard kind == .delegated, let clientID else { return authd }
        return clientID
    }

    /// The granted scopes, one per element.
    public var scopes: [Substring] { scope?.split(separator: " ") ?? [] }

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", audience = "aud", subject = "sub", name, roles
        case issuedAt = "iat", notBefore = "nbf", expiresAt = "exp", id = "jti", sessionID = "sid"
        case clientID = "client_id", scope, confirmation = "cnf"
    }

    private struct Confirmation: Codable {
        var jkt: String
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try c.decode(String.self, forKey: .issuer)
        // RFC 7519 §4.1.3: a single audience may be a plain string.
        if let single = try? c.decode(String.self, forKey: .audience) {
            audience = [single]
        } else {
            audience = try c.decode([String].self, forKey: .audience)
        }
        subject = try c.decode(String.self, forKey: .subject)
        name = try c.decode(String.self, forKey: .name)
        roles = try c.decode([String].self, forKey: .roles)
        issuedAt = try Self.numericDate(c, .issuedAt)
        notBefore = try c.contains(.notBefore) ? Self.numericDate(c, .notBefore) : nil
        expiresAt = try Self.numericDate(c, .expiresAt)
        id = try c.decode(String.self, forKey: .id)
        sessionID = try c.decodeIfPresent(String.self, forKey: .sessionID)
        clientID = try c.decodeIfPresent(String.self, forKey: .clientID)
        scope = try c.decodeIfPresent(String.self, forKey: .scope)
        confirmation = try c.decodeIfPresent(Confirmation.self, forKey: .confirmation)?.jkt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(issuer, forKey: .issuer)
        if audience.count == 1 {
            try c.encode(audience[0], forKey: .audience)
        } else {
            try c.encode(audience, forKey: .audience)
        }
        try c.encode(subject, forKey: .subject)
        try c.encode(name, forKey: .name)
        try c.encode(roles, forKey: .roles)
        try c.encode(issuedAt, forKey: .issuedAt)
        try c.encodeIfPresent(notBefore, forKey: .notBefore)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(id, forKey: .id)
        try c.encodeIfPresent(sessionID, forKey: .sessionID)
        try c.encodeIfPresent(clientID, forKey: .clientID)
        try c.encodeIfPresent(scope, forKey: .scope)
        try c.encodeIfPresent(confirmation.map(Confirmation.init), forKey: .confirmation)
    }

    /// NumericDate may be fractional (RFC 7519 §2); authd compares whole seconds, rounding down.
    private static func numericDate(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int64 {
        let value = try c.decode(Double.self, forKey: key)
        guard value.isFinite, abs(value) < 1e15 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not a NumericDate")
        }
        return Int64(value.rounded(.down))
    }
}

extension AccessTokenClaims {
    /// From a token's payload as `FlatJSON` read it, with the rules of `init(from:)`: the required
    /// claims present with their types, `aud` a string or an array of strings, NumericDates
    /// finite and under 10^15 (rounded down), `null` for an optional string as its absence;
    /// members authd does not use are ignored.
    init(_ json: FlatJSON) throws(FlatJSON.Refused) {
        var issuer: String?
        var audience: [String]?
        var subject: String?
        var name: String?
        var roles: [String]?
        var issuedAt: Int64?
        var notBefore: Int64?
        var expiresAt: Int64?
        var id: String?
        var sessionID: String?
        var clientID: String?
        var scope: String?
        var confirmation: String?
        for (_, key, value) in json.members {
            switch key {
            case Names.iss: issuer = try Self.string(value)
            case Names.aud:
                switch value {
                case .string(let single): audience = [single]
                case .strings(let list): audience = list
                default: throw FlatJSON.Refused()
                }
            case Names.sub: subject = try Self.string(value)
            case Names.name: name = try Self.string(value)
            case Names.roles:
                guard case .strings(let list) = value else { throw FlatJSON.Refused() }
                roles = list
            case Names.iat: issuedAt = try Self.numericDate(value)
            case Names.nbf: notBefore = try Self.numericDate(value)
            case Names.exp: expiresAt = try Self.numericDate(value)
            case Names.jti: id = try Self.string(value)
            case Names.sid: sessionID = try Self.optionalString(value)
            case Names.clientID: clientID = try Self.optionalString(value)
            case Names.scope: scope = try Self.optionalString(value)
            case Names.cnf:
                // A `cnf` authd did not make (another confirmation method) binds to nothing it can check.
                guard case .object(let members) = value, let jkt = members["jkt"] else { throw FlatJSON.Refused() }
                confirmation = jkt
            default: continue
            }
        }
        guard let issuer, let audience, let subject, let name, let roles, let issuedAt, let expiresAt, let id else {
            throw FlatJSON.Refused()
        }
        self.init(
            issuer: issuer, audience: "", subject: subject, name: name, roles: roles, issuedAt: issuedAt,
            notBefore: notBefore, expiresAt: expiresAt, id: id, sessionID: sessionID, clientID: clientID, scope: scope,
            confirmation: confirmation)
        self.audience = audience
    }

    /// The claims' names as `FlatJSON` keys: matched as integers, not strings.
    private enum Names {
        static let iss = FlatJSON.key("iss")
        static let aud = FlatJSON.key("aud")
        static let sub = FlatJSON.key("sub")
        static let name = FlatJSON.key("name")
        static let roles = FlatJSON.key("roles")
        static let iat = FlatJSON.key("iat")
        static let nbf = FlatJSON.key("nbf")
        static let exp = FlatJSON.key("exp")
        static let jti = FlatJSON.key("jti")
        static let sid = FlatJSON.key("sid")
        static let clientID = FlatJSON.key("client_id")
        static let scope = FlatJSON.key("scope")
        static let cnf = FlatJSON.key("cnf")
    }

    private static func string(_ value: FlatJSON.Value) throws(FlatJSON.Refused) -> String {
        guard case .string(let text) = value else { throw FlatJSON.Refused() }
        return text
    }

    private static func optionalString(_ value: FlatJSON.Value) throws(FlatJSON.Refused) -> String? {
        switch value {
        case .null: nil
        case .string(let text): text
        default: throw FlatJSON.Refused()
        }
    }

    private static func numericDate(_ value: FlatJSON.Value) throws(FlatJSON.Refused) -> Int64 {
        guard case .number(let number) = value, abs(number) < 1e15 else { throw FlatJSON.Refused() }
        return Int64(number.rounded(.down))
    }
}

/// Who an access token was issued to and for (DESIGN §13), told apart by claims every token has.
public enum TokenKind: String, Hashable, Sendable, CaseIterable {
    /// A user's own token, for authd's own API: `/login`, `/token/refresh`, the portal's pages. No `client_id`.
    case firstParty = "first-party"
    /// An OAuth client's own token (client credentials): `sub` and `client_id` are the client.
    case client
    /// A user's token issued to an OAuth client through a grant: `client_id` names the client, `sub`
    /// the user, `aud` the client; only the granted scopes, roles only with `roles` or `admin`.
    case delegated

}
