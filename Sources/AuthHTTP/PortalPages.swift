import AuthCore
import AuthCrypto

/// The portal's server-rendered pages: plain HTML forms, no JavaScript (but the form_post
/// response's one line, which its button stands in for), one small stylesheet
/// (`/ui/style.css`). Every value from a request or the database goes through `escape`.
enum PortalPages {
    /// `&`, `<`, `>`, `"` and `'` as character references: safe in text and in quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func page(title: String, _ body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(escape(title)) · authd</title>
        <link rel="stylesheet" href="/ui/style.css">
        </head>
        <body>
        <main class="card">
        <p class="brand" aria-hidden="true">authd</p>
        <h1>\(escape(title))</h1>
        \(body)
        </main>
        </body>
        </html>
        """
    }

    /// The form_post response (OAuth 2.0 Form Post Response Mode): the parameters as hidden fields
    /// of a form to the client's redirect URI, posted by the script at once, or by the button
    /// where scripts do not run.
    static func formPost(_ parameters: [(String, String)], to redirectURI: String) -> String {
        let fields = parameters.map { #"<input type="hidden" name="\#(escape($0.0))" value="\#(escape($0.1))">"# }
        return page(
            title: "Back to the application",
            """
            <form method="post" action="\(escape(redirectURI))">
            \(fields.joined(separator: "\n"))
            <p>Taking you back to the application.</p>
            <button type="submit">Continue</button>
            </form>
            <script>\(formPostScript)</script>
            """)
    }

    static let formPostScript = "document.forms[0].submit()"
    /// For the page's Content-Security-Policy: the only script any authd page runs.
    static let formPostScriptHash = Base64.standard.encode(
        (try? Digest.hash(.sha256, Array(formPostScript.utf8))) ?? [])

    /// Hidden fields every form carries: the CSRF token and, in a sign-in flow, the sealed request
    /// or the application's URL to return to (`rd`).
    static func hidden(csrf: String, pending: String?, returnTo: String? = nil, extra: [(String, String)] = [])
        -> String
    {
        var fields = [("csrf", csrf)] + extra
        if let pending { fields.append(("authz", pending)) }
        if let returnTo { fields.append(("rd", returnTo)) }
        return fields.map { #"<input type="hidden" name="\#($0.0)" value="\#(escape($0.1))">"# }.joined(separator: "\n")
    }

    /// A use case's message (lower case, as the JSON API shows it) to begin a sentence on a page.
    static func capitalised(_ message: String) -> String {
        message.prefix(1).uppercased() + message.dropFirst()
    }

    static func alert(_ message: String?) -> String {
        guard let message else { return "" }
        return #"<p class="alert" role="alert">\#(escape(message))</p>"#
    }

    /// `clientName` names the OAuth client, `returnHost` the application behind nginx, when either
    /// sent the browser here.
    /// `forgotPassword`: mail is on, so the page links to `/ui/password/forgot`.
    static func signIn(
        csrf: String, pending: String?, returnTo: String?, clientName: String?, username: String, error: String?,
        forgotPassword: Bool = false, signInByMail: Bool = false, selfRegistration: Bool = false
    ) -> String {
        let destination = clientName ?? returnTo.flatMap(PortalPolicy.host(of:))
        let lead =
            destination.map { "Sign in to continue to <strong>\(escape($0))</strong>." } ?? "Sign in with your account."
        return page(
            title: "Sign in",
            """
            <p>\(lead)</p>
            \(alert(error))
            <form method="post" action="/ui/login">
            \(hidden(csrf: csrf, pending: pending, returnTo: returnTo))
            <label for="username">Username</label>
            <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="\(escape(username))" autofocus>
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button>
            </form>
            \(signInByMail ? #"<p class="small"><a href="\#(signInLink(pending: pending, returnTo: returnTo, path: "/ui/login/email"))">E-mail me a sign-in link instead</a></p>"# : "")
            \(forgotPassword ? #"<p class="small"><a href="/ui/password/forgot">Forgot your password?</a></p>"# : "")
            \(selfRegistration ? #"<p class="small">New here? <a href="\#(signInLink(pending: pending, returnTo: returnTo, path: "/ui/register"))">Create an account</a></p>"# : "")
            """)
    }

    static func oneTimeCode(csrf: String, pending: String?, returnTo: String?, challenge: String, error: String?)
        -> String
    {
        page(
            title: "One-time code",
            """
            <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
            \(alert(error))
            <form method="post" action="/ui/login/otp">
            \(hidden(csrf: csrf, pending: pending, returnTo: returnTo, extra: [("challenge", challenge)]))
            <label for="code">Code</label>
            <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus maxlength="64">
            <button type="submit">Verify</button>
            </form>
            """)
    }

    /// What each scope lets the client have, in words.
    static func describe(scope: String) -> String {
        switch scope {
        case "openid": "Know who you are (your account id)"
        case "profile": "See your username"
        case "email": "See your e-mail address"
        default: "Use the permission “\(scope)”"
        }
    }

    static func consent(csrf: String, pending: String, clientName: String, username: String, scopes: [String])
        -> String
    {
        let items = scopeItems(scopes)
        return page(
            title: "Allow access?",
            """
            <p><strong>\(escape(clientName))</strong> asks to:</p>
            <ul class="scopes">
            \(items)
            </ul>
            <p class="small">Signed in as <strong>\(escape(username))</strong>. authd remembers your answer for this application; you can withdraw it on <a href="/ui/consents">your consents page</a>.</p>
            <form method="post" action="/ui/consent" class="choices">
            \(hidden(csrf: csrf, pending: pending))
            <button type="submit" name="decision" value="allow">Allow</button>
            <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
            </form>
            """)
    }

    /// The scopes as list items, in words: OpenID's own first, in the order people read them, then
    /// the rest by name.
    static func scopeItems(_ scopes: [String]) -> String {
        let known = ["openid", "profile", "email"]
        let ordered = scopes.sorted {
            (known.firstIndex(of: $0) ?? known.count, $0) < (known.firstIndex(of: $1) ?? known.count, $1)
        }
        return ordered.map { "<li>\(escape(describe(scope: $0))) <code>\(escape($0))</code></li>" }
            .joined(separator: "\n")
    }

    static func consents(csrf: String, username: String, consents: [(name: String, id: String, scopes: [String])])
        -> String
    {
        let rows =
            consents.isEmpty
            ? "<p>You have not allowed any application yet.</p>"
            : consents.map { consent in
                """
                <li><strong>\(escape(consent.name))</strong> <span class="small">\(escape(consent.scopes.joined(separator: " ")))</span>
                <form method="post" action="/ui/consents/revoke">
                \(hidden(csrf: csrf, pending: nil, extra: [("client_id", consent.id)]))
                <button type="submit" class="secondary">Withdraw</button>
                </form></li>
                """
            }.joined(separator: "\n")
        return page(
            title: "Your consents",
            """
            <p>Signed in as <strong>\(escape(username))</strong>. Applications you let sign you in:</p>
            <ul class="consents">
            \(rows)
            </ul>
            <form method="post" action="/ui/logout">
            \(hidden(csrf: csrf, pending: nil))
            <button type="submit" class="secondary">Sign out</button>
            </form>
            """)
    }

    static func confirmSignOut(
        csrf: String, username: String, clientName: String?, fields: [(String, String)], refusal: String? = nil
    ) -> String {
        let from = clientName.map { " <strong>\(escape($0))</strong> asks to sign you out." } ?? ""
        return page(
            title: "Sign out?",
            """
            \(notReturning(refusal))
            <p>You are signed in as <strong>\(escape(username))</strong>.\(from)</p>
            <p class="small">Signing out ends your authd session: applications will ask for your password again.</p>
            <form method="post" action="/ui/logout">
            \(hidden(csrf: csrf, pending: nil, extra: fields))
            <button type="submit">Sign out</button>
            </form>
            """)
    }

    /// `frames`: the applications' front-channel logout URIs, loaded unseen (OpenID Connect
    /// Front-Channel Logout 1.0); `continueTo`: where the application asked to go next, followed
    /// after a moment (the frames have loaded by then) or by the link.
    static func signedOut(refusal: String? = nil, frames: [String] = [], continueTo: String? = nil) -> String {
        let iframes = frames.map {
            "<iframe src=\"\(escape($0))\" title=\"Signing out of an application\" hidden></iframe>"
        }
        guard let continueTo else {
            return page(
                title: "Signed out",
                "\(notReturning(refusal))<p>You are signed out of authd. You can close this window.</p>"
                    + iframes.joined())
        }
        return page(
            title: "Signed out",
            """
            <meta http-equiv="refresh" content="2;url=\(escape(continueTo))">
            <p>You are signed out of authd and of the applications you used with it.</p>
            <p><a class="button" href="\(escape(continueTo))">Continue</a></p>
            """ + iframes.joined())
    }

    /// Why a sign-out does not go back to the application that asked for it.
    static func notReturning(_ refusal: String?) -> String {
        guard let refusal else { return "" }
        return alert(
            "The application's sign-out request was not valid (\(refusal)), so you will not be sent back to it.")
    }

    /// An error page: `message` says what happened, the advice what to do for the page's status.
    static func error(_ message: String, status: Int = 400) -> String {
        let (title, advice) =
            switch status {
            case 429, 503: ("Please wait", "Go back and try again in a minute.")
            case 401: ("Sign in first", "Sign in, then try again.")
            case 500...: ("Something went wrong", "Try again in a moment.")
            default:
                (
                    "Something is not right",
                    "The link that brought you here is not valid. Go back to the application and try again."
                )
            }
        return page(
            title: title,
            """
            \(alert(capitalised(message)))
            <p>\(advice)</p>
            """)
    }

    /// The stylesheet: system fonts, one centred card, visible focus, dark mode; no images.
    static let stylesheet = """
        :root { color-scheme: light dark; --accent: #2457d6; --bg: #f3f5f9; --card: #fff; --text: #1b2130;
          --muted: #5b6478; --border: #cfd5e2; --alert: #b42318; }
        @media (prefers-color-scheme: dark) { :root { --accent: #7ea2ff; --bg: #11141b; --card: #1b2030;
          --text: #e8ebf2; --muted: #a3abbd; --border: #38405a; --alert: #ff8a80; } }
        * { box-sizing: border-box; }
        body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg);
          color: var(--text); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        .card { width: min(26rem, calc(100vw - 2rem)); background: var(--card); border: 1px solid var(--border);
          border-radius: 12px; padding: 2rem; box-shadow: 0 8px 24px rgb(0 0 0 / 8%); }
        .brand { margin: 0 0 .5rem; font-weight: 700; letter-spacing: .08em; color: var(--accent);
          text-transform: uppercase; font-size: .8rem; }
        h1 { margin: 0 0 1rem; font-size: 1.5rem; }
        label { display: block; margin: 1rem 0 .25rem; font-weight: 600; }
        input { width: 100%; padding: .6rem .7rem; font: inherit; color: inherit; background: transparent;
          border: 1px solid var(--border); border-radius: 8px; }
        button { margin-top: 1.25rem; width: 100%; padding: .7rem; font: inherit; font-weight: 600; color: #fff;
          background: var(--accent); border: 0; border-radius: 8px; cursor: pointer; }
        button.secondary { background: transparent; color: var(--accent); border: 1px solid var(--border); }
        :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        .alert { padding: .6rem .8rem; border-left: 4px solid var(--alert); color: var(--alert);
          background: color-mix(in srgb, var(--alert) 8%, transparent); border-radius: 4px; }
        .small { color: var(--muted); font-size: .9rem; }
        .scopes, .consents { padding-left: 1.2rem; }
        .consents li { margin-bottom: 1rem; }
        .choices { display: grid; grid-template-columns: 1fr 1fr; gap: .75rem; }
        code { font-size: .85em; color: var(--muted); }
        a { color: var(--accent); }
        """
}
