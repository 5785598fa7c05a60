public import AuthCrypto

/// RFC 6749 §2.1: a confidential client holds a secret; a public one (a browser or mobile app)
/// cannot keep one and proves itself with PKCE instead.
public enum ClientType: String, Hashable, Sendable, CaseIterable {
    case confidential, `public`
}

/// The grants a client may use at `POST /oauth2/token`.
public enum GrantType: String, Hashable, Sendable, CaseIterable, Comparable {
    case clientCredentials = "client_credentials"
    case refreshToken = "refresh_token"
    case authorizationCode = "authorization_code"
    /// RFC 8628's device authorization grant.
    case deviceCode = "urn:ietf:params:oauth:grant-type:device_code"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A registered OAuth 2 client, without its secret. Times are Unix seconds.
public struct OAuthClient: Hashable, Sendable {
    public var id: String
    public var name: String
    public var type: ClientType
    public var grantTypes: [GrantType]
    /// The scopes it may ask for.
    public var scopes: [String]
    public var redirectURIs: [String]
    /// Roles its own tokens carry (service-to-service calls).
    public var roles: [String]
    /// Seconds its tokens live; nil for the access token lifetime.
    public var tokenLifetime: Int64?
    /// What its ID tokens are signed with (`id_token_signed_response_alg`): RS256 unless set.
    public var idTokenAlgorithm: JWSAlgorithm
    public var disabled: Bool
    /// A first-party application: its users are not asked to consent. Every other client asks.
    public var skipConsent: Bool
    /// A resource server: it may introspect tokens issued to others (any client may its own).
    public var mayIntrospect: Bool
    /// The code flow needs PKCE from it (always for a public client; an opt-out for a
    /// confidential one).
    public var requiresPKCE: Bool
    /// Its authorization requests must be pushed first (RFC 9126's
    /// `require_pushed_authorization_requests`).
    public var requiresPAR: Bool
    /// Every token request must carry a DPoP proof (RFC 9449 §5.2's `dpop_bound_access_tokens`).
    public var requiresDPoP: Bool
    /// Where it hears of sign-outs (OpenID Connect Back-Channel and Front-Channel Logout 1.0): a
    /// URI authd POSTs a logout token to, and one the signed-out page loads in an iframe.
    public var logout: LogoutChannels
    /// Its tokens are issued no earlier than this (its last cut-off).
    public var notBefore: Int64?
    public var createdAt: Int64

    public init(
        id: String, name: String, type: ClientType, grantTypes: [GrantType], scopes: [String],
        redirectURIs: [String] = [], roles: [String] = [], tokenLifetime: Int64? = nil,
        idTokenAlgorithm: JWSAlgorithm = .rs256, disabled: Bool = false, skipConsent: Bool = false,
        mayIntrospect: Bool = false, requiresPKCE: Bool = true, requiresPAR: Bool = false, requiresDPoP: Bool = false,
        logout: LogoutChannels = .init(), notBefore: Int64? = nil, createdAt: Int64
    ) {
        self.id = id
        self.name = name
        self.type = type
        self.grantTypes = grantTypes
        self.scopes = scopes
        self.redirectURIs = redirectURIs
        self.roles = roles
        self.tokenLifetime = tokenLifetime
        self.idTokenAlgorithm = idTokenAlgorithm
        self.disabled = disabled
        self.skipConsent = skipConsent
        self.mayIntrospect = mayIntrospect
        self.requiresPKCE = requiresPKCE || type == .public
        self.requiresPAR = requiresPAR
        self.requiresDPoP = requiresDPoP
        self.logout = logout
        self.notBefore = notBefore
        self.createdAt = createdAt
    }
}

/// Where a client hears that a user signed out of authd: `backchannel_logout_uri` and
/// `frontchannel_logout_uri` (OpenID Connect Back-Channel and Front-Channel Logout 1.0). Either
/// or both may be absent. authd always sends `sid` (and `iss` to the front channel), so the
/// `…_session_required` flags of the specs need no setting.
public struct LogoutChannels: Hashable, Sendable {
    public var backChannel: String?
    public var frontChannel: String?

