public import AuthCrypto

/// The one policy behind HTTP guards and the line protocol's VERIFY, HASROLE and HASPERM, so the
/// front ends cannot disagree about who may do what. Answered from memory: no database round trip.
extension AuthService {
    /// A valid, unrevoked token whose holder meets `requirement`: `invalidToken`, `tokenExpired` or
    /// `tokenRevoked` otherwise, `forbidden` when the token is good but the role or permission is
    /// missing, `unavailable` while the revocation state is stale (and configured to fail closed).
    public func authorize(accessToken: String, requiring requirement: Requirement? = nil) throws(AuthError)
        -> AccessTokenClaims
    {
        let claims = try verify(accessToken: accessToken)
        guard let userID = Int64(claims.subject) else { throw AuthError(.invalidToken, "access token is invalid") }
        try revocations.check(claims, userID: userID, now: clock())
        if let requirement, !holds(requirement, roles: claims.roles) {
            throw AuthError(.forbidden, "this token lacks the role or permission the request needs")
        }
        return claims
    }

    /// The token's holder as the admin use cases take it: authorized as `authorize` does, from
    /// `source` (the client address, for the audit trail).
    public func actor(accessToken: String, requiring requirement: Requirement? = nil, source: String?)
        throws(AuthError) -> Actor
    {
        let claims = try authorize(accessToken: accessToken, requiring: requirement)
        return Actor(id: Int64(claims.subject), name: claims.name, source: source ?? "", roles: claims.roles)
    }

    /// Roles come from the token (a role change revokes older tokens); permissions are what those
    /// roles grant now.
    func holds(_ requirement: Requirement, roles: [String]) -> Bool {
        switch requirement {
        case .role(let role): roles.contains(role)
        case .permission(let permission): revocations.permissions(of: roles).contains(permission)
        }
    }
}
