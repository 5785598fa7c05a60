import AuthCore
import HTTPTypes
import Hummingbird

/// The portal's "Create an account" (`oidc.self_registration`, off by default): `/ui/register`
/// registers as `POST /register` does (the same rules, limits and verification mail), then signs
/// the new account in and goes on with the sign-in it came from.
extension HTTPFrontEnd {
    func addRegistrationPages(to router: MethodTable, portal: PortalService) {
        guard portal.policy.selfRegistration else { return }
        router.get("/ui/register") { request, _ in
            await portalAnswer {
                let flow = try flow(try query(request, ["authz", "rd"]), portal)
                return try registrationPage(request, flow, portal, status: .ok, error: nil)
            }
        }
        router.post("/ui/register") { request, context in
            await portalAnswer {
                let form = try await form(request, ["csrf", "authz", "rd", "username", "email", "password", "confirm"])
                try checkCSRF(request, form)
                var flow = try flow(form, portal)
                let (username, password) = (form["username"] ?? "", form["password"] ?? "")
                func again(_ status: HTTPResponse.Status, _ message: String) throws -> Response {
                    try registrationPage(
                        request, flow, portal, status: status, error: message, username: username,
                        email: form["email"] ?? "")
                }
                guard password == form["confirm"] else {
                    return try again(.unprocessableContent, "The two passwords differ.")
                }
                do {
                    _ = try await service.register(
                        username: username, email: form["email"] ?? "", password: password, source: context.client)
                } catch let error as AuthError {
                    switch error.code {
                    case .usernameTaken: return try again(.conflict, "That username is taken; choose another.")
                    case .emailTaken:
                        return try again(
                            .conflict, "That address has an account already: sign in, or reset its password.")
                    case .invalidInput, .weakPassword:
                        return try again(.unprocessableContent, PortalPages.capitalised(error.message) + ".")
                    default: throw error
                    }
                }
                let (step, cookie) = try await portal.signIn(
                    &flow, username: username, password: password, source: context.client,
                    userAgent: request.headers[.userAgent], replacing: self.cookie(request, Self.ssoCookie))
                return try await answer(step, flow, request, portal, signedIn: cookie, username: username)
            }
        }
    }

    private func registrationPage(
        _ request: Request, _ flow: PortalFlow, _ portal: PortalService, status: HTTPResponse.Status,
        error: String?, username: String = "", email: String = ""
    ) throws -> Response {
        let sealed = try flow.pending?.sealed(with: portal.keyring)
        return try formPage(request, status, formTarget: flow.formTarget) {
            PortalPages.register(
                csrf: $0, pending: sealed, returnTo: flow.returnTo, username: username, email: email, error: error)
        }
    }
}
