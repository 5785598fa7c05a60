import AuthCrypto

/// A client as registered, with the secret shown this once (nil for a public client).
public struct RegisteredClient: Sendable {
    public var client: OAuthClient
    public var secret: String?
}

extension AdminService {
    // MARK: OAuth clients

    public func clients(by actor: Actor) async throws -> [OAuthClient] {
        try permit(actor, Permission.clientsRead)
        return try await clients.clients()
    }

    public func client(id: String, by actor: Actor) async throws -> OAuthClient {
        try permit(actor, Permission.clientsRead)
        guard let client = try await clients.client(id: try ClientRules.validID(id)) else {
            throw ClientRules.notFound
        }
        return client
    }

    /// Registers a client; a confidential one gets a new secret, returned here and never again.
    public func createClient(_ new: NewClient, by actor: Actor) async throws -> RegisteredClient {
        try permit(actor, Permission.clientsWrite)
        var new = new
        new.id = try ClientRules.validID(new.id)
        new.name = try ClientRules.validName(new.name)
        new.grantTypes = try ClientRules.validGrantTypes(new.grantTypes, for: new.type)
        new.scopes = try ClientRules.validScopes(new.scopes, allowed: configuration.scopes)
        new.redirectURIs = try ClientRules.validRedirectURIs(new.redirectURIs)
        new.roles = try ClientRules.validRoles(new.roles)
        new.tokenLifetime = try ClientRules.validLifetime(new.tokenLifetime)
        try ClientRules.checkPKCE(required: new.requiresPKCE, for: new.type)
        try ClientRules.checkIDTokenAlgorithm(new.idTokenAlgorithm, supported: configuration.idTokenAlgorithms)
        new.logout = try ClientRules.validLogoutChannels(new.logout)
        guard delegation(of: actor).mayChangeRoles(from: [], to: new.roles) else { throw Delegation.refused }
        let secret = new.type == .confidential ? try ClientSecret.generate() : nil
        let client = try await clients.create(new, secretHash: try secret.map(ClientSecret.hash), by: actor)
        logger.notice("client created", metadata: ["client_id": "\(client.id)", "actor": "\(actor.name)"])
        return RegisteredClient(client: client, secret: secret)
    }

    public func updateClient(id: String, _ change: ClientChange, by actor: Actor) async throws -> OAuthClient {
        try permit(actor, Permission.clientsWrite)
        guard !change.isEmpty else {
            throw AuthError(
                .invalidInput,
                "nothing to change: give name, disabled, grant_types, scopes, redirect_uris, roles, token_lifetime, "
                    + "id_token_signed_response_alg, skip_consent, introspection, pkce_required, backchannel_logout_uri "
                    + "or frontchannel_logout_uri")
        }
        let before = try await client(id: id, by: actor)
        var change = change
        change.name = try change.name.map(ClientRules.validName)
        change.grantTypes = try change.grantTypes.map { try ClientRules.validGrantTypes($0, for: before.type) }
        change.scopes = try change.scopes.map { try ClientRules.validScopes($0, allowed: configuration.scopes) }
        change.redirectURIs = try change.redirectURIs.map(ClientRules.validRedirectURIs)
        change.roles = try change.roles.map(ClientRules.validRoles)
        if let lifetime = change.tokenLifetime { change.tokenLifetime = .some(try ClientRules.validLifetime(lifetime)) }
        if let required = change.requiresPKCE { try ClientRules.checkPKCE(required: required, for: before.type) }
        if let algorithm = change.idTokenAlgorithm {
            try ClientRules.checkIDTokenAlgorithm(algorithm, supported: configuration.idTokenAlgorithms)
        }
        if case .some(.some(let uri)) = change.backChannelLogoutURI {
            change.backChannelLogoutURI = .some(try ClientRules.validLogoutURI(uri, field: "backchannel_logout_uri"))
        }
        if case .some(.some(let uri)) = change.frontChannelLogoutURI {
            change.frontChannelLogoutURI = .some(try ClientRules.validLogoutURI(uri, field: "frontchannel_logout_uri"))
        }
        let delegation = delegation(of: actor)
        guard delegation.mayManage(accountWith: before.roles),
            change.roles.map({ delegation.mayChangeRoles(from: before.roles, to: $0) }) ?? true
        else { throw Delegation.refused }
        let changed = try await clients.update(clientID: before.id, change, by: actor)
        revocations.apply(changed.revocations)
        logger.notice("client updated", metadata: ["client_id": "\(before.id)", "actor": "\(actor.name)"])
        return changed.value
    }

