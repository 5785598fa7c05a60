import AuthConfig
import Testing

@Suite("configuration: mail")
struct MailSettingsTests {
    let base = ["AUTHD_DATABASE_URL": "host=127.0.0.1 dbname=authd", "AUTHD_JWT_SECRET": SettingsTests.goodSecret]

    func load(_ mail: [String: String]) async throws -> Settings {
        try await Settings.load(configFile: nil, environment: base.merging(mail) { $1 })
    }

    @Test("off by default; on, it needs a sender; the relay password never prints")
    func basics() async throws {
        #expect(try await load([:]).mail == nil)
        await #expect(throws: ConfigurationError.self) { try await load(["AUTHD_MAIL_TRANSPORT": "smtp"]) }
        await #expect(throws: ConfigurationError.self) {
            try await load(["AUTHD_MAIL_TRANSPORT": "carrier-pigeon", "AUTHD_MAIL_FROM": "a@example.com"])
        }
        let settings = try await load([
            "AUTHD_MAIL_TRANSPORT": "smtp", "AUTHD_MAIL_FROM": "a@example.com", "AUTHD_MAIL_SMTP_USERNAME": "relay",
            "AUTHD_MAIL_SMTP_PASSWORD": "relay password 42",
        ])
        #expect(settings.mail?.from.address == "a@example.com")
        #expect(!"\(settings)".contains("relay password 42"))
        #expect(!String(reflecting: settings).contains("relay password 42"))
    }

    @Test("a password for a relay off loopback needs TLS; retries and timeouts are checked")
    func refusals() async {
        let remote = [
            "AUTHD_MAIL_TRANSPORT": "smtp", "AUTHD_MAIL_FROM": "a@example.com", "AUTHD_MAIL_SMTP_HOST": "192.0.2.25",
            "AUTHD_MAIL_SMTP_SECURITY": "none", "AUTHD_MAIL_SMTP_USERNAME": "relay", "AUTHD_MAIL_SMTP_PASSWORD": "pw",
        ]
        await #expect(throws: ConfigurationError.self) { try await load(remote) }
        let sendmail = ["AUTHD_MAIL_TRANSPORT": "sendmail", "AUTHD_MAIL_FROM": "a@example.com"]
        for (key, value) in [
            ("AUTHD_MAIL_TIMEOUT_SECONDS", "0"), ("AUTHD_MAIL_RETRY_FIRST_SECONDS", "0"),
            ("AUTHD_MAIL_GIVE_UP_HOURS", "100000"), ("AUTHD_MAIL_SENDMAIL_COMMAND", "sendmail"),
            ("AUTHD_MAIL_EMAIL_VERIFICATION_HOURS", "0"), ("AUTHD_MAIL_EMAIL_VERIFICATION_URL", "ftp://x"),
        ] {
            await #expect(throws: ConfigurationError.self, "\(key)=\(value)") {
                try await load(sendmail.merging([key: value]) { $1 })
            }
        }
    }

    @Test("verification: on with mail by default, off without it; requiring it is its own setting")
    func verification() async throws {
        let sendmail = ["AUTHD_MAIL_TRANSPORT": "sendmail", "AUTHD_MAIL_FROM": "a@example.com"]
        let on = try await load(sendmail)
        #expect(on.mail?.verifyEmail == true && on.mail?.emailVerification.tokenLifetime == 48 * 3600)
        #expect(try on.assembly().auth.verifyEmail && !on.requireVerifiedEmail)
        let tuned = try await load(
            sendmail.merging([
                "AUTHD_MAIL_VERIFY_EMAIL": "false", "AUTHD_MAIL_REQUIRE_VERIFIED_EMAIL": "true",
                "AUTHD_MAIL_EMAIL_VERIFICATION_HOURS": "2", "AUTHD_MAIL_EMAIL_VERIFICATION_URL": "https://id.example/v",
            ]) { $1 })
        #expect(tuned.mail?.verifyEmail == false && tuned.mail?.emailVerification.tokenLifetime == 7200)
        #expect(tuned.mail?.emailVerificationURL == "https://id.example/v")
        #expect(try !tuned.assembly().auth.verifyEmail && tuned.assembly().auth.requireVerifiedEmail)
        #expect(try await !load([:]).assembly().auth.verifyEmail)
    }

    @Test("sign-in by mail: off by default; its minutes and URL checked; limits.mail sets the per-address limit")
    func signInByMail() async throws {
        let sendmail = ["AUTHD_MAIL_TRANSPORT": "sendmail", "AUTHD_MAIL_FROM": "a@example.com"]
        let off = try await load(sendmail)
        #expect(off.mail?.signInByMail == nil && off.mail?.passwordReset.perAddress?.burst == 5)
        #expect(try off.assembly().signInByMail == nil)
        let on = try await load(
            sendmail.merging([
                "AUTHD_MAIL_SIGN_IN_BY_EMAIL": "true", "AUTHD_MAIL_SIGN_IN_MINUTES": "10",
                "AUTHD_MAIL_SIGN_IN_URL": "https://app.example/signin", "AUTHD_LIMITS_MAIL_BURST": "0",
            ]) { $1 })
        #expect(on.mail?.signInByMail?.tokenLifetime == 600 && on.mail?.signInByMail?.perAddress == nil)
        #expect(on.mail?.passwordReset.perAddress == nil, "limits.mail_burst: 0 turns the limit off")
        #expect(on.mail?.signInURL == "https://app.example/signin")
        for (key, value) in [("AUTHD_MAIL_SIGN_IN_MINUTES", "2"), ("AUTHD_MAIL_SIGN_IN_URL", "javascript:x")] {
            await #expect(throws: ConfigurationError.self, "\(key)=\(value)") {
                try await load(sendmail.merging([key: value]) { $1 })
            }
        }
    }
}
