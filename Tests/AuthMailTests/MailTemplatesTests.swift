import AuthCore
import AuthCrypto
import Testing

@testable import AuthMail

#if canImport(Foundation)
    import Foundation
#endif

@Suite("mail templates")
struct MailTemplatesTests {
    static let from = MailMessage.Address("no-reply@example.com", name: "authd")
    static let to = MailMessage.Address("ann@example.com")

    static func directory(_ files: [String: String]) throws -> String {
        let path = NSTemporaryDirectory() + "templates-" + Hex.encode(try SecureRandom.bytes(6))
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files {
            let file = "\(path)/\(name)"
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        }
        return path
    }

    @Test("the built-in test message names the product; values are escaped in the HTML part only")
    func builtIn() throws {
        let message = try MailTemplates(product: "Ann & Bob's <Portal>").message(
            .test, values: [:], from: Self.from, to: Self.to, date: 0)
        #expect(message.subject == "Ann & Bob's <Portal> test message")
        #expect(message.text.contains("check that Ann & Bob's <Portal>'s mail reaches you"))
        #expect(message.html?.contains("Ann &amp; Bob") == true && message.html?.contains("&lt;Portal&gt;") == true)
        #expect(message.html?.contains("<Portal>") == false)
        #expect(message.from == Self.from && message.to == Self.to)
    }

    @Test("a file in the directory replaces its part alone; a subject stays one line")
    func override() throws {
        let directory = try Self.directory([
            "test.subject.mustache": "Hello from\n  {{product}}\n", "test.txt.mustache": "plain {{product}}",
        ])
        let message = try MailTemplates(directory: directory, product: "Acme").message(
            .test, values: [:], from: Self.from, to: Self.to, date: 0)
        #expect(message.subject == "Hello from Acme")
        #expect(message.text == "plain Acme")
        #expect(message.html?.contains("<code>authctl mail test</code>") == true, "the built-in HTML part")
    }

    @Test("a template that does not parse stops start-up with its name")
    func broken() throws {
        let directory = try Self.directory(["test.html.mustache": "{{#unclosed}}"])
        #expect {
            try MailTemplates(directory: directory)
        } throws: { error in
            "\(error)".contains("test.html")
        }
    }
}

@Suite("account mail from the templates")
struct TemplateAccountMailTests {
    static let user = User(
        id: 7, username: "ann", email: "ann@example.com", passwordHash: "x", roles: ["user"], mfaEnabled: false,
        disabled: false, createdAt: 0, notBefore: nil)

    @Test("the reset message carries the token, its minutes, and a link from the configured URL only")
    func reset() throws {
        let templates = try MailTemplates(product: "Acme")
        let from = MailMessage.Address("no-reply@acme.example")
        let token = String(repeating: "T", count: 43)
        let plain = try MailMessage(
            payload: TemplateAccountMail(templates: templates, from: from, clock: { 0 })
                .passwordReset(to: Self.user, token: token, lifetime: 1800).payload)
        #expect(plain.to.address == "ann@example.com" && plain.subject == "Reset your Acme password")
        #expect(plain.text.contains(token) && plain.text.contains("30 minutes") && !plain.text.contains("http"))
        let linked = try MailMessage(
            payload: TemplateAccountMail(
                templates: templates, from: from, passwordResetURL: "https://acme.example/reset?lang=en", clock: { 0 }
            ).passwordReset(to: Self.user, token: token, lifetime: 1800).payload)
        #expect(linked.text.contains("https://acme.example/reset?lang=en&token=\(token)"))
        #expect(linked.html?.contains("href=\"https://acme.example/reset?lang=en&amp;token=\(token)\"") == true)
        let changed = try MailMessage(
            payload: TemplateAccountMail(templates: templates, from: from).passwordChanged(to: Self.user).payload)
        #expect(changed.subject == "Your Acme password was changed" && changed.text.contains("Hello ann"))
    }

