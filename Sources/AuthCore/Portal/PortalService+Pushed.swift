import AuthCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Pushed authorization requests (RFC 9126): a client posts its authorization request straight
/// to authd, authenticated, and sends the browser with only `client_id` and the `request_uri` it
/// got back, so nothing of the request passes through the browser where it could be read or
/// changed. The request is checked when it is pushed, as the authorization endpoint checks one,
/// and taken once, by the client that pushed it, within a minute.
extension PortalService {
    /// RFC 9126 §2.2: `urn:ietf:params:oauth:request_uri:` and 256 random bits.
    public static let requestURIPrefix = "urn:ietf:params:oauth:request_uri:"
    /// Seconds a pushed request waits for its browser.
    public static let pushedLifetime: Int64 = 60

    /// Checks `parameters` for `client` (authenticated) and stores them: the `request_uri` to send
    /// the browser with. `AuthorizationRefusal` as the authorization endpoint refuses (the front
    /// end answers it in JSON); `request_uri` itself cannot be pushed, and `client_id`, when
    /// given, must be the client's.
    public func push(_ parameters: AuthorizationParameters, client: OAuthClient) async throws
        -> (requestURI: String, expiresIn: Int64)
    {
        guard parameters.requestURI == nil else {
            throw AuthorizationRefusal.page(AuthError(.invalidInput, "request_uri cannot be pushed"))
        }
        guard parameters.clientID == nil || parameters.clientID == client.id else {
            throw AuthorizationRefusal.page(AuthError(.invalidInput, "client_id is not the authenticated client"))
        }
        var pushed = parameters
        pushed.clientID = client.id
        pushed.pushed = true
        if case .failure(let refusal) = AuthorizationRules.check(
            pushed, client: client, configuredScopes: auth.oauth.scopes)
        {
            throw refusal
        }
        let token = Base64.url.encode(try SecureRandom.bytes(32))
        try await auth.oauth.codes.savePushed(
            uriHash: try Digest.sha256Hex(Array(token.utf8)), clientID: client.id,
            parameters: String(decoding: try JSONEncoder().encode(pushed), as: UTF8.self),
            lifetime: Self.pushedLifetime)
        logger.info("authorization request pushed", metadata: ["client_id": "\(client.id)"])
        return (Self.requestURIPrefix + token, Self.pushedLifetime)
    }

    /// What the authorization endpoint works on: a pushed request's parameters when the browser
    /// came with one of authd's `request_uri`s (taken now: a second use, an expired one or another
    /// client's is `invalidInput`, an error page, since no redirect URI can be trusted), and the
    /// browser's own otherwise (a `request_uri` of anyone else's stays for the rules to refuse).
    public func resolve(_ parameters: AuthorizationParameters) async throws -> AuthorizationParameters {
        guard let uri = parameters.requestURI, uri.hasPrefix(Self.requestURIPrefix) else { return parameters }
        let refused = AuthError(.invalidInput, "request_uri is unknown, expired, used or another client's")
        let token = String(uri.dropFirst(Self.requestURIPrefix.count))
        guard let clientID = parameters.clientID, Identity.isRoleName(clientID),
            Identity.isBase64URL(token, lengths: 43...43),
            let stored = try await auth.oauth.codes.takePushed(
                uriHash: try Digest.sha256Hex(Array(token.utf8)), clientID: clientID),
            let pushed = try? JSONDecoder().decode(AuthorizationParameters.self, from: Data(stored.utf8)),
            pushed.pushed == true, pushed.clientID == clientID
        else {
            logger.info("pushed request refused", metadata: ["client_id": "\(parameters.clientID?.prefix(64) ?? "")"])
            throw refused
        }
        return pushed
    }
}