    public func deleteClient(id: String, by actor: Actor) async throws {
        let before = try await client(id: id, by: actor)
        try permit(actor, Permission.clientsWrite)
        guard delegation(of: actor).mayManage(accountWith: before.roles) else { throw Delegation.refused }
        revocations.apply(try await clients.delete(clientID: before.id, by: actor).revocations)
        logger.notice("client deleted", metadata: ["client_id": "\(before.id)", "actor": "\(actor.name)"])
    }

    /// A new secret for a confidential client, returned this once; the old one stops working at
    /// once on every instance and the tokens it got are cut off (a rotation is usually a leak).
    public func rotateSecret(clientID: String, by actor: Actor) async throws -> String {
        let before = try await client(id: clientID, by: actor)
        try permit(actor, Permission.clientsWrite)
        guard before.type == .confidential else {
            throw AuthError(.notFound, "this client is public: it has no secret")
        }
        guard delegation(of: actor).mayManage(accountWith: before.roles) else { throw Delegation.refused }
        let secret = try ClientSecret.generate()
        let changed = try await clients.setSecret(clientID: before.id, hash: try ClientSecret.hash(secret), by: actor)
        revocations.apply(changed.revocations)
        logger.notice("client secret rotated", metadata: ["client_id": "\(before.id)", "actor": "\(actor.name)"])
        return secret
    }
}

/// What a client registration must look like.
enum ClientRules {
    static let notFound = AuthError(.notFound, "no such client")

    /// Like role names (1–64 of `[a-z0-9_.-]`, starting with a letter): never a number, so a
    /// client's `sub` cannot be mistaken for a user's id.
    static func validID(_ id: String) throws(AuthError) -> String {
        guard Identity.isRoleName(id) else {
            throw AuthError(
                .invalidInput, "client ids are 1 to 64 of a-z, 0-9, '_', '.', '-', starting with a letter")
        }
        return id
    }

