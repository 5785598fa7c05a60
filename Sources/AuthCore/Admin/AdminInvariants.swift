/// What an administrative edit of one account does, decided before the store writes it: which
/// fields change, what the audit row says, and what happens to the account's tokens.
public struct UserEdit: Hashable, Sendable {
    /// What an edit does to the tokens already issued.
    public enum Tokens: Hashable, Sendable {
        case keep
        /// Access tokens issued until now are refused (a role change: the next refresh carries
        /// the new roles).
        case cutOff
        /// And the sessions end, so re-enabling an account does not bring its refresh tokens back.
        case cutOffAndEndSessions
    }

    /// The new value of each field that changes; nil for those that stay.
    public var roles: [String]?
    public var disabled: Bool?
    public var email: String?
    public var emailVerified: Bool?
    /// The audit row's details: never the e-mail address itself.
    public var details: [String: String]
    public var tokens: Tokens
    /// What the store adds to the outbox in the same transaction.
    public var messages: [OutboxMessage]

    public init(_ change: UserChange, to before: User) {
        roles = change.roles.flatMap { $0 == before.roles ? nil : $0 }
        disabled = change.disabled.flatMap { $0 == before.disabled ? nil : $0 }
        email = change.email.flatMap { $0 == before.email ? nil : $0 }
        if email != nil {
            emailVerified = change.emailVerified ?? false
        } else {
            emailVerified = change.emailVerified.flatMap { $0 == before.emailVerified ? nil : $0 }
        }
        details = [:]
        if let roles {
            details["roles"] = "\(before.roles.joined(separator: ",")) -> \(roles.joined(separator: ","))"
        }
        if let disabled { details["disabled"] = "\(before.disabled) -> \(disabled)" }
        if email != nil { details["email"] = "changed" }
        if let emailVerified, emailVerified != before.emailVerified {
            details["email_verified"] = "\(before.emailVerified) -> \(emailVerified)"
        }
        tokens = disabled == true ? .cutOffAndEndSessions : roles != nil ? .cutOff : .keep
        messages = []
        if change.verification, let email {
            messages = [
                EmailVerificationService.request(username: before.username, email: email, previous: before.email)
            ]
        }
    }

    /// True when nothing changes (no write, no audit row).
    public var isEmpty: Bool { roles == nil && disabled == nil && email == nil && emailVerified == nil }

    /// The account as the edit leaves it.
    public func applied(to user: User) -> User {
        var user = user
        if let roles { user.roles = roles }
        if let disabled { user.disabled = disabled }
        if let email { user.email = email }
        if let emailVerified { user.emailVerified = emailVerified }
        return user
    }
}

/// The rules that keep an installation administrable, decided on values the store reads while it
/// holds the rows they depend on (the admin role's row serialises every change that can remove an
/// admin, on every instance).
public enum AdminInvariants {
    public static let lastAdmin = AuthError(.lastAdmin, "this would leave no enabled account with the admin role")

    /// An enabled account holding the admin role.
    public static func isEnabledAdmin(_ user: User) -> Bool {
        !user.disabled && user.roles.contains(Role.admin)
    }

    /// Refuses changing `before` into `after` (nil: deleting it) when it is the last of
    /// `enabledAdmins` enabled admins. A database without any admin yet (before bootstrap) is not
    /// held to this.
    public static func check(_ before: User, becoming after: User?, enabledAdmins: Int) throws(AuthError) {
        let losesAdmin = isEnabledAdmin(before) && !(after.map(isEnabledAdmin) ?? false)
        if losesAdmin, enabledAdmins <= 1 { throw lastAdmin }
    }

    /// Built-in roles (`admin`, `user`) stay: accounts and stacks rely on them.
    public static func checkDeletable(_ role: RoleInfo) throws(AuthError) {
        guard !role.builtin else { throw AuthError(.builtinRole, "built-in roles cannot be deleted") }
    }

    /// The admin role holds every permission by definition: its list is not edited.
    public static func checkPermissionsEditable(of role: String) throws(AuthError) {
        guard role != Role.admin else {
            throw AuthError(.builtinRole, "the admin role's permissions cannot be changed")
        }
    }
}