    @Test("the verification message carries the link and the code; a change tells the old address")
    func verification() throws {
        let mail = TemplateAccountMail(
            templates: try MailTemplates(product: "Acme"), from: MailMessage.Address("no-reply@acme.example"),
            emailVerificationURL: "https://acme.example/verify?lang=en", clock: { 0 })
        let token = String(repeating: "V", count: 43)
        let message = try MailMessage(
            payload: mail.emailVerification(to: Self.user, token: token, code: "042137", lifetime: 48 * 3600).payload)
        #expect(message.to.address == "ann@example.com" && message.subject == "Verify your e-mail address for Acme")
        #expect(message.text.contains("https://acme.example/verify?lang=en&token=\(token)"), "\(message.text)")
        #expect(message.text.contains("\n042137\n") && message.text.contains("48 hours"))
        #expect(message.html?.contains("<code>042137</code>") == true)
        var moved = Self.user
        moved.email = "ann@new.example"
        let notice = try MailMessage(payload: mail.emailChanged(to: "ann@example.com", user: moved).payload)
        #expect(notice.to.address == "ann@example.com" && notice.text.contains("ann@new.example"))
    }

    @Test("the invitation carries its link and token, to the invited address")
    func invitation() throws {
        let mail = TemplateAccountMail(
            templates: try MailTemplates(product: "Acme"), from: MailMessage.Address("no-reply@acme.example"),
            invitationURL: "https://acme.example/ui/invitation", clock: { 0 })
        let token = String(repeating: "I", count: 43)
        let message = try MailMessage(
            payload: mail.invitation(to: "guest@example.com", token: token, lifetime: 72 * 3600).payload)
        #expect(message.to.address == "guest@example.com" && message.subject == "You are invited to Acme")
        #expect(
            message.text.contains("https://acme.example/ui/invitation?token=\(token)")
                && message.text.contains("72 hours"))
    }

    @Test("a locale's subdirectory comes first, then the directory, then the built-in; {{locale}} everywhere")
    func locale() throws {
        let directory = try MailTemplatesTests.directory([
            "de/test.subject.mustache": "{{product}} Testnachricht ({{locale}})",
            "test.txt.mustache": "plain {{locale}}",
        ])
        let from = MailMessage.Address("no-reply@acme.example")
        let german = try MailTemplates(directory: directory, product: "Acme", locale: "de").message(
            .test, values: [:], from: from, to: .init("ann@example.com"), date: 0)
        #expect(german.subject == "Acme Testnachricht (de)" && german.text == "plain de")
        #expect(german.html?.contains(#"<html lang="de">"#) == true, "the built-in HTML part")
        let french = try MailTemplates(directory: directory, product: "Acme", locale: "fr").message(
            .test, values: [:], from: from, to: .init("ann@example.com"), date: 0)
        #expect(
            french.subject == "Acme test message" && french.text == "plain fr", "no fr/: the directory, the built-in")
        for bad in ["", "../etc", "de/x", "e n"] {
            #expect(throws: MailTemplates.TemplateError.self, "\(bad)") { try MailTemplates(locale: bad) }
        }
    }

    @Test("the sign-in message carries the link (with the sign-in it continues) and the code")
    func signIn() throws {
        let mail = TemplateAccountMail(
            templates: try MailTemplates(product: "Acme"), from: MailMessage.Address("no-reply@acme.example"),
            signInURL: "https://acme.example/ui/login/email", clock: { 0 })
        let token = String(repeating: "S", count: 43)
        let message = try MailMessage(
            payload: mail.signIn(to: Self.user, token: token, code: "314159", lifetime: 900, continuation: "authz=x")
                .payload)
        #expect(message.to.address == "ann@example.com" && message.subject == "Sign in to Acme")
        #expect(message.text.contains("https://acme.example/ui/login/email?token=\(token)&authz=x"), "\(message.text)")
        #expect(message.text.contains("\n314159\n") && message.text.contains("15 minutes"))
    }
}
