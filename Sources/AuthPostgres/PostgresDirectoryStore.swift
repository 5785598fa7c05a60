public import AuthCore
import AuthCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `DirectoryStore` on `users`, `user_roles`, `roles`, `role_permissions` and `audit_log`. Each
/// change runs in one transaction with its audit row, carrying out what `UserEdit` and
/// `AdminInvariants` decide. Changes that can take the admin role away first lock the admin role's
/// row and count the admins under it, so two of them never both see "another admin remains".
public struct PostgresDirectoryStore: DirectoryStore {
    let pool: PostgresPool
    let retention: RetentionPolicy

    public init(pool: PostgresPool, retention: RetentionPolicy) {
        self.pool = pool
        self.retention = retention
    }

    /// Cuts off the user's tokens; with `endingSessions`, their refresh tokens stop working too.
    private func cutOffTokens(
        of userID: Int64, endingSessions: Bool, on connection: PostgresConnection
    ) throws -> [Revocation]? {
        guard let cutOff = try PostgresRevocations.cutOff(userID, retention: retention, on: connection) else {
            return nil
        }
        guard endingSessions else { return [cutOff] }
        return [cutOff]
            + (try PostgresRevocations.endSessions(of: userID, except: nil, retention: retention, on: connection))
    }

    // MARK: Users

    public func users(matching filter: UserFilter, after: Int64?, limit: Int) async throws -> [User] {
        try await pool.run { connection in
            try connection.query(
                """
                SELECT \(PostgresUserStore.columns) FROM users u
                WHERE u.id > $1
                  AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $2))
                  AND ($3::boolean IS NULL OR u.disabled = $3)
                  AND ($4::text IS NULL OR starts_with(lower(u.username), lower($4)))
                  AND ($5::text IS NULL OR u.password_scheme = $5
                       OR ($5 = '\(UserFilter.importedSchemes)' AND u.password_scheme <> '\(PasswordHasher.schemeName)'))
                ORDER BY u.id LIMIT $6
                """,
                [
                    String(after ?? 0), filter.role, filter.disabled.map { $0 ? "true" : "false" },
                    filter.usernamePrefix, filter.hashScheme, String(limit),
                ]
            ).rows.map(PostgresUserStore.user(from:))
        }
    }

    /// How many stored hashes each imported scheme still has; schemes with none are absent. Read
    /// through the partial index sql/0010 keeps over the imported ones.
    public func importedHashCounts() async throws -> [String: Int] {
        try await pool.run { connection in
            var counts: [String: Int] = [:]
            for row in try connection.query(
                "SELECT password_scheme, count(*) AS n FROM users WHERE password_scheme <> $1 GROUP BY 1",
                [PasswordHasher.schemeName]
            ).rows {
                counts[try row.string("password_scheme")] = Int(try row.int64("n"))
            }
            return counts
        }
    }

    public func create(_ user: NewUser, by actor: Actor) async throws -> User {
        try await pool.run { connection in
            try connection.transaction {
                let created = try PostgresUserStore.insert(user, on: connection)
                try Self.audit(
                    actor, "user.create", target: "user:\(created.id)",
                    ["username": created.username, "roles": created.roles.joined(separator: ",")], on: connection)
                return created
            }
        }
    }

    public func invite(
        _ invitation: Invitation, tokenHash: String, lifetime: Int64, messages: [OutboxMessage], by actor: Actor
    ) async throws {
        let roles = invitation.roles.joined(separator: ",")
        try await pool.run { connection in
            try connection.transaction {
                let found = try connection.query(
                    """
                    SELECT EXISTS (SELECT 1 FROM users WHERE email = $1) AS taken,
                        (SELECT count(*) FROM roles WHERE name = ANY (string_to_array($2, ','))) AS known
                    """, [invitation.email, roles]
                ).single()
                if try found.bool("taken") { throw AuthError(.emailTaken, "email is already registered") }
                guard try found.int64("known") == invitation.roles.count else {
                    throw AuthError(.unknownRole, "no such role")
                }
                try connection.query(
                    """
                    INSERT INTO invitations (token_hash, email, roles, invited_by, expires_at)
                    VALUES ($1, $2, $3, $4, now() + $5::bigint * interval '1 second')
                    """, [tokenHash, invitation.email, roles, actor.name, String(lifetime)])
                try Self.audit(actor, "user.invite", target: "invitation", ["roles": roles], on: connection)
                try PostgresOutboxStore.insert(messages, on: connection)
            }
        }
    }

