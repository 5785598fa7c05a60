import AuthCore
import AuthCrypto
import AuthTestSupport
import Testing

/// What every store case starts from: a stack on `backing` and the helpers the cases share. Each
/// case runs once on PostgreSQL and once in memory (`arguments: TestStack.Backing.allCases`):
/// the two implementations give the same answers or one of these fails.
enum Contract {
    static let actor = TestStack.testOperator
    /// A stored hash of authd's own scheme (the stores never check it; PostgreSQL tags it).
    static let hash = "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
    static let otherHash = "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHQ$b3RoZXJoYXNoaGFzaA"

    static func withStack(_ backing: TestStack.Backing, _ body: (TestStack) async throws -> Void) async throws {
        let stack = try await TestStack(backing: backing)
        do {
            try await body(stack)
        } catch {
            await stack.shutdown()
            throw error
        }
        await stack.shutdown()
    }

    /// A new account with a unique name and `hash`.
    static func user(_ stack: TestStack, roles: [String] = [Role.user], hash: String = hash) async throws -> User {
        let name = TestDatabase.uniqueName("c")
        return try await stack.users.create(
            NewUser(username: name, email: "\(name)@example.com", passwordHash: hash, roles: roles))
    }

    /// A live session of `user` with refresh token hash `token`.
    static func session(_ stack: TestStack, of user: User, token: String, client: String? = nil) async throws
        -> String
    {
        let id = TestDatabase.uniqueName("s")
        let created = try await stack.sessions.create(
            NewSession(
                id: id, userID: user.id, tokenHash: token, lifetime: 3600, clientAddress: "192.0.2.1",
                userAgent: "contract", clientID: client, scope: client == nil ? nil : "openid"),
            passwordHash: user.passwordHash)
        #expect(created?.id == user.id)
        return id
    }

    /// A confidential client with the code grant.
    static func client(_ stack: TestStack, roles: [String] = []) async throws -> OAuthClient {
        try await stack.clients.create(
            NewClient(
                id: TestDatabase.uniqueName("k"), grantTypes: [.authorizationCode, .refreshToken],
                scopes: ["openid"], redirectURIs: ["https://rp.example/cb"], roles: roles),
            secretHash: hash, by: actor)
    }

    /// A stored hash of `text`: 64 hex digits, as codes and SSO cookies are kept.
    static func digest(_ text: String) throws -> String {
        try Digest.sha256Hex(Array(text.utf8))
    }

    /// The audit entries about `target`, newest first (other tests write to the shared database).
    static func audit(_ stack: TestStack, target: String) async throws -> [AuditEntry] {
        try await stack.directory.auditEntries(before: nil, limit: 500).filter { $0.target == target }
    }

    /// The AuthError code `call` failed with; nil when it succeeded.
    static func code<T>(_ call: () async throws -> T) async -> AuthError.Code? {
        do {
            _ = try await call()
            return nil
        } catch {
            return (error as? AuthError)?.code ?? .internal
        }
    }
}

