import AuthCore
import Hummingbird

/// E-mail verification (#35): `POST /email/verify` with {token} (the link's; no bearer needed) or,
/// with a bearer token, {code} (the six digits); `POST /email/verify/resend` (bearer) sends a new
/// link and code. Without mail (`mail.transport: none`) they answer 503 `mail_unavailable`.
extension HTTPFrontEnd {
    func addEmailVerificationRoutes(to router: MethodTable) {
        let verification = self.emailVerification
        let unavailable = AuthError(.mailUnavailable, "e-mail verification needs mail, and mail.transport is none")
        router.post("/email/verify") { request, context in
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["token", "code"])
            guard let verification else { throw unavailable }
            let token = try body.optionalString("token")
            let code = try body.optionalString("code")
            switch (token, code) {
            case (let token?, nil):
                _ = try await verification.verify(token: token, source: context.client)
                return try StatusResponse(status: "e-mail address verified").response(from: request, context: context)
            case (nil, let code?):
                let profile = try await verification.verify(accessToken: try bearerToken(request), code: code)
                return try ProfileResponse(profile).response(from: request, context: context)
            default:
                throw AuthError(.invalidInput, "give token (from the link) or code (with a bearer token), not both")
            }
        }
        router.post("/email/verify/resend") { request, _ in
            guard let verification else { throw unavailable }
            try await verification.resend(accessToken: try bearerToken(request))
            return EditedResponse(
                status: .accepted, response: StatusResponse(status: "a new link and code are on their way"))
        }
    }
}
