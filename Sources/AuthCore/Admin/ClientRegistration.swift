import AuthCrypto

/// What a client sends to register itself (RFC 7591 §2), already parsed; nil fields take the
/// defaults the RFC names.
public struct ClientMetadata: Hashable, Sendable {
    public var redirectURIs: [String]?
    /// `client_secret_basic` (the default), `client_secret_post`, or `none` (a public client).
    public var tokenEndpointAuthMethod: String?
    public var grantTypes: [String]?
    public var responseTypes: [String]?
    public var clientName: String?
    /// Space-separated.
    public var scope: String?
    public var idTokenSignedResponseAlgorithm: String?
    public var backChannelLogoutURI: String?
    public var frontChannelLogoutURI: String?
    public var requirePushedRequests: Bool?
    /// RFC 9449 §5.2's `dpop_bound_access_tokens`.
    public var dpopBound: Bool?

    public init(
        redirectURIs: [String]? = nil, tokenEndpointAuthMethod: String? = nil, grantTypes: [String]? = nil,
        responseTypes: [String]? = nil, clientName: String? = nil, scope: String? = nil,
        idTokenSignedResponseAlgorithm: String? = nil, backChannelLogoutURI: String? = nil,
        frontChannelLogoutURI: String? = nil, requirePushedRequests: Bool? = nil, dpopBound: Bool? = nil
    ) {
        self.dpopBound = dpopBound
        self.redirectURIs = redirectURIs
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.grantTypes = grantTypes
        self.responseTypes = responseTypes
        self.clientName = clientName
        self.scope = scope
        self.idTokenSignedResponseAlgorithm = idTokenSignedResponseAlgorithm
        self.backChannelLogoutURI = backChannelLogoutURI
        self.frontChannelLogoutURI = frontChannelLogoutURI
        self.requirePushedRequests = requirePushedRequests
    }
}

/// A client registered dynamically: what `registerClient` answers (RFC 7591 §3.2.1), with the two
/// secrets shown this once.
public struct DynamicRegistration: Sendable {
    public var client: OAuthClient
    /// Nil for a public client.
    public var secret: String?
    /// RFC 7592's registration access token: the client reads, changes or deletes itself with it.
    public var registrationToken: String
    public var authMethod: String
}

/// RFC 7591's errors: a redirect URI that is not allowed, or other metadata that is not.
public struct RegistrationRefusal: Error, Hashable, Sendable {
    public enum Code: String, Sendable {
        case invalidRedirectURI = "invalid_redirect_uri"
        case invalidClientMetadata = "invalid_client_metadata"
    }

    public var code: Code
    public var description: String
}

/// Dynamic client registration (RFC 7591, RFC 7592): behind an initial access token an
/// administrator made, a client registers itself, checked by the same rules as `authctl client
/// create` (`ClientRules`); it gets no roles, never skips consent and may not introspect others'
/// tokens. Its id is made by authd (`dyn-` and 12 random letters and digits).
extension AdminService {
    /// An initial access token for dynamic registration, returned this once: valid `lifetime`
    /// seconds (an hour to 30 days), `uses` registrations (nil: any number until it expires).
    public func createRegistrationToken(lifetime: Int64, uses: Int?, by actor: Actor) async throws -> String {
        try permit(actor, Permission.clientsWrite)
        guard (3600...30 * 86400).contains(lifetime), (uses ?? 1) >= 1, (uses ?? 1) <= 10000 else {
            throw AuthError(.invalidInput, "an initial access token lives 1 hour to 30 days, for 1 to 10000 uses")
        }
        let token = Base64.url.encode(try SecureRandom.bytes(32))
        try await clients.createRegistrationToken(
            hash: try Digest.sha256Hex(Array(token.utf8)), expiresAt: UnixTime.now() + lifetime, uses: uses, by: actor)
        logger.notice("registration token created", metadata: ["actor": "\(actor.name)"])
        return token
    }

    /// RFC 7591 §3: registers a client with `initialToken`. `invalidToken` for a token that is not
    /// a live initial access token; `RegistrationRefusal` for metadata the rules refuse. A use of
    /// the token is spent once the metadata passed.
    public func registerClient(_ metadata: ClientMetadata, initialToken: String, source: String?) async throws
        -> DynamicRegistration
    {
        let refused = AuthError(.invalidToken, "the initial access token is invalid, expired or used up")
        guard Identity.isBase64URL(initialToken, lengths: 43...43) else { throw refused }
        var new = try Self.newClient(metadata, configuration: configuration)
        let authMethod = metadata.tokenEndpointAuthMethod ?? "client_secret_basic"
        guard try await clients.spendRegistrationToken(hash: try Digest.sha256Hex(Array(initialToken.utf8))) else {
            throw refused
        }
        let registrationToken = Base64.url.encode(try SecureRandom.bytes(32))
        new.registrationHash = try Digest.sha256Hex(Array(registrationToken.utf8))
        let secret = new.type == .confidential ? try ClientSecret.generate() : nil
        let actor = Actor(id: nil, name: "registration", source: source ?? "unknown")
        let client = try await clients.create(new, secretHash: try secret.map(ClientSecret.hash), by: actor)
        logger.notice("client registered", metadata: ["client_id": "\(client.id)"])
        return DynamicRegistration(
            client: client, secret: secret, registrationToken: registrationToken, authMethod: authMethod)
    }

    /// RFC 7592 §2: the client whose registration access token this is; `invalidToken` otherwise.
    public func registeredClient(registrationToken: String) async throws -> OAuthClient {
        guard Identity.isBase64URL(registrationToken, lengths: 43...43),
            let client = try await clients.client(
                registrationHash: try Digest.sha256Hex(Array(registrationToken.utf8)))
        else { throw AuthError(.invalidToken, "the registration access token is invalid") }
        return client
    }

