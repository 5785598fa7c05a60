public import AuthCore
import AuthCrypto
public import AuthMail

extension Settings {
    /// What `AuthAssembly` needs from the settings: the use cases' part of them.
    public func assembly() throws -> AuthAssembly.Configuration {
        AuthAssembly.Configuration(
            passwords: passwords.assembly,
            auth: .init(
                accessTokenLifetime: tokens.accessTokenLifetime, passwordPolicy: passwords.policy,
                attemptLimit: attemptLimit, sessions: sessions, registrationLimit: registrationLimit,
                accountLimit: accountLimit, addressGrouping: addressGrouping, scopes: oauthScopes,
                issuer: http.frontEnd.issuer, verifyEmail: mail?.verifyEmail ?? false,
                requireVerifiedEmail: requireVerifiedEmail),
            tokens: AccessTokenCodec(
                keyring: tokens.keyring,
                validation: .init(
                    issuer: tokens.issuer, audience: tokens.audience, leeway: tokens.leeway,
                    clientIssuer: tokens.clientIssuer)),
            secondFactor: mfa.map { .init(policy: $0.policy, keyring: $0.keyring) },
            stacks: .files(try stackFiles()), portal: portal, revocation: revocation,
            mail: mail?.accountMail(issuer: http.frontEnd.issuer),
            passwordReset: mail?.passwordReset ?? .init(), emailVerification: mail?.emailVerification ?? .init(),
            invitationLifetime: mail?.invitationLifetime ?? 72 * 3600, signInByMail: mail?.signInByMail, dpop: dpop,
            passkeys: passkeys)
    }
}

extension Settings.Mail {
    /// The lifecycle's mail; its links open the application's pages when the operator names them,
    /// else the portal's under `issuer` (`oauth.issuer`).
    public func accountMail(issuer: String) -> TemplateAccountMail {
        let pages = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        return TemplateAccountMail(
            templates: templates, from: from, passwordResetURL: passwordResetURL ?? pages + "/ui/password/reset",
            emailVerificationURL: emailVerificationURL ?? pages + "/ui/email/verify",
            invitationURL: invitationURL ?? pages + "/ui/invitation", signInURL: signInURL ?? pages + "/ui/login/email")
    }
}

extension Settings.Passwords {
    public var assembly: AuthAssembly.Passwords {
        AuthAssembly.Passwords(
            scrypt: scrypt, importedFloor: importedFloor, hashCeiling: hashCeiling, hashing: hashing, policy: policy)
    }
}
