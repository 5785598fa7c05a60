import AuthCore
import Hummingbird

/// A user's OAuth consents over the JSON API, with their own access token (the portal's
/// `/ui/consents` page is the browser's way): `GET /consents` lists them, `DELETE
/// /consents/{client_id}` withdraws one, so the client asks again at its next sign-in. Its
/// tokens are not revoked: that is `DELETE /sessions/{id}` or `/logout/all`.
extension HTTPFrontEnd {
    func addConsentRoutes(to router: MethodTable, portal: PortalService) {
        router.get("/consents") { request, _ in
            ConsentListResponse(
                consents: try await portal.consents(accessToken: try bearerToken(request)).map(ConsentResponse.init))
        }
        router.delete("/consents/:client_id") { request, context in
            try await portal.revokeConsent(
                clientID: try parameter(context, "client_id"), accessToken: try bearerToken(request))
            return HTTPResponse.Status.noContent
        }
    }
}

struct ConsentResponse: Encodable {
    let clientID: String
    let clientName: String
    /// Sorted.
    let scopes: [String]

    init(_ consent: Consent) {
        clientID = consent.clientID
        clientName = consent.clientName
        scopes = consent.scopes.sorted()
    }

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", clientName = "client_name", scopes
    }
}

struct ConsentListResponse: ResponseEncodable {
    let consents: [ConsentResponse]
}
