/// A failure a client or operator can act on. `code` is stable and matched by the front ends,
/// which map it to an HTTP status or a line-protocol reply in one place each; `message` is safe to
/// show to a client and never contains a password, token, secret or connection string.
public struct AuthError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Every code a use case can fail with. Front ends switch over all of them, without
    /// `default:`, so a new code is a compile error in each mapping until it has its answer.
    public enum Code: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
        /// The stable name clients match (`invalid_credentials`).
        public var name: String { rawValue }
        public var description: String { rawValue }

        /// Input that is missing, of the wrong type or shape.
        case invalidInput = "invalid_input"
        case usernameTaken = "username_taken"
        case emailTaken = "email_taken"
        /// The password breaks the password policy (length, common password).
        case weakPassword = "weak_password"
        /// Unknown user, wrong password or disabled account: deliberately indistinguishable.
        case invalidCredentials = "invalid_credentials"
        /// The password was right but the service's account checks said no (role, hours, source).
        case accountDenied = "account_denied"
        /// No stack is configured for the requested service.
        case unknownService = "unknown_service"
        /// Too many attempts from this client address, or failures on this account; retry later.
        case rateLimited = "rate_limited"
        case invalidToken = "invalid_token"
        case tokenExpired = "token_expired"
        /// A well-signed, unexpired token cut off since: account deleted or disabled, roles changed,
        /// tokens revoked.
        case tokenRevoked = "token_revoked"
        /// A refresh token that is unknown, rotated, expired or of an ended session.
        case invalidRefreshToken = "invalid_refresh_token"
        /// The current password given to confirm a change is wrong.
        case wrongPassword = "wrong_password"
        /// A concurrent change came first; retry.
        case conflict = "conflict"
        /// `POST /login/mfa` with an `mfa_token` that is malformed, forged or expired.
        case invalidMFAToken = "invalid_mfa_token"
        /// A wrong or reused one-time code where the caller is already authenticated.
        case invalidCode = "invalid_code"
        /// A password reset token that is unknown, used, expired, or for a disabled account.
        case invalidResetToken = "invalid_reset_token"
        /// An e-mail verification link that is unknown, expired, or for an address the account no
        /// longer has.
        case invalidVerificationToken = "invalid_verification_token"
        /// An invitation link that is unknown, used or expired.
        case invalidInvitation = "invalid_invitation"
        /// The password was right, but sign-in needs a verified e-mail address
        /// (`mail.require_verified_email`, or a stack's `verified` module).
        case emailUnverified = "email_unverified"
        case mfaAlreadyEnabled = "mfa_already_enabled"
        case mfaNotEnabled = "mfa_not_enabled"
        /// `confirm` without a pending enrolment (call setup first).
        case mfaNotPending = "mfa_not_pending"
        /// No MFA key is configured, so no secrets can be stored or read.
        case mfaUnavailable = "mfa_unavailable"
        /// No mail transport is configured, so nothing that needs mail (password reset) works.
        case mailUnavailable = "mail_unavailable"
        /// A bounded queue is full; try again shortly.
        case busy = "busy"
        /// A dependency (the database) cannot be reached.
        case unavailable = "unavailable"
        /// A valid token whose holder lacks the role or permission the request needs.
        case forbidden = "forbidden"
        /// The user or role named in the request does not exist.
        case notFound = "not_found"
        /// A well-formed role name that no role has.
        case unknownRole = "unknown_role"
        case roleExists = "role_exists"
        /// The role is still held by some account.
        case roleInUse = "role_in_use"
        /// Built-in roles cannot be deleted, and the admin role's permissions cannot be edited.
        case builtinRole = "builtin_role"
        /// The change would leave no enabled account holding the admin role.
        case lastAdmin = "last_admin"
        case clientExists = "client_exists"
        /// A well-formed client registration that policy refuses (RFC 7591's name): a scope not in
        /// `oauth.scopes`, a redirect URI that is not allowed, grants its type cannot use.
        case invalidClientMetadata = "invalid_client_metadata"
        /// OAuth 2 (RFC 6749 §5.2, the token endpoint's own codes): the client could not be
        /// authenticated (unknown, wrong secret, disabled: deliberately indistinguishable).
        case invalidClient = "invalid_client"
        /// The grant (a refresh token, a code) is invalid, expired, revoked or another client's.
        case invalidGrant = "invalid_grant"
        /// A scope the client may not have, or a malformed one.
        case invalidScope = "invalid_scope"
        /// The client may not use this grant type.
        case unauthorizedClient = "unauthorized_client"
        case unsupportedGrantType = "unsupported_grant_type"
        /// RFC 8628 §3.5, a polling device: the user has not answered yet; it polls too often;
        /// the user refused; the device code expired.
        case authorizationPending = "authorization_pending"
        case slowDown = "slow_down"
        case accessDenied = "access_denied"
        case expiredToken = "expired_token"
        /// RFC 9449 §7.1: a DPoP proof that is malformed, badly signed, for another request,
        /// stale, replayed, or by another key than the token's.
        case invalidDPoPProof = "invalid_dpop_proof"
        /// RFC 9449 §8: the proof lacks the current nonce; retry with the `DPoP-Nonce` header's.
        case useDPoPNonce = "use_dpop_nonce"
        /// A passkey ceremony's response that did not verify: an unknown, suspect or another
        /// account's credential, a challenge not issued (or not to this asker), a bad signature,
        /// origin or RP ID; deliberately indistinguishable at sign-in.
        case invalidPasskey = "invalid_passkey"
        /// A bug or an unexpected state; details go to the log, not to the client.
        case `internal` = "internal"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
