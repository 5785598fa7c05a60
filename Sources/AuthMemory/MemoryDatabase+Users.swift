public import AuthCore
import AuthCrypto

extension MemoryDatabase: UserStore {
    public func create(_ user: NewUser) async throws -> User {
        try transaction { tables, now in try tables.insert(user, now: now) }
    }

    public func taken(username: String, email: String) async throws -> (username: Bool, email: Bool) {
        transaction { tables, _ in
            (tables.user(named: username) != nil, tables.users.values.contains { $0.email == email })
        }
    }

    public func find(username: String) async throws -> User? {
        transaction { tables, _ in tables.user(named: username)?.user }
    }

    public func find(id: Int64) async throws -> User? {
        transaction { tables, _ in tables.users[id]?.user }
    }

    @discardableResult
    public func replacePasswordHash(userID: Int64, old: String, new: String) async throws -> Bool {
        transaction { tables, _ in
            guard tables.users[userID]?.passwordHash == old else { return false }
            tables.users[userID]?.passwordHash = new
            return true
        }
    }
}

extension MemoryDatabase: DirectoryStore {
    /// The scheme `users.password_scheme` tags a hash with (sql/0010).
    static func scheme(of hash: String) -> String? {
        hash.hasPrefix("$scrypt$") ? PasswordHasher.schemeName : ImportedHash.scheme(of: hash)?.name
    }

    public func users(matching filter: UserFilter, after: Int64?, limit: Int) async throws -> [User] {
        transaction { tables, _ in
            tables.users.values.filter { row in
                row.id > (after ?? 0) && (filter.role.map { row.roles.contains($0) } ?? true)
                    && (filter.disabled.map { row.disabled == $0 } ?? true)
                    && (filter.usernamePrefix.map { row.username.lowercased().hasPrefix($0.lowercased()) } ?? true)
                    && (filter.hashScheme.map { wanted in
                        let scheme = Self.scheme(of: row.passwordHash)
                        return scheme == wanted
                            || (wanted == UserFilter.importedSchemes && scheme != PasswordHasher.schemeName)
                    } ?? true)
            }
            .sorted { $0.id < $1.id }.prefix(limit).map(\.user)
        }
    }

    public func create(_ user: NewUser, by actor: Actor) async throws -> User {
        try transaction { tables, now in
            let created = try tables.insert(user, now: now)
            tables.audit(
                actor, "user.create", target: "user:\(created.id)",
                ["username": created.username, "roles": created.roles.joined(separator: ",")], now: now)
            return created
        }
    }

    public func invite(
        _ invitation: Invitation, tokenHash: String, lifetime: Int64, messages: [OutboxMessage], by actor: Actor
    ) async throws {
        try transaction { tables, now in
            if tables.users.values.contains(where: { $0.email == invitation.email }) {
                throw AuthError(.emailTaken, "email is already registered")
            }
            guard invitation.roles.allSatisfy({ tables.roles[$0] != nil }) else {
                throw AuthError(.unknownRole, "no such role")
            }
            tables.invitations[tokenHash] = Tables.InvitationRow(
                invitation: invitation, invitedBy: actor.name, expiresAt: now + lifetime * 1000)
            let roles = invitation.roles.joined(separator: ",")
            tables.audit(actor, "user.invite", target: "invitation", ["roles": roles], now: now)
            tables.enqueue(messages, now: now)
        }
    }

    public func invitation(tokenHash: String) async throws -> Invitation? {
        transaction { tables, now in
            tables.invitations[tokenHash].flatMap { $0.usedAt == nil && $0.expiresAt > now ? $0.invitation : nil }
        }
    }

