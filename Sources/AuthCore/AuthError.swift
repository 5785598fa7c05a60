/// A failure a client or operator can act on. `code` is stable and matched by the front ends,
/// which map it to an HTTP status or a line-protocol reply in one place each; `message` is safe to
/// show to a client and never contains a password, token, secret or connection string.
public struct AuthError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// Input that is missing, of the wrong type or shape.
        public static let invalidInput = Code(name: "invalid_input")
        public static let usernameTaken = Code(name: "username_taken")
        public static let emailTaken = Code(name: "email_taken")
        /// The password breaks the password policy (length, common password).
        public static let weakPassword = Code(name: "weak_password")
        /// Unknown user, wrong password or disabled account: deliberately indistinguishable.
        public static let invalidCredentials = Code(name: "invalid_credentials")
        /// The password was right but the service's account checks said no (role, hours, source).
        public static let accountDenied = Code(name: "account_denied")
        /// No stack is configured for the requested service.
        public static let unknownService = Code(name: "unknown_service")
        /// Too many attempts from this client address; retry later.
        public static let rateLimited = Code(name: "rate_limited")
        public static let invalidToken = Code(name: "invalid_token")
        public static let tokenExpired = Code(name: "token_expired")
        /// A well-signed, unexpired token cut off since: account deleted or disabled, roles changed,
        /// tokens revoked.
        public static let tokenRevoked = Code(name: "token_revoked")
        /// A refresh token that is unknown, rotated, expired or of an ended session.
        public static let invalidRefreshToken = Code(name: "invalid_refresh_token")
        /// The current password given to confirm a change is wrong.
        public static let wrongPassword = Code(name: "wrong_password")
        /// A concurrent change came first; retry.
        public static let conflict = Code(name: "conflict")
        /// `POST /login/mfa` with an `mfa_token` that is malformed, forged or expired.
        public static let invalidMFAToken = Code(name: "invalid_mfa_token")
        /// A wrong or reused one-time code where the caller is already authenticated.
        public static let invalidCode = Code(name: "invalid_code")
        public static let mfaAlreadyEnabled = Code(name: "mfa_already_enabled")
        public static let mfaNotEnabled = Code(name: "mfa_not_enabled")
        /// `confirm` without a pending enrolment (call setup first).
        public static let mfaNotPending = Code(name: "mfa_not_pending")
        /// No MFA key is configured, so no secrets can be stored or read.
        public static let mfaUnavailable = Code(name: "mfa_unavailable")
        /// A bounded queue is full; try again shortly.
        public static let busy = Code(name: "busy")
        /// A dependency (the database) cannot be reached.
        public static let unavailable = Code(name: "unavailable")
        /// A valid token whose holder lacks the role or permission the request needs.
        public static let forbidden = Code(name: "forbidden")
        /// The user or role named in the request does not exist.
        public static let notFound = Code(name: "not_found")
        /// A well-formed role name that no role has.
        public static let unknownRole = Code(name: "unknown_role")
        public static let roleExists = Code(name: "role_exists")
        /// The role is still held by some account.
        public static let roleInUse = Code(name: "role_in_use")
        /// Built-in roles cannot be deleted, and the admin role's permissions cannot be edited.
        public static let builtinRole = Code(name: "builtin_role")
        /// The change would leave no enabled account holding the admin role.
        public static let lastAdmin = Code(name: "last_admin")
        /// A bug or an unexpected state; details go to the log, not to the client.
        public static let `internal` = Code(name: "internal")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