    public func invitation(tokenHash: String) async throws -> Invitation? {
        try await pool.run { connection in
            try connection.query(
                "SELECT email, roles FROM invitations WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()",
                [tokenHash]
            ).rows.first.map { row in
                Invitation(
                    email: try row.string("email"),
                    roles: try row.string("roles").split(separator: ",").map(String.init))
            }
        }
    }

    public func acceptInvitation(tokenHash: String, username: String, passwordHash: String) async throws -> User? {
        try await pool.run { connection in
            try connection.transaction {
                guard
                    let invitation = try connection.query(
                        """
                        SELECT email, roles, invited_by FROM invitations
                        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() FOR UPDATE
                        """, [tokenHash]
                    ).rows.first
                else { return nil }
                var user = try PostgresUserStore.insert(
                    NewUser(
                        username: username, email: try invitation.string("email"), passwordHash: passwordHash,
                        roles: try invitation.string("roles").split(separator: ",").map(String.init)),
                    on: connection)
                try connection.query("UPDATE users SET email_verified = true WHERE id = $1", [String(user.id)])
                user.emailVerified = true
                try connection.query(
                    "UPDATE invitations SET used_at = now(), user_id = $2 WHERE token_hash = $1",
                    [tokenHash, String(user.id)])
                try Self.audit(
                    .invitee(of: try invitation.string("invited_by")), "user.create", target: "user:\(user.id)",
                    ["username": user.username, "roles": user.roles.joined(separator: ",")], on: connection)
                return user
            }
        }
    }

    public func update(userID: Int64, _ change: UserChange, by actor: Actor) async throws -> Changed<User> {
        try await pool.run { connection in
            try connection.transaction {
                let admins = try Self.lockAdmins(on: connection)
                guard let before = try PostgresUserStore.find(id: userID, forUpdate: true, on: connection) else {
                    throw AuthError(.notFound, "no such user")
                }
                let edit = UserEdit(change, to: before)
                guard !edit.isEmpty else { return Changed(before) }
                try AdminInvariants.check(before, becoming: edit.applied(to: before), enabledAdmins: admins)
                let id = String(userID)
                if let roles = edit.roles {
                    try connection.query("DELETE FROM user_roles WHERE user_id = $1", [id])
                    try Self.mapping(foreignKey: AuthError(.unknownRole, "no such role")) {
                        try connection.query(
                            "INSERT INTO user_roles (user_id, role) SELECT $1, unnest(string_to_array($2, ','))",
                            [id, roles.joined(separator: ",")])
                    }
                }
                if let disabled = edit.disabled {
                    try connection.query(
                        "UPDATE users SET disabled = $2 WHERE id = $1", [id, disabled ? "true" : "false"])
                }
                if let email = edit.email {
                    do {
                        try connection.query("UPDATE users SET email = $2 WHERE id = $1", [id, email])
                    } catch let error as PostgresError where error.isUniqueViolation {
                        throw AuthError(.emailTaken, "email is already registered")
                    }
                }
                if let emailVerified = edit.emailVerified {
                    try connection.query(
                        "UPDATE users SET email_verified = $2 WHERE id = $1", [id, emailVerified ? "true" : "false"])
                }
                try connection.query("UPDATE users SET updated_at = now() WHERE id = $1", [id])
                try PostgresOutboxStore.insert(edit.messages, on: connection)
                let revocations: [Revocation]
                switch edit.tokens {
                case .keep: revocations = []
                case .cutOff: revocations = try cutOffTokens(of: userID, endingSessions: false, on: connection) ?? []
                case .cutOffAndEndSessions:
                    revocations = try cutOffTokens(of: userID, endingSessions: true, on: connection) ?? []
                }
                try Self.audit(actor, "user.update", target: "user:\(userID)", edit.details, on: connection)
                guard let after = try PostgresUserStore.find(id: userID, on: connection) else {
                    throw AuthError(.notFound, "no such user")
                }
                return Changed(after, revocations: revocations)
            }
        }
    }

