/// How a server's hook (Dovecot's auth protocol, nginx mail, Postfix policy, saslauthd) answers a
/// check that failed: a definite no, a try-again, or a failure the operator must look at (logged,
/// and answered try-again, never yes). One exhaustive mapping for all of them.
public enum HookVerdict: Sendable, Equatable {
    /// Wrong password, unknown or locked or disabled account, bad token, stack refused: all alike.
    case refused
    /// Busy, database away, rate limited.
    case temporary
    /// A stack missing for the service, or an unexpected error.
    case misconfigured

    public init(_ error: any Error) {
        let code = (error as? AuthError)?.code ?? .internal
        switch code {
        case .invalidCredentials, .invalidInput, .accountDenied, .forbidden, .invalidToken, .tokenExpired,
            .tokenRevoked, .invalidMFAToken, .invalidCode, .invalidResetToken, .invalidVerificationToken,
            .invalidInvitation, .emailUnverified, .invalidDPoPProof, .useDPoPNonce,
            .invalidPasskey:
            self = .refused
        case .busy, .unavailable, .mfaUnavailable, .rateLimited:
            self = .temporary
        case .unknownService, .usernameTaken, .emailTaken, .weakPassword, .invalidRefreshToken, .wrongPassword,
            .conflict, .mfaAlreadyEnabled, .mfaNotEnabled, .mfaNotPending, .notFound, .unknownRole, .roleExists,
            .roleInUse, .builtinRole, .lastAdmin, .clientExists, .invalidClientMetadata, .invalidClient,
            .invalidGrant, .invalidScope, .unauthorizedClient, .unsupportedGrantType, .authorizationPending, .slowDown,
            .accessDenied, .expiredToken, .mailUnavailable, .internal:
            self = .misconfigured
        }
    }
}
