public import AuthCore

/// `AccountMail` from the templates: each message to the account's address, from `mail.from`,
/// with links built from the configured URL, never from a request.
public struct TemplateAccountMail: AccountMail {
    let templates: MailTemplates
    let from: MailMessage.Address
    /// Where the reset link points (`mail.password_reset_url`), the token appended as `token=`;
    /// nil: the message gives the token alone.
    let passwordResetURL: String?
    let clock: @Sendable () -> Int64

    public init(
        templates: MailTemplates, from: MailMessage.Address, passwordResetURL: String? = nil,
        clock: @escaping @Sendable () -> Int64 = UnixTime.now
    ) {
        self.templates = templates
        self.from = from
        self.passwordResetURL = passwordResetURL
        self.clock = clock
    }

    public func passwordReset(to user: User, token: String, lifetime: Int64) throws -> OutboxMessage {
        var values = ["username": user.username, "token": token, "minutes": String(max(1, lifetime / 60))]
        if let url = passwordResetURL {
            values["link"] = url + (url.contains("?") ? "&" : "?") + "token=" + token
        }
        return try message(.passwordReset, to: user, values: values)
    }

    public func passwordChanged(to user: User) throws -> OutboxMessage {
        try message(.passwordChanged, to: user, values: ["username": user.username])
    }

    private func message(_ name: MailTemplates.Name, to user: User, values: [String: String]) throws -> OutboxMessage {
        try templates.message(name, values: values, from: from, to: .init(user.email), date: clock()).outboxMessage()
    }
}