    static func validName(_ name: String) throws(AuthError) -> String {
        guard (1...128).contains(name.unicodeScalars.count),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw AuthError(.invalidInput, "name must be 1 to 128 characters, without control characters") }
        return name
    }

    /// A public client cannot keep a secret, so it cannot use client credentials (RFC 6749 §4.4).
    static func validGrantTypes(_ grants: [GrantType], for type: ClientType) throws(AuthError) -> [GrantType] {
        guard !grants.isEmpty else { throw AuthError(.invalidInput, "give at least one grant type") }
        guard type == .confidential || !grants.contains(.clientCredentials) else {
            throw AuthError(.invalidClientMetadata, "a public client cannot use client_credentials")
        }
        return Set(grants).sorted()
    }

    /// A public client has no secret: PKCE is what proves its codes are its own (RFC 7636), so it
    /// cannot opt out.
    static func checkPKCE(required: Bool, for type: ClientType) throws(AuthError) {
        guard required || type == .confidential else {
            throw AuthError(.invalidClientMetadata, "a public client must use PKCE: pkce_required cannot be false")
        }
    }

    /// RS256, or the access-token pair's algorithm: the keys authd has (never HS256, whose key is
    /// authd's secret).
    static func checkIDTokenAlgorithm(_ algorithm: JWSAlgorithm, supported: [JWSAlgorithm]) throws(AuthError) {
        guard supported.contains(algorithm) else {
            throw AuthError(
                .invalidClientMetadata,
                "id_token_signed_response_alg must be one of \(supported.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// Each one of the configured scopes.
    static func validScopes(_ scopes: [String], allowed: Set<String>) throws(AuthError) -> [String] {
        guard scopes.count <= 64 else { throw AuthError(.invalidInput, "give at most 64 scopes") }
        for scope in scopes where !allowed.contains(scope) {
            throw AuthError(
                .invalidClientMetadata,
                "scope \(OAuthScope.isToken(scope) ? scope : "(malformed)") is not one of oauth.scopes")
        }
        return Set(scopes).sorted()
    }

    /// Absolute, without a fragment (RFC 6749 §3.1.2), at most 512 bytes; `https`, `http` only to a
    /// loopback host, or a private-use scheme with a dot for native apps (RFC 8252 §7.1).
    static func validRedirectURIs(_ uris: [String]) throws(AuthError) -> [String] {
        guard uris.count <= 16 else { throw AuthError(.invalidInput, "give at most 16 redirect URIs") }
        for uri in uris where !isRedirectURI(uri) {
            throw AuthError(
                .invalidClientMetadata,
                "redirect URIs must be absolute https URIs (http only on localhost) or a native app's scheme, "
                    + "without a fragment")
        }
        return Array(Set(uris)).sorted()
    }

    static func validLogoutChannels(_ channels: LogoutChannels) throws(AuthError) -> LogoutChannels {
        LogoutChannels(
            backChannel: try channels.backChannel.map { uri throws(AuthError) in
                try validLogoutURI(uri, field: "backchannel_logout_uri")
            },
            frontChannel: try channels.frontChannel.map { uri throws(AuthError) in
                try validLogoutURI(uri, field: "frontchannel_logout_uri")
            })
    }

    /// Back-Channel Logout §2.2 and Front-Channel Logout §2: an absolute URI, https (http only to a
    /// loopback host), without a fragment; a query is allowed. Never `;`, `,` or a quote: the
    /// front-channel one goes into the signed-out page's Content-Security-Policy.
    static func validLogoutURI(_ uri: String, field: String) throws(AuthError) -> String {
        guard uri.hasPrefix("https://") || uri.hasPrefix("http://"), isRedirectURI(uri),
            !uri.utf8.contains(where: { ";,'\"\\".utf8.contains($0) })
        else {
            throw AuthError(
                .invalidClientMetadata,
                "\(field) must be an absolute https URI (http only on localhost) without a fragment")
        }
        return uri
    }

    static func isRedirectURI(_ uri: String) -> Bool {
        let bytes = Array(uri.utf8)
        guard (1...512).contains(bytes.count), !bytes.contains(UInt8(ascii: "#")),
            bytes.allSatisfy({ (0x21...0x7E).contains($0) }), let colon = bytes.firstIndex(of: UInt8(ascii: ":"))
        else { return false }
        let scheme = String(decoding: bytes[..<colon], as: UTF8.self)
        let rest = String(decoding: bytes[(colon + 1)...], as: UTF8.self)
        switch scheme {
        case "https":
            return rest.hasPrefix("//") && isAuthority(rest) && !host(of: rest).isEmpty
        case "http":
            return rest.hasPrefix("//") && isAuthority(rest)
                && ["localhost", "127.0.0.1", "[::1]"].contains(host(of: rest))
        default:
            let schemeBytes = scheme.utf8
            return scheme.contains(".") && schemeBytes.first.map(Identity.isLowerAlphanumeric) == true
                && schemeBytes.allSatisfy { Identity.isLowerAlphanumeric($0) || "+-.".utf8.contains($0) }
        }
    }

    /// `//host[:port]` up to the path: a host name, an IPv4 address or a bracketed IPv6 literal,
    /// and digits after a colon. The portal puts a redirect URI's origin into its
    /// Content-Security-Policy, so `;`, `,`, quotes or spaces there would write policy.
    static func isAuthority(_ rest: String) -> Bool {
        let authority = rest.dropFirst(2).prefix { $0 != "/" && $0 != "?" }
        let digit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        let isPort = { (port: Substring) in (1...5).contains(port.utf8.count) && port.utf8.allSatisfy(digit) }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            let literal = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            return !literal.isEmpty
                && literal.utf8.allSatisfy {
                    Identity.isAlphanumeric($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".")
                }
                && (after.isEmpty || (after.hasPrefix(":") && isPort(after.dropFirst())))
        }
        let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        return !parts[0].isEmpty
            && parts[0].utf8.allSatisfy {
                Identity.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            }
            && (parts.count == 1 || isPort(parts[1]))
    }

    /// The host of `//host[:port]/…`, lower-cased, without user info.
    private static func host(of rest: String) -> String {
        let authority = rest.dropFirst(2).prefix { $0 != "/" && $0 != "?" }
        guard !authority.contains("@") else { return "" }
        if authority.hasPrefix("[") { return String(authority.prefix { $0 != "]" }) + "]" }
        return String(authority.prefix { $0 != ":" }).lowercased()
    }

    static func validRoles(_ roles: [String]) throws(AuthError) -> [String] {
        guard roles.count <= 32 else { throw AuthError(.invalidInput, "give at most 32 roles") }
        return Set(try roles.map { role throws(AuthError) in try Identity.validRoleName(role) }).sorted()
    }

    static func validLifetime(_ lifetime: Int64?) throws(AuthError) -> Int64? {
        guard let lifetime else { return nil }
        guard (60...86400).contains(lifetime) else {
            throw AuthError(.invalidInput, "token_lifetime must be 60 to 86400 seconds")
        }
        return lifetime
    }
}
