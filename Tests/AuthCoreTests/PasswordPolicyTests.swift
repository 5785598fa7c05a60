import AuthCore
import AuthTestSupport
import Testing

@Suite("password policy and identity rules")
struct PasswordPolicyTests {
    let policy = PasswordPolicy(commonPasswords: TestStack.commonPasswords)

    @Test("the shipped list holds 30,000 common passwords")
    func shippedList() {
        let list = TestStack.commonPasswords
        #expect(list.count == 30_000)
        #expect(list.contains("password"))
        #expect(list.contains("PassWord1"), "case-insensitive")
        #expect(!list.contains("correct horse battery staple 42"))
        #expect(CommonPasswords.none.count == 0 && !CommonPasswords.none.contains("password"))
    }

    @Test(
        "weak passwords are refused",
        arguments: [
            "", "short", "1234567", "password", "12345678", "iloveyou", "Qwertyuiop",
            String(repeating: "x", count: 1025),
        ])
    func refused(_ password: String) {
        #expect {
            try policy.check(password)
        } throws: { error in
            (error as? AuthError)?.code == .weakPassword
        }
    }

    @Test("no composition rules: long lower-case passphrases and 1024-byte passwords pass")
    func accepted() throws {
        try policy.check("correct horse battery staple")
        try policy.check(String(repeating: "ab", count: 512))
        try policy.check("ünïcödé-pässwörd")
    }

    @Test("the minimum length is configurable")
    func minimum() throws {
        let strict = PasswordPolicy(minimumLength: 16)
        #expect(throws: AuthError.self) { try strict.check("fifteen chars!!") }
        try strict.check("sixteen chars!!!")
    }

    @Test(
        "usernames: 3 to 64 safe characters",
        arguments: ["ab", "-abc", "a b", "a\tb", "ålice", "a/b", String(repeating: "a", count: 65), ""])
    func badUsernames(_ name: String) {
        #expect(throws: AuthError.self) { try Identity.validUsername(name) }
    }

    @Test("valid usernames keep their case")
    func goodUsernames() throws {
        #expect(try Identity.validUsername("Alice.Smith-2_x") == "Alice.Smith-2_x")
    }

    @Test("emails are trimmed and lower-cased; bad ones refused")
    func emails() throws {
        #expect(try Identity.normalisedEmail("  Alice@Example.COM ") == "alice@example.com")
        for bad in [
            "", "alice", "@example.com", "alice@", "alice@example", "a@b@c.d", "a b@c.de", "alice@example..com",
            "a@.com",
        ] {
            #expect(throws: AuthError.self, "\(bad)") { try Identity.normalisedEmail(bad) }
        }
    }

    @Test("e-mail rules apply to Unicode scalars, as the OpenAPI schema's pattern and maxLength do")
    func emailScalars() throws {
        // A dot or an @ carrying a combining mark is one grapheme, but still a dot or an @.
        #expect(try Identity.normalisedEmail("a@b.\u{301}c") == "a@b.\u{301}c")
        #expect(try Identity.normalisedEmail(" \u{301}a@b.c") == "\u{301}a@b.c", "trimming stops at the space")
        #expect(throws: AuthError.self) { try Identity.normalisedEmail("a@\u{301}b.c@d.e") }
        // 254 characters is the limit however many bytes they take.
        let local = String(repeating: "é", count: 249)
        #expect(try Identity.normalisedEmail(local + "@b.cd") == local + "@b.cd")
        #expect(throws: AuthError.self) { try Identity.normalisedEmail(local + "x@b.cd") }
    }

    @Test("stored free text is clipped by Unicode scalars and loses NUL characters")
    func storableText() {
        #expect(
            Identity.storable(String(repeating: "e\u{301}", count: 200), maximumScalars: 256).unicodeScalars.count
                == 256)
        #expect(Identity.storable("a\u{0}b\u{0}c", maximumScalars: 2) == "ab")
        #expect(Identity.storable("short", maximumScalars: 256) == "short")
    }
}

@Suite("delegation: nobody grants what they do not hold")
struct DelegationTests {
    @Test(
        "role changes and account management",
        arguments: [
            (["helpdesk"], ["user"], ["user", "admin"], false),
            (["helpdesk"], ["user"], ["user", "helpdesk"], true),
            (["helpdesk"], ["admin"], ["admin"], false),
            (["helpdesk"], ["user", "ops"], ["user"], false),
            (["admin"], ["user"], ["user", "admin", "ops"], true),
            (nil, ["admin"], ["user"], true),
        ] as [([String]?, [String], [String], Bool)])
    func roles(actor: [String]?, before: [String], after: [String], allowed: Bool) {
        let delegation = Delegation(roles: actor, permissions: [])
        #expect(delegation.mayChangeRoles(from: before, to: after) == allowed)
    }

    @Test("permissions: only those the actor's roles grant, unless admin or an operator")
    func permissions() {
        let roleAdmin = Delegation(roles: ["roleadmin"], permissions: ["roles:read", "roles:write"])
        #expect(roleAdmin.mayGrant(["roles:read"]))
        #expect(!roleAdmin.mayGrant(["roles:read", "users:write"]))
        #expect(Delegation(roles: ["admin"], permissions: []).mayGrant(["mail:send"]))
        #expect(Delegation(roles: nil, permissions: []).mayGrant(["users:write"]))
        #expect(Delegation(roles: ["helpdesk"], permissions: []).mayManage(accountWith: ["user"]))
        #expect(!Delegation(roles: ["helpdesk"], permissions: []).mayManage(accountWith: ["user", "admin"]))
    }
}
