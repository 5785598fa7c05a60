import AuthCore
import Hummingbird

/// The portal's account pages (#35): `/ui/password/forgot`, `/ui/password/reset?token=…` and
/// `/ui/email/verify?token=…`, the pages the mailed links open by default. Thin over
/// `PasswordResetService` and `EmailVerificationService`, as the JSON routes are; every form
/// carries the CSRF token. Without mail they are not found.
extension HTTPFrontEnd {
    func addPortalAccountRoutes(to router: MethodTable) {
        if let passwordReset { addPasswordPages(to: router, passwordReset) }
        if let emailVerification { addVerificationPages(to: router, emailVerification) }
        if let portal, let signInByMail { addSignInByMailPages(to: router, portal: portal, signInByMail) }
    }

    private func addPasswordPages(to router: MethodTable, _ passwordReset: PasswordResetService) {
        router.get("/ui/password/forgot") { request, _ in
            await portalAnswer {
                try formPage(request, .ok) { PortalPages.forgotPassword(csrf: $0, error: nil) }
            }
        }
        router.post("/ui/password/forgot") { request, context in
            await portalAnswer {
                let form = try await form(request, ["csrf", "login"])
                try checkCSRF(request, form)
                do {
                    try await passwordReset.requestReset(login: form["login"] ?? "", source: context.client)
                } catch let error as AuthError where error.code == .invalidInput {
                    return try formPage(request, .badRequest) {
                        PortalPages.forgotPassword(csrf: $0, error: "Give a username or an e-mail address.")
                    }
                }
                return html(.ok, PortalPages.resetRequested())
            }
        }
        router.get("/ui/password/reset") { request, _ in
            await portalAnswer {
                let token = try query(request, ["token"])["token"] ?? ""
                return try formPage(request, .ok) { PortalPages.resetPassword(csrf: $0, token: token, error: nil) }
            }
        }
        router.post("/ui/password/reset") { request, context in
            await portalAnswer {
                let form = try await form(request, ["csrf", "token", "new_password", "confirm"])
                try checkCSRF(request, form)
                let token = form["token"] ?? ""
                func again(_ message: String) throws -> Response {
                    try formPage(request, .unprocessableContent) {
                        PortalPages.resetPassword(csrf: $0, token: token, error: message)
                    }
                }
                guard form["new_password"] == form["confirm"] else { return try again("The two passwords differ.") }
                do {
                    try await passwordReset.reset(
                        token: token, newPassword: form["new_password"] ?? "", source: context.client)
                } catch let error as AuthError where error.code == .weakPassword {
                    return try again(PortalPages.capitalised(error.message) + ".")
                } catch let error as AuthError where error.code == .invalidResetToken {
                    throw PortalRefusal.page(
                        .badRequest, "This link is used, expired or unknown. Ask for a new one on the sign-in page.")
                }
                return html(.ok, PortalPages.passwordReset())
            }
        }
    }

    private func addVerificationPages(to router: MethodTable, _ verification: EmailVerificationService) {
        router.get("/ui/email/verify") { request, _ in
            await portalAnswer {
                let token = try query(request, ["token"])["token"] ?? ""
                return try formPage(request, .ok) { PortalPages.verifyEmail(csrf: $0, token: token) }
            }
        }
        router.post("/ui/email/verify") { request, context in
            await portalAnswer {
                let form = try await form(request, ["csrf", "token"])
                try checkCSRF(request, form)
                do {
                    _ = try await verification.verify(token: form["token"] ?? "", source: context.client)
                } catch let error as AuthError where error.code == .invalidVerificationToken {
                    throw PortalRefusal.page(
                        .badRequest,
                        "This link is expired, unknown, or for an address your account no longer has. "
                            + "Sign in and ask for a new one.")
                }
                return html(.ok, PortalPages.emailVerified())
            }
        }
    }
}
