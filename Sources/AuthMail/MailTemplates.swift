import Mustache

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The mail authd writes, as mustache templates (swift-mustache): each message has a subject, a
/// text and an HTML template, built in, and each replaceable by a file in `mail.templates_dir`
/// (`NAME.subject.mustache`, `NAME.txt.mustache`, `NAME.html.mustache`). Values are escaped for
/// HTML in the HTML part only. Every template sees `product` (`mail.product_name`) and `locale`
/// (`mail.locale`) besides the message's own values; `mail.templates_dir/<locale>/` comes first.
/// Templates are read and parsed at start, so a broken one stops start-up.
public struct MailTemplates: Sendable {
    public enum Name: String, Sendable, CaseIterable {
        /// `authctl mail test`.
        case test
        /// A password reset token: `username`, `token`, `minutes` it is valid, and `link` when
        /// `mail.password_reset_url` is set.
        case passwordReset = "password_reset"
        /// The notice that a reset changed the password: `username`.
        case passwordChanged = "password_changed"
        /// An address to verify: `username`, `email`, `code` (six digits), `token`, `hours` they
        /// are valid, and `link` when `mail.email_verification_url` is set.
        case emailVerification = "email_verification"
        /// The notice to an account's old address that it changed: `username`, `email` (the new one).
        case emailChanged = "email_changed"
        /// An invitation to make an account: `token`, `hours` it is valid, and `link`.
        case invitation
        /// A sign-in link and code (`mail.sign_in_by_email`): `username`, `code` (six digits),
        /// `minutes` they are valid, and `link`.
        case signIn = "sign_in"
    }

    struct Parts: Sendable {
        var subject: MustacheTemplate
        var text: MustacheTemplate
        var html: MustacheTemplate
    }

    public struct TemplateError: Error, CustomStringConvertible {
        public let description: String
    }

    let parts: [Name: Parts]
    let product: String
    let locale: String

    /// The built-in templates, with those `directory` holds instead: for each file, the one in
    /// `directory/<locale>/` first, then the one in `directory`. Every template sees `locale`
    /// (a BCP 47 tag, `en` by default; the built-in HTML's `lang`).
    public init(directory: String? = nil, product: String = "authd", locale: String = "en") throws {
        guard Self.isLanguageTag(locale) else {
            throw TemplateError(
                description: "the mail locale \(locale.prefix(35)) is not a language tag such as en or pt-BR")
        }
        var parts: [Name: Parts] = [:]
        for name in Name.allCases {
            let builtIn = Self.builtIn[name]!
            func template(_ suffix: String, _ fallback: String, text: Bool) throws -> MustacheTemplate {
                var source = fallback
                let file = "\(name.rawValue).\(suffix).mustache"
                if let directory,
                    let path = ["\(directory)/\(locale)/\(file)", "\(directory)/\(file)"].first(where: {
                        FileManager.default.fileExists(atPath: $0)
                    })
                {
                    guard let data = FileManager.default.contents(atPath: path) else {
                        throw TemplateError(description: "cannot read the mail template \(path)")
                    }
                    source = String(decoding: data, as: UTF8.self)
                }
                do {
                    // Subjects and text parts are not HTML: nothing is escaped in them.
                    return try MustacheTemplate(string: (text ? "{{% CONTENT_TYPE: TEXT}}" : "") + source)
                } catch {
                    throw TemplateError(
                        description: "the mail template \(name.rawValue).\(suffix) does not parse: \(error)")
                }
            }
            parts[name] = Parts(
                subject: try template("subject", builtIn.subject, text: true),
                text: try template("txt", builtIn.text, text: true),
                html: try template("html", builtIn.html, text: false))
        }
        self.parts = parts
        self.product = product
        self.locale = locale
    }

