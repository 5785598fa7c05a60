import AuthCore
import AuthCrypto
import Foundation
import Hummingbird

/// The admin API (issue #6): users, roles and the audit trail, each route guarded by a permission.
extension HTTPFrontEnd {
    func addAdminRoutes(to router: MethodTable, admin: AdminService) {
        let users = router.group("/admin/users")
        users.get { request, context in
            try await listUsers(request, context, admin)
        }
        users.get("/:id") { request, context in
            let actor = try actor(request, context, .permission(Permission.usersRead))
            return AdminUserResponse(try await admin.user(id: try userID(context), by: actor))
        }
        users.patch("/:id") { request, context in
            let actor = try actor(request, context, .permission(Permission.usersWrite))
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize,
                allowedFields: ["roles", "disabled", "email", "email_verified"])
            let change = UserChange(
                roles: try body.optionalStrings("roles"), disabled: try body.optionalBool("disabled"),
                email: try body.optionalString("email"), emailVerified: try body.optionalBool("email_verified"))
            return AdminUserResponse(try await admin.update(userID: try userID(context), change, by: actor))
        }
        users.delete("/:id") { request, context in
            let actor = try actor(request, context, .permission(Permission.usersWrite))
            try await admin.delete(userID: try userID(context), by: actor)
            return HTTPResponse.Status.noContent
        }
        users.post("/:id/revoke") { request, context in
            let actor = try actor(request, context, .permission(Permission.sessionsRevoke))
            try await admin.revokeTokens(userID: try userID(context), by: actor)
            return HTTPResponse.Status.noContent
        }
        users.post("/:id/mfa/reset") { request, context in
            let actor = try actor(request, context, .permission(Permission.usersWrite))
            try await admin.resetMFA(userID: try userID(context), by: actor)
            return HTTPResponse.Status.noContent
        }

        let roles = router.group("/admin/roles")
        roles.get { request, context in
            let actor = try actor(request, context, .permission(Permission.rolesRead))
            return RoleListResponse(roles: try await admin.roles(by: actor).map(RoleResponse.init))
        }
        roles.post { request, context in
            let actor = try actor(request, context, .permission(Permission.rolesWrite))
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["name", "description", "permissions"])
            let role = try await admin.createRole(
                name: try body.string("name"), description: try body.optionalString("description") ?? "",
                permissions: try body.optionalStrings("permissions") ?? [], by: actor)
            return EditedResponse(status: .created, response: RoleResponse(role))
        }
        roles.get("/:name") { request, context in
            let actor = try actor(request, context, .permission(Permission.rolesRead))
            return RoleResponse(try await admin.role(named: try parameter(context, "name"), by: actor))
        }
        roles.delete("/:name") { request, context in
            let actor = try actor(request, context, .permission(Permission.rolesWrite))
            try await admin.deleteRole(named: try parameter(context, "name"), by: actor)
            return HTTPResponse.Status.noContent
        }
        roles.post("/:name/permissions") { request, context in
            let actor = try actor(request, context, .permission(Permission.rolesWrite))
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["permission"])
            return RoleResponse(
                try await admin.grant(try body.string("permission"), to: try parameter(context, "name"), by: actor))
        }
        roles.delete("/:name/permissions/:permission") { request, context in
            let actor = try actor(request, context, .permission(Permission.rolesWrite))
            return RoleResponse(
                try await admin.revoke(
                    try parameter(context, "permission"), from: try parameter(context, "name"), by: actor))
        }

        router.get("/admin/audit") { request, context in
            let actor = try actor(request, context, .permission(Permission.auditRead))
            let query = try QueryParameters(request, allowed: ["limit", "cursor"])
            let page = try await admin.auditEntries(
                cursor: query.string("cursor"), limit: try query.int("limit"), by: actor)
            return AuditListResponse(entries: page.items.map(AuditEntryResponse.init), nextCursor: page.nextCursor)
        }
    }

    private func listUsers(
        _ request: Request, _ context: AuthRequestContext, _ admin: AdminService
    ) async throws -> UserListResponse {
        let actor = try actor(request, context, .permission(Permission.usersRead))
        let query = try QueryParameters(
            request, allowed: ["limit", "cursor", "role", "disabled", "prefix", "hash_scheme"])
        let filter = UserFilter(
            role: query.string("role"), disabled: try query.bool("disabled"), usernamePrefix: query.string("prefix"),
            hashScheme: query.string("hash_scheme"))
        let page = try await admin.users(
            matching: filter, cursor: query.string("cursor"), limit: try query.int("limit"), by: actor)
        return UserListResponse(users: page.items.map(AdminUserResponse.init), nextCursor: page.nextCursor)
    }

    /// The guard of every protected route: 401 without a valid token, 403 when it lacks `requirement`.
    func actor(_ request: Request, _ context: AuthRequestContext, _ requirement: Requirement) throws -> Actor {
        try service.tokens.actor(accessToken: bearerToken(request), requiring: requirement, source: context.client)
    }

    private func userID(_ context: AuthRequestContext) throws -> Int64 {
        guard let id = Int64(try parameter(context, "id")), id > 0 else {
            throw APIError.badRequest("invalid_input", "user id must be a positive integer")
        }
        return id
    }

    /// A path parameter, percent-decoded (`users%3Aread` is `users:read`).
    func parameter(_ context: AuthRequestContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name), let value = raw.removingPercentEncoding else {
            throw APIError.badRequest("invalid_input", "missing or malformed path parameter \(name)")
        }
        return value
    }
}

/// A request's query string, strict like bodies: only the listed names, each at most once.
struct QueryParameters {
    private let values: [String: String]

    init(_ request: Request, allowed: Set<String>) throws {
        var values: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            let name = String(name)
            guard allowed.contains(name) else {
                throw APIError.badRequest("unknown_parameter", "unknown query parameter '\(name.prefix(64))'")
            }
            guard values.updateValue(String(value), forKey: name) == nil else {
                throw APIError.badRequest("invalid_input", "query parameter '\(name)' is given twice")
            }
        }
        self.values = values
    }

    func string(_ name: String) -> String? { values[name] }

    func int(_ name: String) throws -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text) else {
            throw APIError.badRequest("invalid_input", "query parameter '\(name)' must be an integer")
        }
        return value
    }

    func bool(_ name: String) throws -> Bool? {
        switch values[name] {
        case nil: return nil
        case "true": return true
        case "false": return false
        default: throw APIError.badRequest("invalid_input", "query parameter '\(name)' must be true or false")
        }
    }
}