    public init(backChannel: String? = nil, frontChannel: String? = nil) {
        self.backChannel = backChannel
        self.frontChannel = frontChannel
    }
}

/// What an administrator registers; the secret is made by authd.
public struct NewClient: Hashable, Sendable {
    public var id: String
    public var name: String
    public var type: ClientType
    public var grantTypes: [GrantType]
    public var scopes: [String]
    public var redirectURIs: [String]
    public var roles: [String]
    public var tokenLifetime: Int64?
    public var idTokenAlgorithm: JWSAlgorithm
    public var skipConsent: Bool
    public var mayIntrospect: Bool
    public var requiresPKCE: Bool
    public var requiresPAR: Bool
    public var requiresDPoP: Bool
    public var logout: LogoutChannels
    /// A dynamically registered client's registration access token (RFC 7592), as its SHA-256.
    public var registrationHash: String?

    public init(
        id: String, name: String? = nil, type: ClientType = .confidential,
        grantTypes: [GrantType] = [.clientCredentials], scopes: [String] = [], redirectURIs: [String] = [],
        roles: [String] = [], tokenLifetime: Int64? = nil, idTokenAlgorithm: JWSAlgorithm = .rs256,
        skipConsent: Bool = false, mayIntrospect: Bool = false, requiresPKCE: Bool = true, requiresPAR: Bool = false,
        requiresDPoP: Bool = false, logout: LogoutChannels = .init()
    ) {
        self.id = id
        self.name = name ?? id
        self.type = type
        self.grantTypes = grantTypes
        self.scopes = scopes
        self.redirectURIs = redirectURIs
        self.roles = roles
        self.tokenLifetime = tokenLifetime
        self.idTokenAlgorithm = idTokenAlgorithm
        self.skipConsent = skipConsent
        self.mayIntrospect = mayIntrospect
        self.requiresPKCE = requiresPKCE
        self.requiresPAR = requiresPAR
        self.requiresDPoP = requiresDPoP
        self.logout = logout
    }
}

/// An administrative edit of a client; nil fields stay as they are. Every change but the name
/// cuts off the client's tokens, so none outlives what it was issued under.
public struct ClientChange: Hashable, Sendable {
    public var name: String?
    public var disabled: Bool?
    public var grantTypes: [GrantType]?
    public var scopes: [String]?
    public var redirectURIs: [String]?
    public var roles: [String]?
    /// `.some(nil)` goes back to the access token lifetime.
    public var tokenLifetime: Int64??
    public var idTokenAlgorithm: JWSAlgorithm?
    public var skipConsent: Bool?
    public var mayIntrospect: Bool?
    public var requiresPKCE: Bool?
    public var requiresPAR: Bool?
    public var requiresDPoP: Bool?
    /// `.some(nil)` removes the URI.
    public var backChannelLogoutURI: String??
    public var frontChannelLogoutURI: String??

    public init(
        name: String? = nil, disabled: Bool? = nil, grantTypes: [GrantType]? = nil, scopes: [String]? = nil,
        redirectURIs: [String]? = nil, roles: [String]? = nil, tokenLifetime: Int64?? = nil,
        idTokenAlgorithm: JWSAlgorithm? = nil, skipConsent: Bool? = nil, mayIntrospect: Bool? = nil,
        requiresPKCE: Bool? = nil, requiresPAR: Bool? = nil, requiresDPoP: Bool? = nil,
        backChannelLogoutURI: String?? = nil, frontChannelLogoutURI: String?? = nil
    ) {
        self.name = name
        self.disabled = disabled
        self.grantTypes = grantTypes
        self.scopes = scopes
        self.redirectURIs = redirectURIs
        self.roles = roles
        self.tokenLifetime = tokenLifetime
        self.idTokenAlgorithm = idTokenAlgorithm
        self.skipConsent = skipConsent
        self.mayIntrospect = mayIntrospect
        self.requiresPKCE = requiresPKCE
        self.requiresPAR = requiresPAR
        self.requiresDPoP = requiresDPoP
        self.backChannelLogoutURI = backChannelLogoutURI
        self.frontChannelLogoutURI = frontChannelLogoutURI
    }

