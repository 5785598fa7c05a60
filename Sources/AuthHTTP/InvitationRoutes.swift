import AuthCore
import Hummingbird

/// Invitations (#35): `POST /admin/invitations` {email, roles?} (`users:write`) mails a link;
/// `POST /invitations/accept` {token, username, password} and the portal's `/ui/invitation?token=…`
/// make the account. Without mail the admin route answers 503 `mail_unavailable`.
extension HTTPFrontEnd {
    func addInvitationRoutes(to router: MethodTable, admin: AdminService) {
        router.post("/admin/invitations") { request, context in
            let actor = try actor(request, context, .permission(Permission.usersWrite))
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["email", "roles"])
            let email = try body.string("email")
            let roles = try body.optionalStrings("roles") ?? [Role.user]
            let expiresAt = try await admin.invite(email: email, roles: roles, by: actor)
            return EditedResponse(
                status: .created, response: InvitationResponse(email: email, roles: roles, expiresAt: expiresAt))
        }
        router.post("/invitations/accept") { request, _ in
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["token", "username", "password"])
            let user = try await admin.acceptInvitation(
                token: try body.string("token"), username: try body.string("username"),
                password: try body.string("password"))
            return EditedResponse(status: .created, response: RegisteredResponse(user: ProfileResponse(user.profile)))
        }
        guard portal != nil else { return }
        router.get("/ui/invitation") { request, _ in
            await portalAnswer {
                let token = try query(request, ["token"])["token"] ?? ""
                return try formPage(request, .ok) { PortalPages.invitation(csrf: $0, token: token, error: nil) }
            }
        }
        router.post("/ui/invitation") { request, _ in
            await portalAnswer {
                let form = try await form(request, ["csrf", "token", "username", "new_password", "confirm"])
                try checkCSRF(request, form)
                let token = form["token"] ?? ""
                func again(_ message: String) throws -> Response {
                    try formPage(request, .unprocessableContent) {
                        PortalPages.invitation(csrf: $0, token: token, error: message)
                    }
                }
                guard form["new_password"] == form["confirm"] else { return try again("The two passwords differ.") }
                do {
                    _ = try await admin.acceptInvitation(
                        token: token, username: form["username"] ?? "", password: form["new_password"] ?? "")
                } catch let error as AuthError
                    where [.weakPassword, .invalidInput, .usernameTaken].contains(error.code)
                {
                    return try again(PortalPages.capitalised(error.message) + ".")
                } catch let error as AuthError where error.code == .invalidInvitation || error.code == .emailTaken {
                    throw PortalRefusal.page(
                        .badRequest,
                        "This invitation is used, expired or unknown. Ask whoever invited you for a new one.")
                }
                return html(.created, PortalPages.invitationAccepted())
            }
        }
    }
}

struct InvitationResponse: ResponseEncodable {
    let email: String
    let roles: [String]
    let expiresAt: Int64

    enum CodingKeys: String, CodingKey {
        case email, roles
        case expiresAt = "expires_at"
    }
}
