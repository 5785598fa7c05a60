import AuthCore
import Hummingbird

/// Password reset by mail (#35): `POST /password/forgot` {login} answers 202 whatever it names;
/// `POST /password/reset` {token, new_password} sets the password and ends every session. Without
/// mail (`mail.transport: none`) both answer 503 `mail_unavailable`.
extension HTTPFrontEnd {
    func addPasswordResetRoutes(to router: MethodTable) {
        let passwordReset = self.passwordReset
        let unavailable = AuthError(.mailUnavailable, "password reset needs mail, and mail.transport is none")
        router.post("/password/forgot") { request, context in
            let body = try await JSONBody.read(request, limit: configuration.maximumBodySize, allowedFields: ["login"])
            guard let passwordReset else { throw unavailable }
            try await passwordReset.requestReset(login: try body.string("login"), source: context.client)
            return EditedResponse(
                status: .accepted,
                response: StatusResponse(status: "if an account has that name or address, a message is on its way"))
        }
        router.post("/password/reset") { request, context in
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["token", "new_password"])
            guard let passwordReset else { throw unavailable }
            try await passwordReset.reset(
                token: try body.string("token"), newPassword: try body.string("new_password"), source: context.client)
            return StatusResponse(status: "password reset; sign in with the new password")
        }
    }
}
