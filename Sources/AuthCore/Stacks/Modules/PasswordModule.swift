import AuthCrypto

/// `password`: checks the password with scrypt. Unknown users are checked against a hash no
/// password matches, so they cost what a wrong password costs. A hash with old parameters is
/// upgraded after a match.
///
/// `otp=appended`, for front ends that carry nothing but a password (LDAP binds): for a user with
/// MFA on, the password's last digits (as many as the TOTP policy's codes have) are the one-time
/// code a `totp` module after it checks, and the rest is the password. Others' passwords are
/// taken whole.
struct PasswordModule: StackModule {
    let environment: StackEnvironment
    let appendedCode: Bool

    static func register(_ registry: inout ModuleRegistry, _ environment: StackEnvironment) {
        registry.register("password") { arguments in
            try arguments.allowOnly(["otp"])
            switch arguments.string("otp") {
            case nil: return PasswordModule(environment: environment, appendedCode: false)
            case "appended": return PasswordModule(environment: environment, appendedCode: true)
            default: throw arguments.error("otp= must be appended")
            }
        }
    }

    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult {
        var given = Array(attempt.password.utf8)
        let user = try await environment.loadUser(&attempt)
        if appendedCode, attempt.otp == nil, user?.mfaEnabled == true,
            let digits = environment.secondFactor?.policy.otp.digits, given.count > digits,
            given.suffix(digits).allSatisfy({ (0x30...0x39).contains($0) })
        {
            attempt.otp = String(decoding: given.suffix(digits), as: UTF8.self)
            given.removeLast(digits)
        }
        let password = given
        let stored = user?.passwordHash ?? environment.unmatchableHash
        let hasher = environment.hasher
        attempt.passwordChecked = true
        let check = try await environment.hashing.run { () -> Result<Bool, CryptoError> in
            Result { () throws(CryptoError) -> Bool in try hasher.verify(password, against: stored) }
        }
        guard let user else { return .failure(kind: "user_unknown", reason: "no such user") }
        switch check {
        case .success(true): break
        case .success(false): return .failure(kind: "auth_err", reason: "wrong password")
        case .failure(let error) where error.code == .aboveCeiling:
            environment.logger.error(
                "login refused: the stored hash asks for more than password.imported_ceiling allows; reset this account's password",
                metadata: ["user_id": "\(user.id)", "error": "\(error.message)"])
            return .failure(kind: "auth_err", reason: "stored hash over the ceiling")
        case .failure(let error) where error.code == .belowFloor:
            // The user hears invalid_credentials, as for a wrong password; the operator reads why.
            environment.logger.warning(
                "login refused: reset this account's password",
                metadata: ["user_id": "\(user.id)", "error": "\(error.message)"])
            return .failure(kind: "auth_err", reason: "stored hash below the imported-hash floor")
        case .failure(let error):
            environment.logger.error(
                "login refused: the stored password hash is unreadable",
                metadata: ["user_id": "\(user.id)", "error": "\(error.code)"])
            return .failure(kind: "auth_err", reason: "unreadable stored hash")
        }
        // The session that follows is created only while the stored hash is the one checked: the
        // attempt carries the upgraded hash on.
        if hasher.needsRehash(user.passwordHash), let fresh = await rehash(user, password) {
            attempt.user?.passwordHash = fresh
        }
        return .success
    }

    /// The new hash when it replaced the old one.
    private func rehash(_ user: User, _ password: [UInt8]) async -> String? {
        let hasher = environment.hasher
        do {
            let fresh = try await environment.hashing.run { try hasher.hash(password) }
            guard try await environment.users.replacePasswordHash(userID: user.id, old: user.passwordHash, new: fresh)
            else { return nil }
            environment.logger.info("password re-hashed with current parameters", metadata: ["user_id": "\(user.id)"])
            return fresh
        } catch {
            environment.logger.warning(
                "password re-hash skipped", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
            return nil
        }
    }
}