    /// RFC 7592 §2.2: replaces the client's metadata with `metadata` (its type stays), checked as
    /// at registration; its tokens are cut off as any such change does.
    public func updateRegisteredClient(_ metadata: ClientMetadata, registrationToken: String) async throws
        -> OAuthClient
    {
        let client = try await registeredClient(registrationToken: registrationToken)
        if let method = metadata.tokenEndpointAuthMethod, (method == "none") != (client.type == .public) {
            throw RegistrationRefusal(
                code: .invalidClientMetadata, description: "token_endpoint_auth_method cannot change the client's type")
        }
        var asked = metadata
        asked.tokenEndpointAuthMethod = metadata.tokenEndpointAuthMethod ?? (client.type == .public ? "none" : nil)
        let new = try Self.newClient(asked, configuration: configuration, id: client.id)
        let change = ClientChange(
            name: new.name, grantTypes: new.grantTypes, scopes: new.scopes, redirectURIs: new.redirectURIs,
            idTokenAlgorithm: new.idTokenAlgorithm, requiresPAR: new.requiresPAR, requiresDPoP: new.requiresDPoP,
            backChannelLogoutURI: .some(new.logout.backChannel), frontChannelLogoutURI: .some(new.logout.frontChannel))
        let changed = try await clients.update(
            clientID: client.id, change, by: Actor(id: nil, name: "registration:\(client.id)", source: "registration"))
        revocations.apply(changed.revocations)
        return changed.value
    }

    /// RFC 7592 §2.3: the client deletes itself.
    public func deleteRegisteredClient(registrationToken: String) async throws {
        let client = try await registeredClient(registrationToken: registrationToken)
        revocations.apply(
            try await clients.delete(
                clientID: client.id, by: Actor(id: nil, name: "registration:\(client.id)", source: "registration")
            ).revocations)
        logger.notice("registered client deleted itself", metadata: ["client_id": "\(client.id)"])
    }

    /// The metadata as a registration, by `ClientRules`; RFC 7591's defaults where it is silent.
    static func newClient(_ metadata: ClientMetadata, configuration: Configuration, id: String? = nil) throws
        -> NewClient
    {
        func refuse(_ text: String) -> RegistrationRefusal {
            RegistrationRefusal(code: .invalidClientMetadata, description: text)
        }
        let type: ClientType
        switch metadata.tokenEndpointAuthMethod ?? "client_secret_basic" {
        case "client_secret_basic", "client_secret_post": type = .confidential
        case "none": type = .public
        default: throw refuse("token_endpoint_auth_method must be client_secret_basic, client_secret_post or none")
        }
        var grants: [GrantType] = []
        for name in metadata.grantTypes ?? [GrantType.authorizationCode.rawValue] {
            guard let grant = GrantType(rawValue: name) else {
                throw refuse(
                    "grant_types may hold authorization_code, refresh_token, client_credentials and the device grant")
            }
            grants.append(grant)
        }
        let responseTypes = metadata.responseTypes ?? (grants.contains(.authorizationCode) ? ["code"] : [])
        guard responseTypes == (grants.contains(.authorizationCode) ? ["code"] : []) else {
            throw refuse("response_types is [\"code\"] with the authorization_code grant, and empty without it")
        }
        let redirects = metadata.redirectURIs ?? []
        if grants.contains(.authorizationCode), redirects.isEmpty {
            throw RegistrationRefusal(code: .invalidRedirectURI, description: "the code flow needs redirect_uris")
        }
        let clientID = try id ?? "dyn-" + Self.randomLetters(12)
        var new = NewClient(id: clientID, name: metadata.clientName ?? clientID, type: type, grantTypes: grants)
        do {
            new.redirectURIs = try ClientRules.validRedirectURIs(redirects)
        } catch {
            throw RegistrationRefusal(code: .invalidRedirectURI, description: error.message)
        }
        do {
            new.name = try ClientRules.validName(new.name)
            new.grantTypes = try ClientRules.validGrantTypes(new.grantTypes, for: type)
            let asked = metadata.scope.map { $0.split(separator: " ").map(String.init) }
            new.scopes = try ClientRules.validScopes(
                asked ?? ["openid", "profile", "email"].filter(configuration.scopes.contains),
                allowed: configuration.scopes)
            if let name = metadata.idTokenSignedResponseAlgorithm {
                guard let algorithm = JWSAlgorithm(rawValue: name), algorithm != .hs256 else {
                    throw refuse("id_token_signed_response_alg is RS256, ES256 or EdDSA")
                }
                try ClientRules.checkIDTokenAlgorithm(algorithm, supported: configuration.idTokenAlgorithms)
                new.idTokenAlgorithm = algorithm
            }
            new.logout = try ClientRules.validLogoutChannels(
                LogoutChannels(backChannel: metadata.backChannelLogoutURI, frontChannel: metadata.frontChannelLogoutURI)
            )
            new.requiresPAR = metadata.requirePushedRequests ?? false
            new.requiresDPoP = metadata.dpopBound ?? false
        } catch let error as AuthError {
            throw refuse(error.message)
        }
        return new
    }

    /// `count` of a–z and 0–9, uniformly.
    static func randomLetters(_ count: Int) throws -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var letters: [UInt8] = []
        while letters.count < count {
            for byte in try SecureRandom.bytes(32) where byte < 252 && letters.count < count {
                letters.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return String(decoding: letters, as: UTF8.self)
    }
}
