public import AuthCore
import AuthCrypto
import AuthMail

extension Settings {
    /// What `AuthAssembly` needs from the settings: the use cases' part of them.
    public func assembly() throws -> AuthAssembly.Configuration {
        let pages = http.frontEnd.issuer.hasSuffix("/") ? String(http.frontEnd.issuer.dropLast()) : http.frontEnd.issuer
        return AuthAssembly.Configuration(
            passwords: passwords.assembly,
            auth: .init(
                accessTokenLifetime: tokens.accessTokenLifetime, passwordPolicy: passwords.policy,
                attemptLimit: attemptLimit, sessions: sessions, registrationLimit: registrationLimit,
                accountLimit: accountLimit, addressGrouping: addressGrouping, scopes: oauthScopes,
                issuer: http.frontEnd.issuer, verifyEmail: mail?.verifyEmail ?? false,
                requireVerifiedEmail: requireVerifiedEmail),
            tokens: AccessTokenCodec(
                keyring: tokens.keyring,
                validation: .init(issuer: tokens.issuer, audience: tokens.audience, leeway: tokens.leeway)),
            secondFactor: mfa.map { .init(policy: $0.policy, keyring: $0.keyring) },
            stacks: .files(try stackFiles()), portal: portal, revocation: revocation,
            mail: mail.map {
                // The portal's pages unless the operator names the application's own.
                TemplateAccountMail(
                    templates: $0.templates, from: $0.from,
                    passwordResetURL: $0.passwordResetURL ?? pages + "/ui/password/reset",
                    emailVerificationURL: $0.emailVerificationURL ?? pages + "/ui/email/verify")
            },
            passwordReset: mail?.passwordReset ?? .init(), emailVerification: mail?.emailVerification ?? .init())
    }
}

extension Settings.Passwords {
    public var assembly: AuthAssembly.Passwords {
        AuthAssembly.Passwords(
            scrypt: scrypt, importedFloor: importedFloor, hashCeiling: hashCeiling, hashing: hashing, policy: policy)
    }
}
