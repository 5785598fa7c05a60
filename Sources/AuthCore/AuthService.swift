public import AuthCrypto
public import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The use cases both front ends call: register, log in, verify a token, read a profile.
/// Front ends parse and encode; every decision is made here.
public struct AuthService: Sendable {
    public struct Configuration: Sendable {
        /// Lifetime of access tokens in seconds (default 15 minutes).
        public var accessTokenLifetime: Int64
        public var passwordPolicy: PasswordPolicy

        public init(accessTokenLifetime: Int64 = 900, passwordPolicy: PasswordPolicy = .init()) {
            self.accessTokenLifetime = accessTokenLifetime
            self.passwordPolicy = passwordPolicy
        }
    }

    let configuration: Configuration
    let users: any UserStore
    let hashing: HashingPool
    let hasher: PasswordHasher
    let tokens: AccessTokenCodec
    let clock: @Sendable () -> Int64
    let logger: Logger
    /// Verified against when the user does not exist, so that case costs one scrypt too.
    let unmatchableHash: String

    public init(
        configuration: Configuration, users: any UserStore, hashing: HashingPool, hasher: PasswordHasher,
        tokens: AccessTokenCodec, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = UnixTime.now
    ) throws {
        self.configuration = configuration
        self.users = users
        self.hashing = hashing
        self.hasher = hasher
        self.tokens = tokens
        self.clock = clock
        self.logger = logger
        self.unmatchableHash = try hasher.unmatchableHash()
    }
}

public enum UnixTime {
    /// Whole seconds since 1970, the unit of every time in tokens and the API.
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}

/// A signed access token and what it says.
public struct IssuedAccessToken: Sendable {
    public var token: String
    public var expiresIn: Int64
    public var claims: AccessTokenClaims
}

extension AuthService {
    public func register(username: String, email: String, password: String) async throws -> UserProfile {
        let username = try Identity.validUsername(username)
        let email = try Identity.normalisedEmail(email)
        try configuration.passwordPolicy.check(password)
        let hasher = self.hasher
        let hash = try await hashing.run { try hasher.hash(Array(password.utf8)) }
        let user = try await users.create(
            NewUser(username: username, email: email, passwordHash: hash, roles: [Role.user]))
        logger.info("user registered", metadata: ["user_id": "\(user.id)"])
        return user.profile
    }

    /// Same error, after the same work, for an unknown user, a wrong password and a disabled account.
    public func login(username: String, password: String) async throws -> IssuedAccessToken {
        let user = try await authenticate(username: username, password: password)
        return try issueAccessToken(for: user)
    }

    /// Checks a username and password; returns the user only when both match an active account.
    public func authenticate(username: String, password: String) async throws -> User {
        let refused = AuthError(.invalidCredentials, "invalid username or password")
        let password = Array(password.utf8)
        guard password.count <= configuration.passwordPolicy.maximumBytes, username.utf8.count <= 256 else {
            throw refused
        }
        let user = try await users.find(username: username)
        let stored = user?.passwordHash ?? unmatchableHash
        let hasher = self.hasher
        let matches = try await hashing.run { () -> Bool in
            do {
                return try hasher.verify(password, against: stored)
            } catch {
                return false
            }
        }
        guard let user, matches, !user.disabled else { throw refused }
        if hasher.needsRehash(user.passwordHash) {
            await rehash(user: user, password: password)
        }
        return user
    }

    /// Upgrades a hash made with older parameters. Failure is logged, never fatal to the login.
    private func rehash(user: User, password: [UInt8]) async {
        let hasher = self.hasher
        do {
            let fresh = try await hashing.run { try hasher.hash(password) }
            try await users.replacePasswordHash(userID: user.id, old: user.passwordHash, new: fresh)
            logger.info("password re-hashed with current parameters", metadata: ["user_id": "\(user.id)"])
        } catch {
            logger.warning("password re-hash skipped", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
        }
    }

    public func issueAccessToken(for user: User) throws -> IssuedAccessToken {
        let now = clock()
        let lifetime = configuration.accessTokenLifetime
        let claims = AccessTokenClaims(
            issuer: tokens.validation.issuer, audience: tokens.validation.audience, subject: String(user.id),
            name: user.username, roles: user.roles, issuedAt: now, notBefore: now, expiresAt: now + lifetime,
            id: Base64.url.encode(try SecureRandom.bytes(16)))
        return IssuedAccessToken(token: try tokens.sign(claims), expiresIn: lifetime, claims: claims)
    }

    /// Signature, algorithm, type, time and audience checks; no database round trip.
    public func verify(accessToken: String) throws(AuthError) -> AccessTokenClaims {
        do {
            return try tokens.verify(accessToken, now: clock())
        } catch let error where error.code == .expired {
            throw AuthError(.tokenExpired, "access token expired")
        } catch {
            throw AuthError(.invalidToken, "access token is invalid")
        }
    }

    /// The current profile of the token's user; a deleted or disabled account is an invalid token.
    public func profile(accessToken: String) async throws -> UserProfile {
        let claims = try verify(accessToken: accessToken)
        guard let id = Int64(claims.subject), let user = try await users.find(id: id), !user.disabled else {
            throw AuthError(.invalidToken, "access token is invalid")
        }
        return user.profile
    }
}