    /// Letters, digits and hyphens, starting with a letter: a BCP 47 tag's alphabet (and safe in a path).
    static func isLanguageTag(_ tag: String) -> Bool {
        guard let first = tag.utf8.first, tag.utf8.count <= 35 else { return false }
        let letter = { (byte: UInt8) in (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        return letter(first) && tag.utf8.allSatisfy { letter($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    /// The message `name` makes with `values`, from `from` to `to`, dated `date` (Unix seconds).
    public func message(
        _ name: Name, values: [String: String], from: MailMessage.Address, to: MailMessage.Address, date: Int64
    ) throws -> MailMessage {
        let parts = self.parts[name]!
        let context = values.merging(["product": product, "locale": locale]) { $1 }
        // A subject is one line, whatever the template's white space.
        let subject = parts.subject.render(context).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return try MailMessage.new(
            from: from, to: to, subject: subject, text: parts.text.render(context), html: parts.html.render(context),
            date: date)
    }

    static let builtIn: [Name: (subject: String, text: String, html: String)] = [
        .test: (
            subject: "{{product}} test message",
            text: """
            This message was sent by `authctl mail test` to check that {{product}}'s mail reaches you.

            """,
            html: """
            <!doctype html>
            <html lang="{{locale}}"><body style="font-family: sans-serif">
            <p>This message was sent by <code>authctl mail test</code> to check that {{product}}'s mail reaches you.</p>
            </body></html>

            """
        ),
        .passwordReset: (
            subject: "Reset your {{product}} password",
            text: """
            Hello {{username}},

            someone asked to reset the password of your {{product}} account. If it was you,
            {{#link}}open this link within {{minutes}} minutes:

            {{link}}

            or {{/link}}give this code where you asked, within {{minutes}} minutes:

            {{token}}

            If it was not you, ignore this message: your password stays as it is.

            """,
            html: """
            <!doctype html>
            <html lang="{{locale}}"><body style="font-family: sans-serif">
            <p>Hello {{username}},</p>
            <p>someone asked to reset the password of your {{product}} account. If it was you,
            {{#link}}<a href="{{link}}">choose a new password</a> within {{minutes}} minutes, or {{/link}}give this
            code where you asked, within {{minutes}} minutes:</p>
            <p><code>{{token}}</code></p>
            <p>If it was not you, ignore this message: your password stays as it is.</p>
            </body></html>

            """
        ),
        .passwordChanged: (
            subject: "Your {{product}} password was changed",
            text: """
            Hello {{username}},

            the password of your {{product}} account was just reset, and every session signed out.
            If you did not do this, contact your administrator at once.

            """,
            html: """
            <!doctype html>
            <html lang="{{locale}}"><body style="font-family: sans-serif">
            <p>Hello {{username}},</p>
            <p>the password of your {{product}} account was just reset, and every session signed out.
            If you did not do this, contact your administrator at once.</p>
            </body></html>

            """
        ),
        .emailVerification: (
            subject: "Verify your e-mail address for {{product}}",
            text: """
            Hello {{username}},

            please confirm that {{email}} is your address for your {{product}} account.
            {{#link}}Open this link within {{hours}} hours:

            {{link}}

            or, signed in, {{/link}}enter this code within {{hours}} hours:

            {{code}}

            If you did not ask for this, ignore this message.

            """,
            html: """
            <!doctype html>
            <html lang="{{locale}}"><body style="font-family: sans-serif">
            <p>Hello {{username}},</p>
            <p>please confirm that {{email}} is your address for your {{product}} account.
            {{#link}}<a href="{{link}}">Verify the address</a> within {{hours}} hours, or, signed in, {{/link}}enter
            this code within {{hours}} hours:</p>
            <p style="font-size: 1.5em; letter-spacing: 0.2em"><code>{{code}}</code></p>
            <p>If you did not ask for this, ignore this message.</p>
            </body></html>

            """
        ),
        .emailChanged: (
            subject: "Your {{product}} e-mail address was changed",
            text: """
            Hello {{username}},

            the e-mail address of your {{product}} account was changed to {{email}}; messages about
            the account go there from now on. If you did not do this, contact your administrator at once.

            """,
            html: """
            <!doctype html>
            <html lang="{{locale}}"><body style="font-family: sans-serif">
            <p>Hello {{username}},</p>
            <p>the e-mail address of your {{product}} account was changed to {{email}}; messages about the
            account go there from now on. If you did not do this, contact your administrator at once.</p>
            </body></html>

            """
        ),
        .invitation: (
            subject: "You are invited to {{product}}",
            text: """
            Hello,

            you are invited to make an account on {{product}}. Within {{hours}} hours,
            {{#link}}open this link to choose your username and password:

            {{link}}

            or {{/link}}give this code where you were told to:

            {{token}}

            If you did not expect this, ignore this message.

            """,
            html: """
            <!doctype html>
            <html lang="{{locale}}"><body style="font-family: sans-serif">
            <p>Hello,</p>
            <p>you are invited to make an account on {{product}}. Within {{hours}} hours,
            {{#link}}<a href="{{link}}">choose your username and password</a>, or {{/link}}give this code where
            you were told to:</p>
            <p><code>{{token}}</code></p>
            <p>If you did not expect this, ignore this message.</p>
            </body></html>

            """
        ),
        .signIn: (
            subject: "Sign in to {{product}}",
            text: """
            Hello {{username}},

            someone asked to sign in to {{product}} as you. Within {{minutes}} minutes,
            {{#link}}open this link to sign in:

            {{link}}

            or {{/link}}enter this code on the sign-in page:

            {{code}}

            If it was not you, ignore this message: nobody can sign in without it.

            """,
            html: """
            <!doctype html>
            <html lang="{{locale}}"><body style="font-family: sans-serif">
            <p>Hello {{username}},</p>
            <p>someone asked to sign in to {{product}} as you. Within {{minutes}} minutes,
            {{#link}}<a href="{{link}}">sign in with this link</a>, or {{/link}}enter this code on the sign-in page:</p>
            <p style="font-size: 1.5em; letter-spacing: 0.2em"><code>{{code}}</code></p>
            <p>If it was not you, ignore this message: nobody can sign in without it.</p>
            </body></html>

            """
        ),
    ]
}