    public var isEmpty: Bool {
        name == nil && disabled == nil && grantTypes == nil && scopes == nil && redirectURIs == nil && roles == nil
            && tokenLifetime == nil && idTokenAlgorithm == nil && skipConsent == nil && mayIntrospect == nil
            && requiresPKCE == nil && requiresPAR == nil && requiresDPoP == nil && backChannelLogoutURI == nil
            && frontChannelLogoutURI == nil
    }

    /// Whether tokens issued before it must stop working: anything but a new name, ID-token
    /// algorithm (its ID tokens are not access tokens), what the next authorization or
    /// introspection asks of the client, or where it hears of sign-outs (none of which a token
    /// carries).
    public var cutsOff: Bool {
        var rest = self
        rest.name = nil
        rest.idTokenAlgorithm = nil
        rest.skipConsent = nil
        rest.mayIntrospect = nil
        rest.requiresPKCE = nil
        rest.requiresPAR = nil
        rest.requiresDPoP = nil
        rest.backChannelLogoutURI = nil
        rest.frontChannelLogoutURI = nil
        return !rest.isEmpty
    }
}

/// A client as the token endpoint checks it: the record and its secret's hash.
public struct ClientCredential: Sendable {
    public var client: OAuthClient
    public var secretHash: String?

    public init(client: OAuthClient, secretHash: String?) {
        self.client = client
        self.secretHash = secretHash
    }
}

public enum OAuthScope {
    /// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`, at most 128 bytes here.
    public static func isToken(_ scope: String) -> Bool {
        (1...128).contains(scope.utf8.count)
            && scope.utf8.allSatisfy { $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) }
    }

    /// A `scope` parameter's tokens, well-formed and single-space separated; sorted, each once.
    static func tokens(in requested: String) throws(AuthError) -> [String] {
        let asked = requested.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard asked.count <= 64, asked.allSatisfy(isToken) else {
            throw AuthError(.invalidScope, "scope must be scope tokens separated by single spaces")
        }
        return Set(asked).sorted()
    }

    /// The scopes `requested` asks for, each one of `allowed`; all of `allowed` when it is absent
    /// or empty. `invalidScope` for a malformed parameter or a scope not allowed. The token
    /// endpoint and the authorization endpoint decide by this one rule.
    static func granted(_ requested: String?, allowed: Set<String>) throws(AuthError) -> [String] {
        guard let requested, !requested.isEmpty else { return allowed.sorted() }
        let asked = try tokens(in: requested)
        for scope in asked where !allowed.contains(scope) {
            throw AuthError(.invalidScope, "this client may not have the scope \(scope)")
        }
        return asked
    }
}

/// Client secrets: 32 random bytes (base64url, 43 characters), shown once, stored as SHA-256.
/// With that much entropy a slow hash would protect nothing more and cost every token request.
public enum ClientSecret {
    public static func generate() throws -> String {
        Base64.url.encode(try SecureRandom.bytes(32))
    }

    public static func hash(_ secret: String) throws -> String {
        try Digest.sha256Hex(Array(secret.utf8))
    }

    /// Constant-time in the secret; `storedHash` nil (an unknown or public client) compares with a
    /// hash nothing matches, so that case costs the same.
    static func matches(_ secret: String, storedHash: String?) -> Bool {
        let presented = (try? hash(secret)) ?? ""
        let stored = storedHash ?? String(repeating: "-", count: 64)
        return ConstantTime.equals(Array(presented.utf8), Array(stored.utf8)) && storedHash != nil
    }
}

