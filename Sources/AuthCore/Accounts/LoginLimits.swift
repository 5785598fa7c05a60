import AuthCrypto

/// The limits every proof of an account spends from, wherever it happens (a login, its second
/// step, an MFA management proof): the per-address attempt limit and the per-account failure
/// budget, with addresses grouped as configured (IPv6 by /64).
struct LoginLimits: Sendable {
    let attempts: RateLimiter?
    /// Failed attempts per account (lower-cased name, whether or not it exists).
    let accountFailures: RateLimiter?
    let grouping: AddressGrouping

    init(configuration: AuthService.Configuration) {
        attempts = configuration.attemptLimit.map { RateLimiter(configuration: $0) }
        accountFailures = configuration.accountLimit.map { RateLimiter(configuration: $0) }
        grouping = configuration.addressGrouping
    }

    /// One attempt from `source`'s address group; `rateLimited` when its bucket is empty.
    func spendAttempt(from source: String?) throws(AuthError) {
        try attempts?.spend(source, grouping: grouping, or: AuthService.tooManyAttempts)
    }

    /// Refuses an attempt on `username` (an account or not) while its failure budget, shared by
    /// every address, is spent. Only failures are charged to it (`chargeFailure`).
    func requireAccountBudget(_ username: String) throws(AuthError) {
        guard let accountFailures, !accountFailures.permits(username.lowercased()) else { return }
        throw AuthService.tooManyFailures
    }

    func chargeFailure(_ username: String) {
        accountFailures?.charge(username.lowercased())
    }

    /// An attempt whose source lockouts count by its address group.
    func attempt(
        service: String, username: String, password: String, otp: String? = nil, source: String?,
        token: AccessTokenClaims? = nil
    ) -> AuthAttempt {
        AuthAttempt(
            service: service, username: username, password: password, otp: otp, source: source,
            sourceKey: source.map(grouping.key), token: token)
    }
}
