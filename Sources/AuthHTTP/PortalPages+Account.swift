import AuthCore

/// The portal's pages for accounts looking after themselves by mail (#35): asking for a password
/// reset, choosing the new password, and verifying an address. Each link from a message opens a
/// page with a button: a GET never uses a token, so a mail scanner that follows links uses none.
extension PortalPages {
    static func forgotPassword(csrf: String, error: String?) -> String {
        page(
            title: "Forgot your password?",
            """
            <p>Give your username or e-mail address. If an account has it, we send its address a link to choose a new password.</p>
            \(alert(error))
            <form method="post" action="/ui/password/forgot">
            \(hidden(csrf: csrf, pending: nil))
            <label for="login">Username or e-mail address</label>
            <input id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus maxlength="320">
            <button type="submit">Send the link</button>
            </form>
            <p class="small"><a href="/ui/login">Back to sign-in</a></p>
            """)
    }

    static func resetRequested() -> String {
        page(
            title: "Check your mail",
            """
            <p>If an account has that name or address, a message with a link is on its way to it. The link works once, for a short while.</p>
            <p class="small">Nothing came? Look in your spam folder, or <a href="/ui/password/forgot">ask again</a> in a few minutes.</p>
            """)
    }

    static func resetPassword(csrf: String, token: String, error: String?) -> String {
        page(
            title: "Choose a new password",
            """
            <p>Your new password signs you out everywhere else.</p>
            \(alert(error))
            <form method="post" action="/ui/password/reset">
            \(hidden(csrf: csrf, pending: nil, extra: [("token", token)]))
            <label for="new_password">New password</label>
            <input id="new_password" name="new_password" type="password" autocomplete="new-password" required autofocus>
            <label for="confirm">New password, again</label>
            <input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
            <button type="submit">Set the password</button>
            </form>
            """)
    }

    static func passwordReset() -> String {
        page(
            title: "Password changed",
            """
            <p>Your password is changed and every session signed out. We sent your address a notice.</p>
            <p><a href="/ui/login">Sign in</a> with the new password.</p>
            """)
    }

    static func verifyEmail(csrf: String, token: String) -> String {
        page(
            title: "Verify your e-mail address",
            """
            <p>Confirm that this address is yours.</p>
            <form method="post" action="/ui/email/verify">
            \(hidden(csrf: csrf, pending: nil, extra: [("token", token)]))
            <button type="submit">Verify my address</button>
            </form>
            """)
    }

    static func emailVerified() -> String {
        page(
            title: "Address verified",
            """
            <p>Thank you: your e-mail address is verified.</p>
            <p><a href="/ui/login">Sign in</a> or go back to your application.</p>
            """)
    }

    static func invitation(csrf: String, token: String, error: String?) -> String {
        page(
            title: "Make your account",
            """
            <p>You were invited. Choose the name you sign in with and a password.</p>
            \(alert(error))
            <form method="post" action="/ui/invitation">
            \(hidden(csrf: csrf, pending: nil, extra: [("token", token)]))
            <label for="username">Username</label>
            <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus maxlength="64">
            <label for="new_password">Password</label>
            <input id="new_password" name="new_password" type="password" autocomplete="new-password" required>
            <label for="confirm">Password, again</label>
            <input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
            <button type="submit">Make the account</button>
            </form>
            """)
    }

    static func invitationAccepted() -> String {
        page(
            title: "Welcome",
            """
            <p>Your account is ready, and its e-mail address verified.</p>
            <p><a href="/ui/login">Sign in</a> with your new username and password.</p>
            """)
    }
}

/// Sign-in by mail (`mail.sign_in_by_email`).
extension PortalPages {
    static func askForSignInMail(csrf: String, pending: String?, returnTo: String?, error: String?) -> String {
        page(
            title: "Sign in by e-mail",
            """
            <p>Give your username or e-mail address. If an account has it, we send its address a link and a code that sign you in.</p>
            \(alert(error))
            <form method="post" action="/ui/login/email">
            \(hidden(csrf: csrf, pending: pending, returnTo: returnTo))
            <label for="login">Username or e-mail address</label>
            <input id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus maxlength="320">
            <button type="submit">E-mail me a sign-in link</button>
            </form>
            <p class="small"><a href="\(signInLink(pending: pending, returnTo: returnTo))">Sign in with a password</a></p>
            """)
    }

    static func mailedCode(csrf: String, pending: String?, returnTo: String?, login: String, error: String?) -> String {
        page(
            title: "Check your mail",
            """
            <p>If an account has that name or address, a message is on its way to it. Open its link, or enter its code here.</p>
            \(alert(error))
            <form method="post" action="/ui/login/email/code">
            \(hidden(csrf: csrf, pending: pending, returnTo: returnTo, extra: [("login", login)]))
            <label for="code">Code</label>
            <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus maxlength="16">
            <button type="submit">Sign in</button>
            </form>
            <p class="small">Nothing came? Look in your spam folder, or <a href="\(signInLink(pending: pending, returnTo: returnTo, path: "/ui/login/email"))">ask again</a> in a few minutes.</p>
            """)
    }

    static func mailedLink(csrf: String, pending: String?, returnTo: String?, token: String) -> String {
        page(
            title: "Sign in",
            """
            <p>Sign in with the link from your mail.</p>
            <form method="post" action="/ui/login/email/link">
            \(hidden(csrf: csrf, pending: pending, returnTo: returnTo, extra: [("token", token)]))
            <button type="submit">Sign in</button>
            </form>
            """)
    }

    /// A portal page's address, carrying the sign-in it continues.
    static func signInLink(pending: String?, returnTo: String?, path: String = "/ui/login") -> String {
        escape(flowQuery(pending: pending, returnTo: returnTo).map { path + "?" + $0 } ?? path)
    }

    /// The query that carries a sign-in on to another page: its sealed request (`authz`) and the
    /// nginx flow's return URL (`rd`); nil when it has neither.
    static func flowQuery(pending: String?, returnTo: String?) -> String? {
        let fields = [("authz", pending), ("rd", returnTo)].compactMap { name, value in
            value.map { "\(name)=\(URLEncoding.component($0))" }
        }
        return fields.isEmpty ? nil : fields.joined(separator: "&")
    }
}

/// Self-registration (`oidc.self_registration`).
extension PortalPages {
    static func register(
        csrf: String, pending: String?, returnTo: String?, username: String, email: String, error: String?
    ) -> String {
        page(
            title: "Create an account",
            """
            \(alert(error))
            <form method="post" action="/ui/register">
            \(hidden(csrf: csrf, pending: pending, returnTo: returnTo))
            <label for="username">Username</label>
            <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus maxlength="64" value="\(escape(username))">
            <label for="email">E-mail address</label>
            <input id="email" name="email" type="email" autocomplete="email" required maxlength="320" value="\(escape(email))">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required>
            <label for="confirm">Password, again</label>
            <input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
            <button type="submit">Create the account</button>
            </form>
            <p class="small">Have an account? <a href="\(signInLink(pending: pending, returnTo: returnTo))">Sign in</a></p>
            """)
    }
}