    public func acceptInvitation(tokenHash: String, username: String, passwordHash: String) async throws -> User? {
        try transaction { tables, now in
            guard let row = tables.invitations[tokenHash], row.usedAt == nil, row.expiresAt > now else { return nil }
            var user = try tables.insert(
                NewUser(
                    username: username, email: row.invitation.email, passwordHash: passwordHash,
                    roles: row.invitation.roles), now: now)
            tables.users[user.id]?.emailVerified = true
            user.emailVerified = true
            tables.invitations[tokenHash]?.usedAt = now
            tables.audit(
                .invitee(of: row.invitedBy), "user.create", target: "user:\(user.id)",
                ["username": user.username, "roles": user.roles.joined(separator: ",")], now: now)
            return user
        }
    }

    public func update(userID: Int64, _ change: UserChange, by actor: Actor) async throws -> Changed<User> {
        try transaction { tables, now in
            guard let before = tables.users[userID]?.user else { throw AuthError(.notFound, "no such user") }
            let edit = UserEdit(change, to: before)
            guard !edit.isEmpty else { return Changed(before) }
            try AdminInvariants.check(before, becoming: edit.applied(to: before), enabledAdmins: tables.enabledAdmins)
            if let roles = edit.roles {
                guard roles.allSatisfy({ tables.roles[$0] != nil }) else {
                    throw AuthError(.unknownRole, "no such role")
                }
                tables.users[userID]?.roles = Set(roles)
            }
            if let disabled = edit.disabled { tables.users[userID]?.disabled = disabled }
            if let email = edit.email {
                if tables.users.values.contains(where: { $0.email == email && $0.id != userID }) {
                    throw AuthError(.emailTaken, "email is already registered")
                }
                tables.users[userID]?.email = email
            }
            if let emailVerified = edit.emailVerified { tables.users[userID]?.emailVerified = emailVerified }
            tables.enqueue(edit.messages, now: now)
            var revocations: [Revocation] = []
            if edit.tokens != .keep, let cutOff = tables.cutOff(userID, retention: retention, now: now) {
                revocations = [cutOff]
                if edit.tokens == .cutOffAndEndSessions {
                    revocations += tables.endSessions(of: userID, except: nil, retention: retention, now: now)
                }
            }
            tables.audit(actor, "user.update", target: "user:\(userID)", edit.details, now: now)
            guard let after = tables.users[userID]?.user else { throw AuthError(.notFound, "no such user") }
            return Changed(after, revocations: revocations)
        }
    }

    public func delete(userID: Int64, by actor: Actor) async throws -> Changed<Void> {
        try transaction { tables, now in
            guard let before = tables.users[userID]?.user else { throw AuthError(.notFound, "no such user") }
            try AdminInvariants.check(before, becoming: nil, enabledAdmins: tables.enabledAdmins)
            tables.deleteUser(userID)
            tables.audit(actor, "user.delete", target: "user:\(userID)", ["username": before.username], now: now)
            return Changed((), revocations: [tables.record(retention.deletedUser(userID, at: now / 1000))])
        }
    }

    public func revokeTokens(userID: Int64, by actor: Actor) async throws -> Changed<Void> {
        try transaction { tables, now in
            guard let cutOff = tables.cutOff(userID, retention: retention, now: now) else {
                throw AuthError(.notFound, "no such user")
            }
            let ended = tables.endSessions(of: userID, except: nil, retention: retention, now: now)
            tables.audit(actor, "user.revoke_tokens", target: "user:\(userID)", [:], now: now)
            return Changed((), revocations: [cutOff] + ended)
        }
    }

    public func roles() async throws -> [RoleInfo] {
        transaction { tables, _ in tables.roles.keys.sorted().compactMap { tables.role(named: $0) } }
    }

    public func role(named name: String) async throws -> RoleInfo? {
        transaction { tables, _ in tables.role(named: name) }
    }

    public func create(_ role: RoleInfo, by actor: Actor) async throws -> RoleInfo {
        try transaction { tables, now in
            guard tables.roles[role.name] == nil else { throw AuthError(.roleExists, "a role with this name exists") }
            tables.roles[role.name] = .init(
                description: role.description, builtin: false, permissions: Set(role.permissions))
            tables.audit(
                actor, "role.create", target: "role:\(role.name)",
                ["permissions": role.permissions.joined(separator: ",")], now: now)
            return tables.role(named: role.name) ?? role
        }
    }