    public func delete(userID: Int64, by actor: Actor) async throws -> Changed<Void> {
        try await pool.run { connection in
            try connection.transaction {
                let admins = try Self.lockAdmins(on: connection)
                guard let before = try PostgresUserStore.find(id: userID, forUpdate: true, on: connection) else {
                    throw AuthError(.notFound, "no such user")
                }
                try AdminInvariants.check(before, becoming: nil, enabledAdmins: admins)
                let now = try connection.query(
                    "DELETE FROM users WHERE id = $1 RETURNING extract(epoch FROM now())::bigint AS now",
                    [String(userID)]
                ).single().int64("now")
                try Self.audit(
                    actor, "user.delete", target: "user:\(userID)", ["username": before.username], on: connection)
                let revocation = try PostgresRevocations.record(
                    retention.deletedUser(userID, at: now),
                    on: connection)
                return Changed((), revocations: [revocation])
            }
        }
    }

    public func revokeTokens(userID: Int64, by actor: Actor) async throws -> Changed<Void> {
        try await pool.run { connection in
            try connection.transaction {
                guard let revocations = try cutOffTokens(of: userID, endingSessions: true, on: connection) else {
                    throw AuthError(.notFound, "no such user")
                }
                try Self.audit(actor, "user.revoke_tokens", target: "user:\(userID)", [:], on: connection)
                return Changed((), revocations: revocations)
            }
        }
    }

    /// Locks the admin role (serialising every change that can remove an admin, on every
    /// instance) and counts the enabled accounts holding it.
    private static func lockAdmins(on connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT 1 FROM roles WHERE name = $1 FOR UPDATE", [Role.admin])
        return Int(
            try connection.query(
                """
                SELECT count(*) AS admins FROM user_roles r JOIN users u ON u.id = r.user_id
                WHERE r.role = $1 AND NOT u.disabled
                """, [Role.admin]
            ).single().int64("admins"))
    }

    // MARK: Roles

    static let roleColumns = """
        r.name, r.description, r.builtin,
        (SELECT coalesce(string_agg(p.permission, ',' ORDER BY p.permission), '') FROM role_permissions p
         WHERE p.role = r.name) AS permissions
        """

    public func roles() async throws -> [RoleInfo] {
        try await pool.run { connection in
            try connection.query("SELECT \(Self.roleColumns) FROM roles r ORDER BY r.name").rows.map(Self.role(from:))
        }
    }

    public func role(named name: String) async throws -> RoleInfo? {
        try await pool.run { connection in try Self.role(named: name, on: connection) }
    }

    public func create(_ role: RoleInfo, by actor: Actor) async throws -> RoleInfo {
        try await pool.run { connection in
            try connection.transaction {
                do {
                    try connection.query(
                        "INSERT INTO roles (name, description) VALUES ($1, $2)", [role.name, role.description])
                } catch let error as PostgresError where error.isUniqueViolation {
                    throw AuthError(.roleExists, "a role with this name exists")
                }
                try connection.query(
                    "INSERT INTO role_permissions (role, permission) SELECT $1, unnest(string_to_array($2, ','))",
                    [role.name, role.permissions.joined(separator: ",")])
                try Self.audit(
                    actor, "role.create", target: "role:\(role.name)",
                    ["permissions": role.permissions.joined(separator: ",")], on: connection)
                try PostgresRevocations.announceRoleChange(on: connection)
                return try Self.role(named: role.name, on: connection) ?? role
            }
        }
    }

