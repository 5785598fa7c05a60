import AuthCore
import Testing

@Suite("UserEdit and AdminInvariants: administrative rules without a database")
struct AdminInvariantsTests {
    static func user(roles: [String] = [Role.user], disabled: Bool = false) -> User {
        User(
            id: 7, username: "ann", email: "ann@example.com", passwordHash: "h", roles: roles, mfaEnabled: false,
            disabled: disabled, createdAt: 0)
    }

    @Test("an edit keeps only what changes, audits it without the address, and says what happens to tokens")
    func edits() {
        let before = Self.user()
        let same = UserEdit(UserChange(roles: [Role.user], disabled: false, email: "ann@example.com"), to: before)
        #expect(same.isEmpty && same.details.isEmpty && same.tokens == .keep)

        let roles = UserEdit(UserChange(roles: ["reports", Role.user]), to: before)
        #expect(roles.roles == ["reports", Role.user] && roles.disabled == nil)
        #expect(roles.details == ["roles": "user -> reports,user"])
        #expect(roles.tokens == .cutOff, "a role change refuses old tokens; sessions go on with the new roles")

        let email = UserEdit(UserChange(email: "new@example.com"), to: before)
        #expect(email.details == ["email": "changed"] && email.tokens == .keep)
        #expect(email.applied(to: before).email == "new@example.com")
    }

    @Test("disabling ends the sessions; enabling again brings nothing back and keeps tokens as they are")
    func disable() {
        let disable = UserEdit(UserChange(roles: [Role.admin], disabled: true), to: Self.user())
        #expect(disable.tokens == .cutOffAndEndSessions)
        #expect(disable.details == ["roles": "user -> admin", "disabled": "false -> true"])
        let enable = UserEdit(UserChange(disabled: false), to: Self.user(disabled: true))
        #expect(enable.tokens == .keep && enable.details == ["disabled": "true -> false"])
    }

    @Test("the last enabled admin cannot be demoted, disabled or deleted; with another admin each is allowed")
    func lastAdmin() throws {
        let admin = Self.user(roles: [Role.admin, Role.user])
        let demoted = UserEdit(UserChange(roles: [Role.user]), to: admin).applied(to: admin)
        let disabled = UserEdit(UserChange(disabled: true), to: admin).applied(to: admin)
        for after in [demoted, disabled, nil] as [User?] {
            #expect(throws: AdminInvariants.lastAdmin) {
                try AdminInvariants.check(admin, becoming: after, enabledAdmins: 1)
            }
            try AdminInvariants.check(admin, becoming: after, enabledAdmins: 2)
        }
        let renamed = UserEdit(UserChange(email: "x@example.com"), to: admin).applied(to: admin)
        try AdminInvariants.check(admin, becoming: renamed, enabledAdmins: 1)
    }

    @Test("accounts that are not enabled admins are never held, nor is a database with no admin yet")
    func notAdmins() throws {
        try AdminInvariants.check(Self.user(), becoming: nil, enabledAdmins: 0)
        try AdminInvariants.check(Self.user(), becoming: nil, enabledAdmins: 1)
        let disabledAdmin = Self.user(roles: [Role.admin], disabled: true)
        try AdminInvariants.check(disabledAdmin, becoming: nil, enabledAdmins: 1)
        #expect(!AdminInvariants.isEnabledAdmin(disabledAdmin))
    }

    @Test("built-in roles cannot be deleted, and the admin role's permissions cannot be edited")
    func builtinRoles() throws {
        #expect(throws: AuthError.self) { try AdminInvariants.checkDeletable(RoleInfo(name: Role.user, builtin: true)) }
        try AdminInvariants.checkDeletable(RoleInfo(name: "reports"))
        #expect(throws: AuthError.self) { try AdminInvariants.checkPermissionsEditable(of: Role.admin) }
        try AdminInvariants.checkPermissionsEditable(of: Role.user)
    }
}
