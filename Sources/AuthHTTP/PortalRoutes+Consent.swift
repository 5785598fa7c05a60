import AuthCore
import AuthCrypto
import HTTPTypes
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension HTTPFrontEnd {
    // MARK: Consent

    func consentPage(_ request: Request, _ pending: PendingAuthorization, _ portal: PortalService)
        async throws -> Response
    {
        guard case .success(let checked) = try await portal.check(pending.parameters),
            let (_, user) = try await portal.session(cookie: cookie(request, Self.ssoCookie))
        else {
            return Self.seeOther(try continuation("/oauth2/authorize", pending, portal))
        }
        return try formPage(request, .ok, formTarget: checked.redirectURI) { csrf in
            PortalPages.consent(
                csrf: csrf, pending: try pending.sealed(with: portal.keyring), clientName: checked.client.name,
                username: user.username, scopes: checked.scopes)
        }
    }

    func consent(_ request: Request, _ portal: PortalService) async throws -> Response {
        let form = try await form(request, ["csrf", "authz", "decision"])
        try checkCSRF(request, form)
        var flow = PortalFlow(pending: try pending(form["authz"], portal))
        let step = try await portal.consent(
            &flow, allowed: form["decision"] == "allow", cookie: cookie(request, Self.ssoCookie))
        return try await answer(step, flow, request, portal)
    }

    func consentsPage(_ request: Request, _ portal: PortalService) async throws -> Response {
        guard let (user, consents) = try await portal.consents(cookie: cookie(request, Self.ssoCookie)) else {
            return Self.seeOther("/ui/login")
        }
        let listed = consents.map { (name: $0.clientName, id: $0.clientID, scopes: $0.scopes.sorted()) }
        return try formPage(request, .ok) { csrf in
            PortalPages.consents(csrf: csrf, username: user.username, consents: listed)
        }
    }

    func clientName(_ pending: PendingAuthorization?, _ portal: PortalService) async throws -> String? {
        guard let id = pending?.parameters.clientID else { return nil }
        return try await portal.clientName(id: id)
    }
}
