import AuthCore
import Hummingbird

/// Sessions (issue #7): refresh-token rotation, logout, the user's own sessions, password change.
extension HTTPFrontEnd {
    func addSessionRoutes(to router: MethodTable) {
        router.post("/token/refresh") { request, _ in
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["refresh_token"])
            return TokenResponse(try await service.sessions.refresh(refreshToken: try body.string("refresh_token")))
        }
        router.post("/logout") { request, _ in
            try await service.sessions.logout(accessToken: try bearerToken(request))
            return HTTPResponse.Status.noContent
        }
        router.post("/logout/all") { request, _ in
            try await service.sessions.logoutAll(accessToken: try bearerToken(request))
            return HTTPResponse.Status.noContent
        }
        router.get("/sessions") { request, _ in
            let listing = try await service.sessions.list(accessToken: try bearerToken(request))
            return SessionListResponse(
                sessions: listing.sessions.map { SessionResponse($0, current: $0.id == listing.current) })
        }
        router.delete("/sessions/:id") { request, context in
            try await service.sessions.end(id: try parameter(context, "id"), accessToken: try bearerToken(request))
            return HTTPResponse.Status.noContent
        }
        router.post("/password") { request, context in
            let token = try bearerToken(request)
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["old_password", "new_password"])
            try await service.sessions.changePassword(
                accessToken: token, currentPassword: try body.string("old_password"),
                newPassword: try body.string("new_password"), source: context.client)
            return HTTPResponse.Status.noContent
        }
    }
}
