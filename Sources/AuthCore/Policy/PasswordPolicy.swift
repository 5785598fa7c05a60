/// NIST SP 800-63B style: a length window, a deny-list and, when configured, the breach corpus; no
/// composition rules.
public struct PasswordPolicy: Sendable {
    /// Minimum length in characters (Unicode scalars are not counted twice).
    public var minimumLength: Int
    /// Maximum length in UTF-8 bytes; bounds the hashing work one request can cause.
    public var maximumBytes: Int
    /// The front ends pass the configured list (`password.common_list`); without one nothing is
    /// refused as common.
    public var commonPasswords: CommonPasswords
    /// Pwned Passwords (`password.breached`); nil: not consulted.
    public var breached: BreachedPasswords?

    public init(
        minimumLength: Int = 8, maximumBytes: Int = 1024, commonPasswords: CommonPasswords = .none,
        breached: BreachedPasswords? = nil
    ) {
        self.minimumLength = minimumLength
        self.maximumBytes = maximumBytes
        self.commonPasswords = commonPasswords
        self.breached = breached
    }

    /// Every rule, for a password being set: `check`, then the breach corpus.
    public func validate(_ password: String) async throws {
        try check(password)
        try await breached?.check(password)
    }

    public func check(_ password: String) throws(AuthError) {
        guard password.count >= minimumLength else {
            throw AuthError(.weakPassword, "password must be at least \(minimumLength) characters")
        }
        guard password.utf8.count <= maximumBytes else {
            throw AuthError(.weakPassword, "password must be at most \(maximumBytes) bytes")
        }
        guard !commonPasswords.contains(password) else {
            throw AuthError(.weakPassword, "password is too common")
        }
    }
}
