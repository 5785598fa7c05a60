public import AuthCore
public import AuthMail
public import Configuration
import NIOSSL

extension Settings {
    /// How authd sends mail (`mail.transport`); nil when it sends none.
    public struct Mail: Sendable {
        public var transport: any MailTransport
        /// `mail.from` and `mail.from_name`: the sender of every message.
        public var from: MailMessage.Address
        public var delivery: OutboxDelivery.Configuration
        /// `mail.templates_dir` over the built-in templates, with `mail.product_name`.
        public var templates: MailTemplates
        /// `mail.password_reset_url`: the page reset links open; nil: the message gives the token.
        public var passwordResetURL: String?
        /// `mail.password_reset_minutes`: how long a reset token is valid.
        public var passwordReset: PasswordResetService.Configuration
        /// `mail.verify_email`: registrations and address changes are sent a verification link and code.
        public var verifyEmail: Bool
        /// `mail.email_verification_url`: the page verification links open; nil: the code alone.
        public var emailVerificationURL: String?
        /// `mail.email_verification_hours`: how long a link and its code are valid.
        public var emailVerification: EmailVerificationService.Configuration
        /// `mail.invitation_url`: the page invitation links open; nil: the portal's.
        public var invitationURL: String?
        /// `mail.invitation_hours`: how long an invitation is valid, in seconds.
        public var invitationLifetime: Int64
        /// `mail.sign_in_by_email` and `mail.sign_in_minutes`: sign-in by a mailed link or code; nil: off.
        public var signInByMail: SignInByMailService.Configuration?
        /// `mail.sign_in_url`: the page sign-in links open; nil: the portal's.
        public var signInURL: String?
    }

    /// Whether addresses are verified by mail: `mail.transport` other than `none` and
    /// `mail.verify_email` (on by default). Read alone by authctl, whose address changes queue the
    /// verification the daemons deliver.
    public static func verifiesEmail(_ config: ConfigReader) -> Bool {
        config.string(forKey: "mail.transport", default: "none") != "none"
            && config.bool(forKey: "mail.verify_email", default: true)
    }

    /// `mail.transport` (`none`, `smtp` or `sendmail`), `mail.from`, `mail.from_name`,
    /// `mail.product_name`, `mail.templates_dir`, the relay
    /// (`mail.smtp_host`, `_port`, `_security`, `_username`, `_password_file`, `_ca_file`,
    /// `mail.helo_name`), `mail.sendmail_command`, `mail.timeout_seconds`, and the outbox's
    /// retries (`mail.retry_first_seconds`, `mail.retry_max_seconds`, `mail.give_up_hours`).
    public static func mail(_ config: ConfigReader) throws -> Mail? {
        let kind = config.string(forKey: "mail.transport", default: "none")
        guard kind != "none" else { return nil }
        let from = MailMessage.Address(
            config.string(forKey: "mail.from", default: ""),
            name: config.string(forKey: "mail.from_name", default: "authd"))
        guard MailAddress.isValid(from.address) else {
            throw ConfigurationError("mail.from must be the e-mail address mail comes from (mail.transport is \(kind))")
        }
        let timeout = config.int(forKey: "mail.timeout_seconds", default: 60)
        guard (1...600).contains(timeout) else { throw ConfigurationError("mail.timeout_seconds must be 1 to 600") }
        let transport: any MailTransport
        switch kind {
        case "smtp": transport = try smtp(config, timeout: .seconds(timeout))
        case "sendmail":
            let command = config.string(forKey: "mail.sendmail_command", default: "/usr/sbin/sendmail")
            guard command.hasPrefix("/") else { throw ConfigurationError("mail.sendmail_command must be a path") }
            transport = SendmailTransport(command: command, timeout: .seconds(timeout))
        default: throw ConfigurationError("mail.transport must be none, smtp or sendmail")
        }
        let first = config.int(forKey: "mail.retry_first_seconds", default: 30)
        let maximum = config.int(forKey: "mail.retry_max_seconds", default: 3600)
        let giveUp = config.int(forKey: "mail.give_up_hours", default: 48)
        guard first > 0, maximum >= first, (1...720).contains(giveUp) else {
            throw ConfigurationError(
                "mail.retry_first_seconds must be positive, mail.retry_max_seconds at least that, "
                    + "mail.give_up_hours 1 to 720")
        }
        // A claim outlasts the slowest delivery: an SMTP connection is given up to the timeout and
        // its conversation twice that, a sendmail run the timeout.
        let delivery = OutboxDelivery.Configuration(
            lease: Int64(timeout) * 3000 + 5000, firstRetry: Int64(first) * 1000, maximumRetry: Int64(maximum) * 1000,
            giveUpAfter: Int64(giveUp) * 3_600_000)
        let directory = config.string(forKey: "mail.templates_dir", default: "")
        let templates: MailTemplates
        do {
            templates = try MailTemplates(
                directory: directory.isEmpty ? nil : directory,
                product: config.string(forKey: "mail.product_name", default: "authd"),
                locale: config.string(forKey: "mail.locale", default: "en"))
        } catch {
            throw ConfigurationError("mail.templates_dir: \(error)")
        }
        let minutes = config.int(forKey: "mail.password_reset_minutes", default: 30)
        guard (5...1440).contains(minutes) else {
            throw ConfigurationError("mail.password_reset_minutes must be 5 to 1440")
        }
        let hours = config.int(forKey: "mail.email_verification_hours", default: 48)
        guard (1...720).contains(hours) else {
            throw ConfigurationError("mail.email_verification_hours must be 1 to 720")
        }
        let invitationHours = config.int(forKey: "mail.invitation_hours", default: 72)
        guard (1...720).contains(invitationHours) else {
            throw ConfigurationError("mail.invitation_hours must be 1 to 720")
        }
        let perAddress = bucket(config, "limits.mail", default: PasswordResetService.Configuration().perAddress)
        let signInMinutes = config.int(forKey: "mail.sign_in_minutes", default: 15)
        guard (5...60).contains(signInMinutes) else { throw ConfigurationError("mail.sign_in_minutes must be 5 to 60") }
        return Mail(
            transport: transport, from: from, delivery: delivery, templates: templates,
            passwordResetURL: try linkURL(config, "mail.password_reset_url"),
            passwordReset: PasswordResetService.Configuration(
                tokenLifetime: Int64(minutes) * 60, perAddress: perAddress),
            verifyEmail: verifiesEmail(config),
            emailVerificationURL: try linkURL(config, "mail.email_verification_url"),
            emailVerification: EmailVerificationService.Configuration(tokenLifetime: Int64(hours) * 3600),
            invitationURL: try linkURL(config, "mail.invitation_url"),
            invitationLifetime: Int64(invitationHours) * 3600,
            signInByMail: config.bool(forKey: "mail.sign_in_by_email", default: false)
                ? SignInByMailService.Configuration(tokenLifetime: Int64(signInMinutes) * 60, perAddress: perAddress)
                : nil,
            signInURL: try linkURL(config, "mail.sign_in_url"))
    }

