public import AuthCore

/// `AccountMail` from the templates: each message to the account's address, from `mail.from`,
/// with links built from the configured URL, never from a request.
public struct TemplateAccountMail: AccountMail {
    let templates: MailTemplates
    let from: MailMessage.Address
    /// Where the reset link points (`mail.password_reset_url`), the token appended as `token=`;
    /// nil: the message gives the token alone.
    let passwordResetURL: String?
    /// Where the verification link points (`mail.email_verification_url`), likewise.
    let emailVerificationURL: String?
    /// Where an invitation's link points (`mail.invitation_url`), likewise.
    let invitationURL: String?
    /// Where a sign-in link points (`mail.sign_in_url`), likewise.
    let signInURL: String?
    let clock: @Sendable () -> Int64

    public init(
        templates: MailTemplates, from: MailMessage.Address, passwordResetURL: String? = nil,
        emailVerificationURL: String? = nil, invitationURL: String? = nil, signInURL: String? = nil,
        clock: @escaping @Sendable () -> Int64 = UnixTime.now
    ) {
        self.signInURL = signInURL
        self.invitationURL = invitationURL
        self.templates = templates
        self.from = from
        self.passwordResetURL = passwordResetURL
        self.emailVerificationURL = emailVerificationURL
        self.clock = clock
    }

    public func passwordReset(to user: User, token: String, lifetime: Int64) throws -> OutboxMessage {
        var values = ["username": user.username, "token": token, "minutes": String(max(1, lifetime / 60))]
        values["link"] = Self.link(passwordResetURL, token: token)
        return try message(.passwordReset, to: user.email, values: values)
    }

    public func passwordChanged(to user: User) throws -> OutboxMessage {
        try message(.passwordChanged, to: user.email, values: ["username": user.username])
    }

    public func emailVerification(to user: User, token: String, code: String, lifetime: Int64) throws
        -> OutboxMessage
    {
        var values = [
            "username": user.username, "email": user.email, "token": token, "code": code,
            "hours": String(max(1, lifetime / 3600)),
        ]
        values["link"] = Self.link(emailVerificationURL, token: token)
        return try message(.emailVerification, to: user.email, values: values)
    }

    public func emailChanged(to previous: String, user: User) throws -> OutboxMessage {
        try message(.emailChanged, to: previous, values: ["username": user.username, "email": user.email])
    }

    public func invitation(to email: String, token: String, lifetime: Int64) throws -> OutboxMessage {
        var values = ["token": token, "hours": String(max(1, lifetime / 3600))]
        values["link"] = Self.link(invitationURL, token: token)
        return try message(.invitation, to: email, values: values)
    }

    public func signIn(to user: User, token: String, code: String, lifetime: Int64, continuation: String?) throws
        -> OutboxMessage
    {
        var values = ["username": user.username, "code": code, "minutes": String(max(1, lifetime / 60))]
        values["link"] = Self.link(signInURL, token: token).map { link in
            continuation.map { link + "&" + $0 } ?? link
        }
        return try message(.signIn, to: user.email, values: values)
    }

    /// `url` with `token=` appended.
    static func link(_ url: String?, token: String) -> String? {
        url.map { $0 + ($0.contains("?") ? "&" : "?") + "token=" + token }
    }

    private func message(_ name: MailTemplates.Name, to address: String, values: [String: String]) throws
        -> OutboxMessage
    {
        try templates.message(name, values: values, from: from, to: .init(address), date: clock()).outboxMessage()
    }
}
