/// NIST SP 800-63B style: a length window and a deny-list, no composition rules.
public struct PasswordPolicy: Sendable {
    /// Minimum length in characters (Unicode scalars are not counted twice).
    public var minimumLength: Int
    /// Maximum length in UTF-8 bytes; bounds the hashing work one request can cause.
    public var maximumBytes: Int
    /// The front ends pass the configured list (`password.common_list`); without one nothing is
    /// refused as common.
    public var commonPasswords: CommonPasswords

    public init(minimumLength: Int = 8, maximumBytes: Int = 1024, commonPasswords: CommonPasswords = .none) {
        self.minimumLength = minimumLength
        self.maximumBytes = maximumBytes
        self.commonPasswords = commonPasswords
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