    public func deleteRole(named name: String, by actor: Actor) async throws {
        try await pool.run { connection in
            try connection.transaction {
                try AdminInvariants.checkDeletable(try Self.lockRole(name, on: connection))
                try Self.mapping(foreignKey: AuthError(.roleInUse, "some accounts or clients still hold this role")) {
                    try connection.query("DELETE FROM roles WHERE name = $1", [name])
                }
                try Self.audit(actor, "role.delete", target: "role:\(name)", [:], on: connection)
                try PostgresRevocations.announceRoleChange(on: connection)
            }
        }
    }

    public func grant(_ permission: String, to role: String, by actor: Actor) async throws -> RoleInfo {
        try await changePermission(
            role, action: "role.grant", permission: permission, by: actor,
            sql: "INSERT INTO role_permissions (role, permission) VALUES ($1, $2) ON CONFLICT DO NOTHING")
    }

    public func revoke(_ permission: String, from role: String, by actor: Actor) async throws -> RoleInfo {
        try await changePermission(
            role, action: "role.revoke", permission: permission, by: actor,
            sql: "DELETE FROM role_permissions WHERE role = $1 AND permission = $2")
    }

    /// Grants and revocations; audited only when they changed something.
    private func changePermission(
        _ name: String, action: String, permission: String, by actor: Actor, sql: String
    ) async throws -> RoleInfo {
        try await pool.run { connection in
            try connection.transaction {
                _ = try Self.lockRole(name, on: connection)
                if try connection.query(sql, [name, permission]).affectedRows > 0 {
                    try Self.audit(actor, action, target: "role:\(name)", ["permission": permission], on: connection)
                    try PostgresRevocations.announceRoleChange(on: connection)
                }
                guard let role = try Self.role(named: name, on: connection) else {
                    throw AuthError(.notFound, "no such role")
                }
                return role
            }
        }
    }

    private static func lockRole(_ name: String, on connection: PostgresConnection) throws -> RoleInfo {
        guard
            let row = try connection.query(
                "SELECT \(roleColumns) FROM roles r WHERE r.name = $1 FOR UPDATE", [name]
            ).rows.first
        else { throw AuthError(.notFound, "no such role") }
        return try role(from: row)
    }

    private static func role(named name: String, on connection: PostgresConnection) throws -> RoleInfo? {
        try connection.query("SELECT \(roleColumns) FROM roles r WHERE r.name = $1", [name]).rows.first.map(role(from:))
    }

    private static func role(from row: PostgresRow) throws -> RoleInfo {
        RoleInfo(
            name: try row.string("name"), description: try row.string("description"), builtin: try row.bool("builtin"),
            permissions: try row.string("permissions").split(separator: ",").map(String.init))
    }

    // MARK: Audit

    public func auditEntries(before: Int64?, limit: Int) async throws -> [AuditEntry] {
        try await pool.run { connection in
            try connection.query(
                """
                SELECT id, extract(epoch FROM at)::bigint AS at, actor_id, actor, source, action, target,
                    details::text AS details
                FROM audit_log WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2
                """, [before.map(String.init), String(limit)]
            ).rows.map { row in
                AuditEntry(
                    id: try row.int64("id"), at: try row.int64("at"),
                    actorID: try row.optionalInt64("actor_id"), actor: try row.string("actor"),
                    source: try row.string("source"), action: try row.string("action"),
                    target: try row.string("target"),
                    details: (try? JSONDecoder().decode(
                        [String: String].self, from: Data(try row.string("details").utf8))) ?? [:])
            }
        }
    }

    static func audit(
        _ actor: Actor, _ action: String, target: String, _ details: [String: String],
        on connection: PostgresConnection
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(details), as: UTF8.self)
        try connection.query(
            """
            INSERT INTO audit_log (actor_id, actor, source, action, target, details)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            """, [actor.id.map(String.init), actor.name, actor.source, action, target, json])
    }

    /// Runs one statement, reporting a foreign-key violation as `error`.
    private static func mapping(foreignKey error: AuthError, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as PostgresError where failure.isForeignKeyViolation {
            throw error
        }
    }
}
