public import AuthCrypto

/// The one policy behind HTTP guards and the line protocol's VERIFY, HASROLE and HASPERM, so the
/// front ends cannot disagree about who may do what.
extension AuthService {
    /// A valid, unrevoked token whose holder meets `requirement`: `invalidToken`/`tokenExpired`
    /// otherwise, or `forbidden` when the token is good but the role or permission is missing.
    public func authorize(accessToken: String, requiring requirement: Requirement? = nil) async throws
        -> AccessTokenClaims
    {
        let claims = try verify(accessToken: accessToken)
        guard let userID = Int64(claims.subject) else { throw AuthError(.invalidToken, "access token is invalid") }
        if let revocations,
            try await revocations.isRevoked(userID: userID, issuedAt: claims.issuedAt, tokenID: claims.id)
        {
            throw AuthError(.tokenRevoked, "access token has been revoked")
        }
        if let requirement, try await !holds(requirement, roles: claims.roles) {
            throw AuthError(.forbidden, "this token lacks the role or permission the request needs")
        }
        return claims
    }

    /// Roles come from the token (a role change revokes older tokens); permissions are what those
    /// roles grant now.
    func holds(_ requirement: Requirement, roles: [String]) async throws -> Bool {
        switch requirement {
        case .role(let role):
            return roles.contains(role)
        case .permission(let permission):
            guard let directory, !roles.isEmpty else { return false }
            return try await directory.permissions(of: roles).contains(permission)
        }
    }
}
