public import AuthCrypto

/// The families of endpoints and line commands that take an access token. Each front end names
/// the one it serves; `TokenPolicy` alone decides which kinds of token each accepts (README,
/// "Token kinds": the table).
public enum TokenUse: String, Hashable, Sendable, CaseIterable {
    /// The user's own account: `/protected`, `/me`, `/sessions`, `/logout`, `/password`, `/mfa/…`,
    /// `/consents`.
    case account
    /// The admin API (`/admin/…`), where the route's permission decides the rest.
    case admin
    /// Gateways that vouch for a user to another service: `GET /authz` and the line protocol's
    /// `VERIFY`, `HASROLE`, `HASPERM`, `HASSCOPE` (and the Squid helper on them).
    case gateway
    /// Mail logins with a token: XOAUTH2 and OAUTHBEARER on the Dovecot-protocol listener.
    case mail
    /// `/oauth2/userinfo`: the client's view of its user (OpenID Connect Core §5.3).
    case userInfo
    /// `/oauth2/introspect` asked by a resource server (a client registered with `introspection`)
    /// about a token issued to somebody else; a client always sees its own tokens.
    case introspection
}

/// Which token kinds each use accepts. First-party endpoints take first-party tokens, or a
/// delegated token whose granted scopes name them (`admin` for the admin API, `mail` for mail
/// logins); a delegated token is never accepted by a gateway, since whoever it was issued to
/// could otherwise sign in as its user anywhere authd vouches for them.
public enum TokenPolicy {
    /// The scope that lets a delegated token into `use`; nil when none does.
    public static func unlockingScope(for use: TokenUse) -> String? {
        switch use {
        case .admin: "admin"
        case .mail: "mail"
        case .account, .gateway, .userInfo, .introspection: nil
        }
    }

    public static func accepts(_ kind: TokenKind, scopes: [Substring], for use: TokenUse) -> Bool {
        switch (use, kind) {
        case (.account, .firstParty), (.admin, .firstParty), (.admin, .client), (.gateway, .firstParty),
            (.gateway, .client), (.mail, .firstParty), (.userInfo, .delegated), (.introspection, .firstParty),
            (.introspection, .client):
            true
        case (_, .delegated):
            unlockingScope(for: use).map { scope in scopes.contains { $0 == scope } } ?? false
        case (.account, .client), (.mail, .client), (.userInfo, .firstParty), (.userInfo, .client):
            false
        }
    }

    /// On every verification: the scopes are split only for a delegated token, the one kind they decide.
    public static func accepts(_ claims: AccessTokenClaims, for use: TokenUse) -> Bool {
        let kind = claims.kind
        return accepts(kind, scopes: kind == .delegated ? claims.scopes : [], for: use)
    }

    /// The roles a delegated token carries: the user's only when a scope asks for them.
    public static func delegatedRoles(_ roles: [String], scopes: [String]) -> [String] {
        scopes.contains("roles") || scopes.contains("admin") ? roles : []
    }
}