    /// A page the mailed links open: an http(s) URL, or nil when the setting is empty.
    private static func linkURL(_ config: ConfigReader, _ key: String) throws -> String? {
        let url = config.string(forKey: ConfigKey(key), default: "")
        guard url.isEmpty || url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw ConfigurationError("\(key) must be an http(s) URL")
        }
        return url.isEmpty ? nil : url
    }

    private static func smtp(_ config: ConfigReader, timeout: Duration) throws -> SMTPTransport {
        let host = config.string(forKey: "mail.smtp_host", default: "127.0.0.1")
        let loopback = HostPort.isLoopback(host)
        let securityText = config.string(forKey: "mail.smtp_security", default: loopback ? "none" : "starttls")
        guard let security = SMTPTransport.Configuration.Security(rawValue: securityText) else {
            throw ConfigurationError("mail.smtp_security must be none, starttls or tls")
        }
        let port = config.int(forKey: "mail.smtp_port", default: security == .tls ? 465 : 25)
        guard (1...65535).contains(port) else { throw ConfigurationError("mail.smtp_port must be 1 to 65535") }
        var configuration = SMTPTransport.Configuration(
            host: host, port: port, security: security,
            heloName: config.string(forKey: "mail.helo_name", default: "localhost"),
            connectTimeout: min(timeout, .seconds(10)), replyTimeout: timeout, sessionTimeout: timeout * 2)
        let username = config.string(forKey: "mail.smtp_username", default: "")
        if !username.isEmpty {
            configuration.username = username
            let file = config.string(forKey: "mail.smtp_password_file", default: "")
            let inline = config.string(forKey: "mail.smtp_password", isSecret: true, default: "")
            guard !file.isEmpty || !inline.isEmpty else {
                throw ConfigurationError("mail.smtp_username is set: set mail.smtp_password_file too")
            }
            configuration.password = file.isEmpty ? inline : String(decoding: try readSecret(file), as: UTF8.self)
            guard security != .none || loopback else {
                throw ConfigurationError(
                    "mail.smtp_username is set for a relay off loopback: set mail.smtp_security to starttls or tls")
            }
        }
        let caFile = config.string(forKey: "mail.smtp_ca_file", default: "")
        if !caFile.isEmpty { configuration.trustRoots = .file(caFile) }
        do {
            return try SMTPTransport(configuration: configuration)
        } catch {
            throw ConfigurationError("mail.smtp_ca_file or TLS set-up: \(error)")
        }
    }
}

extension Settings {
    /// How the outbox is delivered: mail's settings (`mail.retry_*`, `mail.give_up_hours`) when mail
    /// is on, the defaults otherwise (back-channel logout tokens need the outbox without mail). A
    /// claim outlasts the slowest delivery either way (a logout token's POST is given 5 seconds).
    public var outboxDelivery: OutboxDelivery.Configuration {
        mail?.delivery ?? OutboxDelivery.Configuration(lease: 20_000)
    }
}
