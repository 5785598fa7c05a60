import AuthCrypto
import Logging

/// What the built-in modules need from the daemon, handed to their factories.
public struct StackEnvironment: Sendable {
    let users: any UserStore
    let lockouts: (any LockoutStore)?
    let hashing: HashingPool
    let hasher: PasswordHasher
    let unmatchableHash: String
    /// TOTP and recovery codes; nil when MFA is not configured.
    let secondFactor: SecondFactor?
    /// Sign-in links and codes sent by mail; nil when sign-in by mail is off.
    let signInTokens: (any AccountTokenStore)?
    let clock: @Sendable () -> Int64
    let logger: Logger

    /// Loads the account once per attempt; later modules reuse it.
    func loadUser(_ attempt: inout AuthAttempt) async throws -> User? {
        if !attempt.userLoaded {
            attempt.user = try await users.find(username: attempt.username)
            attempt.userLoaded = true
        }
        return attempt.user
    }
}