/// Clients in persistent storage. Every change runs in one transaction with its audit row, and
/// returns the revocations it recorded (a client's cut-off).
public protocol ClientStore: Sendable {
    func clients() async throws -> [OAuthClient]
    func client(id: String) async throws -> OAuthClient?
    /// The client and its secret's hash, for the token endpoint.
    func credential(id: String) async throws -> ClientCredential?
    /// `clientExists` when the id is taken; `unknownRole` for a role that does not exist.
    func create(_ client: NewClient, secretHash: String?, by actor: Actor) async throws -> OAuthClient
    func update(clientID: String, _ change: ClientChange, by actor: Actor) async throws -> Changed<OAuthClient>
    func delete(clientID: String, by actor: Actor) async throws -> Changed<Void>
    /// Replaces a confidential client's secret and cuts off its tokens.
    func setSecret(clientID: String, hash: String, by actor: Actor) async throws -> Changed<Void>
    /// Revokes one access token (RFC 7009) until it would have expired.
    func revoke(tokenID: String, expiresAt: Int64) async throws -> Changed<Void>

    /// Stores an initial access token for dynamic registration (its hash), usable until
    /// `expiresAt` (Unix seconds), `uses` times (nil: any number); audited.
    func createRegistrationToken(hash: String, expiresAt: Int64, uses: Int?, by actor: Actor) async throws
    /// Spends one use of the initial access token with this hash; false when it is unknown,
    /// expired or used up.
    func spendRegistrationToken(hash: String) async throws -> Bool
    /// The client whose registration access token has this hash.
    func client(registrationHash: String) async throws -> OAuthClient?
}

extension NewClient {
    /// The audit row's details of a registration (never the secret).
    public var auditDetails: [String: String] {
        let pkce = requiresPKCE || type == .public
        var details = [
            "type": type.rawValue, "grant_types": grantTypes.map(\.rawValue).joined(separator: ","),
            "scopes": scopes.joined(separator: ","), "roles": roles.joined(separator: ","),
            "skip_consent": skipConsent ? "true" : "false", "introspection": mayIntrospect ? "true" : "false",
            "pkce_required": pkce ? "true" : "false",
            "require_pushed_authorization_requests": requiresPAR ? "true" : "false",
            "dpop_bound_access_tokens": requiresDPoP ? "true" : "false",
        ]
        details["backchannel_logout_uri"] = logout.backChannel
        details["frontchannel_logout_uri"] = logout.frontChannel
        return details
    }
}

extension ClientChange {
    /// The audit row's details of an edit: the fields it sets.
    public var auditDetails: [String: String] {
        func boolean(_ value: Bool) -> String { value ? "true" : "false" }
        var details: [String: String] = [:]
        details["name"] = name
        details["disabled"] = disabled.map(boolean)
        details["grant_types"] = grantTypes.map { $0.map(\.rawValue).joined(separator: ",") }
        details["scopes"] = scopes?.joined(separator: ",")
        details["redirect_uris"] = redirectURIs?.joined(separator: ",")
        details["roles"] = roles?.joined(separator: ",")
        if let lifetime = tokenLifetime { details["token_lifetime"] = lifetime.map(String.init) ?? "default" }
        details["id_token_signed_response_alg"] = idTokenAlgorithm?.rawValue
        details["skip_consent"] = skipConsent.map(boolean)
        details["introspection"] = mayIntrospect.map(boolean)
        details["pkce_required"] = requiresPKCE.map(boolean)
        details["require_pushed_authorization_requests"] = requiresPAR.map(boolean)
        details["dpop_bound_access_tokens"] = requiresDPoP.map(boolean)
        if let uri = backChannelLogoutURI { details["backchannel_logout_uri"] = uri ?? "" }
        if let uri = frontChannelLogoutURI { details["frontchannel_logout_uri"] = uri ?? "" }
        return details
    }
}