    public func deleteRole(named name: String, by actor: Actor) async throws {
        try transaction { tables, now in
            guard let role = tables.role(named: name) else { throw AuthError(.notFound, "no such role") }
            try AdminInvariants.checkDeletable(role)
            if tables.users.values.contains(where: { $0.roles.contains(name) })
                || tables.clients.values.contains(where: { $0.client.roles.contains(name) })
            {
                throw AuthError(.roleInUse, "some accounts or clients still hold this role")
            }
            tables.roles[name] = nil
            tables.audit(actor, "role.delete", target: "role:\(name)", [:], now: now)
        }
    }

    public func grant(_ permission: String, to role: String, by actor: Actor) async throws -> RoleInfo {
        try changePermission(role, action: "role.grant", permission: permission, by: actor) {
            $0.insert(permission).inserted
        }
    }

    public func revoke(_ permission: String, from role: String, by actor: Actor) async throws -> RoleInfo {
        try changePermission(role, action: "role.revoke", permission: permission, by: actor) {
            $0.remove(permission) != nil
        }
    }

    /// Grants and revocations; audited only when they changed something.
    private func changePermission(
        _ name: String, action: String, permission: String, by actor: Actor,
        _ change: (inout Set<String>) -> Bool
    ) throws -> RoleInfo {
        try transaction { tables, now in
            guard tables.roles[name] != nil else { throw AuthError(.notFound, "no such role") }
            if change(&tables.roles[name]!.permissions) {
                tables.audit(actor, action, target: "role:\(name)", ["permission": permission], now: now)
            }
            guard let role = tables.role(named: name) else { throw AuthError(.notFound, "no such role") }
            return role
        }
    }

    public func auditEntries(before: Int64?, limit: Int) async throws -> [AuditEntry] {
        transaction { tables, _ in
            Array(tables.audit.filter { before == nil || $0.id < before! }.reversed().prefix(limit))
        }
    }
}

extension MemoryDatabase: UserImportStore {
    public func roleNames() async throws -> Set<String> {
        transaction { tables, _ in Set(tables.roles.keys) }
    }

    public func importBatch(
        _ rows: [ImportRow], creatingRoles newRoles: [String], source: String, by actor: Actor, dryRun: Bool
    ) async throws -> [ImportOutcome] {
        try transaction { tables, now in
            var scratch = tables
            if !newRoles.isEmpty {
                for role in newRoles where scratch.roles[role] == nil {
                    scratch.roles[role] = .init(description: "", builtin: false, permissions: [])
                }
                scratch.audit(
                    actor, "role.create", target: "roles",
                    ["roles": newRoles.joined(separator: ","), "via": "import"], now: now)
            }
            var imported = 0
            let outcomes = try rows.map { row -> ImportOutcome in
                if let existing = scratch.user(named: row.username) {
                    return existing.email == row.email ? .unchanged : .usernameTaken
                }
                if scratch.users.values.contains(where: { $0.email == row.email }) { return .emailTaken }
                _ = try scratch.insert(
                    NewUser(username: row.username, email: row.email, passwordHash: row.passwordHash, roles: row.roles),
                    disabled: row.disabled, now: now)
                imported += 1
                return .imported
            }
            scratch.audit(
                actor, "user.import", target: "users",
                ["source": source, "rows": String(rows.count), "imported": String(imported)], now: now)
            if !dryRun { tables = scratch }
            return outcomes
        }
    }
}

extension Tables {
    /// Enabled accounts holding the admin role.
    var enabledAdmins: Int {
        users.values.count { $0.roles.contains(Role.admin) && !$0.disabled }
    }

    func role(named name: String) -> RoleInfo? {
        roles[name].map {
            RoleInfo(
                name: name, description: $0.description, builtin: $0.builtin, permissions: $0.permissions.sorted())
        }
    }
}
