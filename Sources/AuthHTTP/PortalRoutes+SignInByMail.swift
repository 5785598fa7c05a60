import AuthCore
import HTTPTypes
import Hummingbird

/// The portal's sign-in by mail (`mail.sign_in_by_email`): `/ui/login/email` asks for a link and
/// a code, shows "Check your mail" with a form for the code, and is the page the mailed link opens
/// (`?token=…`, with the sign-in's `authz` or `rd` it continues). Opening the link shows a button;
/// only its post uses the token, so a mail scanner that follows links uses nothing. Thin over
/// `SignInByMailService`; the sign-in then continues as the password form's does.
extension HTTPFrontEnd {
    func addSignInByMailPages(to router: MethodTable, portal: PortalService, _ signIn: SignInByMailService) {
        router.get("/ui/login/email") { request, _ in
            await portalAnswer {
                let input = try query(request, ["authz", "rd", "token"])
                let flow = try flow(input, portal)
                let sealed = try flow.pending?.sealed(with: portal.keyring)
                if let token = input["token"] {
                    return try formPage(request, .ok, formTarget: flow.formTarget) {
                        PortalPages.mailedLink(csrf: $0, pending: sealed, returnTo: flow.returnTo, token: token)
                    }
                }
                return try formPage(request, .ok) {
                    PortalPages.askForSignInMail(csrf: $0, pending: sealed, returnTo: flow.returnTo, error: nil)
                }
            }
        }
        router.post("/ui/login/email") { request, context in
            await portalAnswer {
                let form = try await form(request, ["csrf", "authz", "rd", "login"])
                try checkCSRF(request, form)
                let flow = try flow(form, portal)
                let sealed = try flow.pending?.sealed(with: portal.keyring)
                let login = form["login"] ?? ""
                do {
                    // The link goes back into this sign-in: `authz` is sealed, `rd` checked again.
                    try await signIn.requestLink(
                        login: login, continuation: PortalPages.flowQuery(pending: sealed, returnTo: flow.returnTo),
                        source: context.client)
                } catch let error as AuthError where error.code == .invalidInput {
                    return try formPage(request, .badRequest) {
                        PortalPages.askForSignInMail(
                            csrf: $0, pending: sealed, returnTo: flow.returnTo,
                            error: "Give a username or an e-mail address.")
                    }
                }
                return try codePage(request, flow, portal, login: login, error: nil)
            }
        }
        router.post("/ui/login/email/code") { request, context in
            await portalAnswer {
                let form = try await form(request, ["csrf", "authz", "rd", "login", "code"])
                try checkCSRF(request, form)
                var flow = try flow(form, portal)
                let login = form["login"] ?? ""
                let outcome: LoginOutcome
                do {
                    outcome = try await signIn.signIn(
                        login: login, code: form["code"] ?? "", source: context.client,
                        userAgent: request.headers[.userAgent])
                } catch let error as AuthError where error.code == .invalidCredentials || error.code == .invalidInput {
                    return try codePage(request, flow, portal, login: login, error: "That code is not valid.")
                }
                return try await signedIn(request, &flow, portal, outcome)
            }
        }
        router.post("/ui/login/email/link") { request, context in
            await portalAnswer {
                let form = try await form(request, ["csrf", "authz", "rd", "token"])
                try checkCSRF(request, form)
                var flow = try flow(form, portal)
                let outcome: LoginOutcome
                do {
                    outcome = try await signIn.signIn(
                        token: form["token"] ?? "", source: context.client, userAgent: request.headers[.userAgent])
                } catch let error as AuthError where error.code == .invalidCredentials {
                    throw PortalRefusal.page(
                        .badRequest, "This link is used, expired or unknown. Ask for a new one on the sign-in page.")
                }
                return try await signedIn(request, &flow, portal, outcome)
            }
        }
    }

    private func codePage(
        _ request: Request, _ flow: PortalFlow, _ portal: PortalService, login: String, error: String?
    ) throws -> Response {
        let sealed = try flow.pending?.sealed(with: portal.keyring)
        return try formPage(request, error == nil ? .ok : .unauthorized, formTarget: flow.formTarget) {
            PortalPages.mailedCode(csrf: $0, pending: sealed, returnTo: flow.returnTo, login: login, error: error)
        }
    }

    private func signedIn(
        _ request: Request, _ flow: inout PortalFlow, _ portal: PortalService, _ outcome: LoginOutcome
    ) async throws -> Response {
        let (step, cookie) = try await portal.signIn(
            &flow, outcome, methods: ["email"], replacing: self.cookie(request, Self.ssoCookie))
        return try await answer(step, flow, request, portal, signedIn: cookie)
    }
}
