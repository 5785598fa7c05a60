import AuthCore
import Hummingbird

/// Sign-in by mail (#35, `mail.sign_in_by_email`): `POST /login/email` {login} answers 202
/// whatever it names; `POST /login/email/complete` with {token} (the link's) or {login, code}
/// answers as `POST /login` does. Off, both answer 404 `not_found`.
extension HTTPFrontEnd {
    func addSignInByMailRoutes(to router: MethodTable) {
        let signIn = self.signInByMail
        let off = AuthError(.notFound, "sign-in by mail is off (mail.sign_in_by_email)")
        router.post("/login/email") { request, context in
            let body = try await JSONBody.read(request, limit: configuration.maximumBodySize, allowedFields: ["login"])
            guard let signIn else { throw off }
            try await signIn.requestLink(login: try body.string("login"), source: context.client)
            return EditedResponse(
                status: .accepted,
                response: StatusResponse(
                    status: "if an account has that name or address, a sign-in link and code are on their way"))
        }
        router.post("/login/email/complete") { request, context in
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["token", "login", "code"])
            guard let signIn else { throw off }
            let userAgent = request.headers[.userAgent]
            let outcome: LoginOutcome
            switch (try body.optionalString("token"), try body.optionalString("login"), try body.optionalString("code"))
            {
            case (let token?, nil, nil):
                outcome = try await signIn.signIn(token: token, source: context.client, userAgent: userAgent)
            case (nil, let login?, let code?):
                outcome = try await signIn.signIn(
                    login: login, code: code, source: context.client, userAgent: userAgent)
            default:
                throw AuthError(.invalidInput, "give token (from the link), or login and code")
            }
            return LoginResponse(outcome)
        }
    }
}

extension LoginResponse {
    init(_ outcome: LoginOutcome) {
        switch outcome {
        case .session(let tokens): self = .tokens(TokenResponse(tokens))
        case .secondFactorRequired(let challenge, let expiresIn):
            self = .secondFactor(MFARequiredResponse(mfaToken: challenge, expiresIn: expiresIn))
        }
    }
}