@Suite("store contract: users, directory and import")
struct UserStoreContractTests {
    @Test(
        "names are unique in any case, e-mails exactly; lookups ignore case; a hash is replaced only from the one read",
        arguments: TestStack.Backing.allCases)
    func users(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let user = try await Contract.user(stack)
            #expect(user.roles == [Role.user] && !user.disabled && !user.mfaEnabled && user.notBefore == nil)
            #expect(try await stack.users.find(username: user.username.uppercased())?.id == user.id)
            #expect(try await stack.users.find(id: user.id)?.email == user.email)
            #expect(try await stack.users.find(id: user.id + 100_000) == nil)
            #expect(try await stack.users.find(username: "nobody-\(user.username)") == nil)
            let taken = try await stack.users.taken(username: user.username.uppercased(), email: "x\(user.email)")
            #expect(taken.username && !taken.email)
            let again = NewUser(
                username: user.username.uppercased(), email: "y\(user.email)", passwordHash: Contract.hash,
                roles: [Role.user])
            #expect(await Contract.code { try await stack.users.create(again) } == .usernameTaken)
            let sameMail = NewUser(
                username: "z\(user.username)", email: user.email, passwordHash: Contract.hash, roles: [Role.user])
            #expect(await Contract.code { try await stack.users.create(sameMail) } == .emailTaken)
            let badRole = NewUser(
                username: "r\(user.username)", email: "r\(user.email)", passwordHash: Contract.hash,
                roles: ["no-such-role"])
            #expect(await Contract.code { try await stack.users.create(badRole) } == .unknownRole)
            #expect(try await stack.users.find(username: badRole.username) == nil, "nothing half-written")
            #expect(
                !(try await stack.users.replacePasswordHash(userID: user.id, old: "other", new: Contract.otherHash)))
            #expect(
                try await stack.users.replacePasswordHash(userID: user.id, old: Contract.hash, new: Contract.otherHash))
            #expect(try await stack.users.find(id: user.id)?.passwordHash == Contract.otherHash)
        }
    }

    @Test(
        "an edit changes, audits and cuts off as UserEdit says; the last admin stays; a delete takes the sessions with it",
        arguments: TestStack.Backing.allCases)
    func directory(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let admin = try await Contract.user(stack, roles: [Role.admin, Role.user])
            let user = try await Contract.user(stack)
            let session = try await Contract.session(stack, of: user, token: "t-\(user.id)")
            let promoted = try await stack.directory.update(
                userID: user.id, UserChange(roles: [Role.admin, Role.user]), by: Contract.actor)
            #expect(promoted.value.roles == [Role.admin, Role.user])
            #expect(promoted.revocations.map(\.kind) == [.user], "a role change cuts off the tokens only")
            let disabled = try await stack.directory.update(
                userID: user.id, UserChange(disabled: true), by: Contract.actor)
            #expect(disabled.value.disabled)
            #expect(Set(disabled.revocations.map(\.kind)) == [.user, .session], "a disable ends the sessions too")
            #expect(try await stack.sessions.sessions(of: user.id).isEmpty)
            #expect(disabled.revocations.contains { $0.kind == .session && $0.subject == session })
            #expect(
                await Contract.code {
                    try await stack.directory.update(
                        userID: user.id, UserChange(email: admin.email), by: Contract.actor)
                } == .emailTaken)
            let unchanged = try await stack.directory.update(userID: user.id, UserChange(), by: Contract.actor)
            #expect(unchanged.revocations.isEmpty)
            let audit = try await Contract.audit(stack, target: "user:\(user.id)")
            #expect(audit.map(\.action) == ["user.update", "user.update"], "newest first, one per change")
            #expect(audit.first?.details["disabled"] == "false -> true")
            let older = try await stack.directory.auditEntries(before: audit[0].id, limit: 500)
            #expect(older.first?.id ?? 0 < audit[0].id && older.contains { $0.id == audit[1].id })

            let deleted = try await stack.directory.delete(userID: user.id, by: Contract.actor)
            #expect(deleted.revocations.map(\.cutOff) == [.max])
            #expect(try await stack.users.find(id: user.id) == nil)
            #expect(
                await Contract.code { try await stack.directory.delete(userID: user.id, by: Contract.actor) }
                    == .notFound)
            #expect(try await stack.sessions.owner(ofRefreshTokenHash: "t-\(user.id)") == nil, "cascaded")
        }
    }

    @Test("the last enabled admin can be neither demoted, disabled nor deleted", arguments: TestStack.Backing.allCases)
    func lastAdmin(_ backing: TestStack.Backing) async throws {
        // A database of its own: the last admin of the shared test database is anybody's guess.
        let url = backing == .postgres ? try TestDatabase.freshMigratedURL() : nil
        let stack = try await TestStack(backing: backing, databaseURL: url)
        let admin = try await Contract.user(stack, roles: [Role.admin])
        #expect(
            await Contract.code {
                try await stack.directory.update(userID: admin.id, UserChange(roles: [Role.user]), by: Contract.actor)
            } == .lastAdmin)
        #expect(
            await Contract.code {
                try await stack.directory.update(userID: admin.id, UserChange(disabled: true), by: Contract.actor)
            } == .lastAdmin)
        #expect(
            await Contract.code { try await stack.directory.delete(userID: admin.id, by: Contract.actor) } == .lastAdmin
        )
        #expect(try await stack.users.find(id: admin.id)?.roles == [Role.admin])
        await stack.shutdown()
    }

    @Test(
        "roles: created once, granted and revoked (audited when something changed), deleted only when unused",
        arguments: TestStack.Backing.allCases)
    func roles(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let name = TestDatabase.uniqueName("role")
            let role = try await stack.directory.create(
                RoleInfo(name: name, description: "d", permissions: ["a:b"]), by: Contract.actor)
            #expect(role.permissions == ["a:b"] && !role.builtin)
            #expect(
                await Contract.code { try await stack.directory.create(RoleInfo(name: name), by: Contract.actor) }
                    == .roleExists)
            #expect(try await stack.directory.grant("c:d", to: name, by: Contract.actor).permissions == ["a:b", "c:d"])
            let before = try await Contract.audit(stack, target: "role:\(name)")
            #expect(before.map(\.action) == ["role.grant", "role.create"])
            _ = try await stack.directory.grant("c:d", to: name, by: Contract.actor)
            #expect(try await Contract.audit(stack, target: "role:\(name)") == before, "a no-op is not audited")
            #expect(try await stack.directory.revoke("a:b", from: name, by: Contract.actor).permissions == ["c:d"])
            #expect(
                await Contract.code { try await stack.directory.grant("x:y", to: "no-\(name)", by: Contract.actor) }
                    == .notFound)
            #expect(try await stack.directory.roles().contains { $0.name == Role.admin && $0.builtin })
            let holder = try await Contract.user(stack, roles: [name])
            #expect(
                await Contract.code { try await stack.directory.deleteRole(named: name, by: Contract.actor) }
                    == .roleInUse)
            _ = try await stack.directory.delete(userID: holder.id, by: Contract.actor)
            try await stack.directory.deleteRole(named: name, by: Contract.actor)
            #expect(try await stack.directory.role(named: name) == nil)
            #expect(
                await Contract.code { try await stack.directory.deleteRole(named: Role.user, by: Contract.actor) }
                    == .builtinRole)
        }
    }

    @Test(
        "an import batch: new rows imported, a rerun unchanged, conflicts named; a dry run writes nothing",
        arguments: TestStack.Backing.allCases)
    func importBatch(_ backing: TestStack.Backing) async throws {
        try await Contract.withStack(backing) { stack in
            let existing = try await Contract.user(stack)
            let name = TestDatabase.uniqueName("i")
            let role = TestDatabase.uniqueName("irole")
            func row(_ username: String, _ email: String, roles: [String] = [Role.user]) -> ImportRow {
                ImportRow(
                    line: 1, username: username, email: email, passwordHash: Contract.hash, roles: roles,
                    disabled: false, mfa: false)
            }
            let rows = [
                row(name, "\(name)@example.com", roles: [Role.user, role]),
                row(existing.username.uppercased(), existing.email), row(existing.username, "other-\(existing.email)"),
                row("m\(name)", existing.email),
            ]
            let importer = stack.stores.importer
            let dry = try await importer.importBatch(
                rows, creatingRoles: [role], source: "contract", by: Contract.actor, dryRun: true)
            #expect(dry == [.imported, .unchanged, .usernameTaken, .emailTaken])
            #expect(try await stack.users.find(username: name) == nil)
            #expect(!(try await importer.roleNames().contains(role)))
            let real = try await importer.importBatch(
                rows, creatingRoles: [role], source: "contract", by: Contract.actor, dryRun: false)
            #expect(real == dry)
            #expect(try await stack.users.find(username: name)?.roles == [role, Role.user].sorted())
            let again = try await importer.importBatch(
                Array(rows.prefix(1)), creatingRoles: [], source: "contract", by: Contract.actor, dryRun: false)
            #expect(again == [.unchanged])
            let audit = try await Contract.audit(stack, target: "users").filter { $0.details["source"] == "contract" }
            #expect(
                audit.map { $0.details["imported"] }.prefix(2) == ["0", "1"], "the dry run's audit row went with it")
        }
    }
}
