import AuthCore
import AuthCrypto
import AuthTestSupport
import Logging
import Testing

@testable import AuthLDAP

@Suite("the LDAP front end over the ldap stack and the directory, stores in memory")
struct LDAPSessionTests {
    static let base = "dc=authd,dc=local"
    static let stacks = AuthService.StackSource.files([
        "http": (file: "stacks/http", text: "auth required password\nauth required totp if=enrolled"),
        "ldap": (
            file: "stacks/ldap",
            text: "auth required password otp=appended\nauth required active\nauth required totp if=enrolled"
        ),
    ])

    /// A stack, a session on it, and an account whose roles grant users:read.
    struct Fixture {
        let stack: TestStack
        let responder: LDAPResponder
        let reader: User

        init(anonymousSearch: Bool = false, sizeLimit: Int = 1000) async throws {
            stack = try await TestStack(backing: .memory, stacks: LDAPSessionTests.stacks)
            _ = try await stack.admin.createRole(
                name: "directory-reader", description: "applications", permissions: [Permission.usersRead],
                by: TestStack.testOperator)
            (reader, _) = try await stack.account(roles: ["directory-reader"])
            responder = LDAPResponder(
                auth: stack.service,
                directory: DirectoryService(
                    assembly: stack.assembly, policy: DirectoryReadPolicy(anonymousReadsAll: anonymousSearch)),
                configuration: .init(directory: try LDAPDirectory(base: LDAPSessionTests.base), sizeLimit: sizeLimit),
                logger: Logger(label: "ldap-tests"))
        }

        func session() -> LDAPSession { LDAPSession(responder: responder, peer: "127.0.0.1", canStartTLS: false) }
    }

    static func dn(_ user: User) -> String { "uid=\(user.username),ou=people,\(base)" }

    static func ask(_ session: inout LDAPSession, _ bytes: [UInt8]) async throws -> [LDAPTestClient.Reply] {
        try LDAPTestClient.replies(await session.handle(bytes[...]).output)
    }

    static func bindCode(_ session: inout LDAPSession, _ name: String, _ password: String) async throws -> Int64? {
        try await ask(&session, LDAPTestClient.bind(1, name, password)).first?.code
    }

    @Test(
        "binds: by DN and by NAME@DOMAIN with the right password; the same invalidCredentials for a wrong password, an unknown user, a DN outside the tree, a disabled account"
    )
    func binds() async throws {
        let fixture = try await Fixture()
        let (user, _) = try await fixture.stack.account()
        var session = fixture.session()
        #expect(try await Self.bindCode(&session, Self.dn(user), TestStack.password) == 0)
        #expect(session.reader == .user(id: user.id))
        #expect(try await Self.bindCode(&session, "\(user.username.uppercased())@AUTHD.local", TestStack.password) == 0)
        let refusals = [
            (Self.dn(user), "wrong password"),
            ("uid=nobody-\(user.username),ou=people,\(Self.base)", TestStack.password),
            ("uid=\(user.username),ou=people,dc=other", TestStack.password),
            ("\(user.username)@other.example", TestStack.password), ("cn=\(user.username)", TestStack.password),
        ]
        for (name, password) in refusals {
            var fresh = fixture.session()
            let replies = try await Self.ask(&fresh, LDAPTestClient.bind(1, name, password))
            #expect(replies.first?.code == 49 && replies.first?.message == "invalid credentials", "\(name)")
            #expect(fresh.reader == .anonymous)
        }
        let (disabled, _) = try await fixture.stack.account()
        _ = try await fixture.stack.admin.update(
            userID: disabled.id, UserChange(disabled: true), by: TestStack.testOperator)
        #expect(try await Self.bindCode(&session, Self.dn(disabled), TestStack.password) == 49)
        #expect(session.reader == .anonymous, "a failed bind leaves the connection anonymous")
    }

    @Test(
        "an empty password with a name is unwillingToPerform, never an anonymous success (RFC 4513 §5.1.2); an anonymous bind is a success that reads nothing"
    )
    func emptyPasswords() async throws {
        let fixture = try await Fixture()
        var session = fixture.session()
        #expect(try await Self.bindCode(&session, Self.dn(fixture.reader), "") == 53)
        #expect(try await Self.bindCode(&session, "", "") == 0)
        let replies = try await Self.ask(&session, LDAPTestClient.search(2, base: Self.base))
        #expect(replies.map(\.tag) == [0x65] && replies.last?.code == 50, "an unauthenticated search is refused")
        let version2 = try await Self.ask(
            &session, LDAPTestClient.bind(3, Self.dn(fixture.reader), TestStack.password, version: 2))
        #expect(version2.first?.code == 2)
        #expect(session.reader == .anonymous)
    }

    @Test("the root DSE and the schema answer anyone; WhoAmI names the bound DN")
    func rootDSE() async throws {
        let fixture = try await Fixture()
        var session = fixture.session()
        let root = try await Self.ask(&session, LDAPTestClient.search(1, base: "", scope: 0))
        #expect(root.map(\.tag) == [0x64, 0x65] && root.last?.code == 0)
        #expect(root.first?.attributes["namingContexts"] == [Self.base])
        #expect(root.first?.attributes["supportedExtension"] == [LDAPDirectory.whoAmI])
        let schema = try await Self.ask(
            &session, LDAPTestClient.search(2, base: "cn=Subschema", scope: 0, attributes: ["objectClasses"]))
        #expect(schema.first?.attributes["objectClasses"]?.contains { $0.contains("'posixAccount'") } == true)
        #expect(try await Self.ask(&session, LDAPTestClient.extended(3, LDAPDirectory.whoAmI)).first?.value == "")
        #expect(try await Self.bindCode(&session, Self.dn(fixture.reader), TestStack.password) == 0)
        let whoami = try await Self.ask(&session, LDAPTestClient.extended(4, LDAPDirectory.whoAmI))
        #expect(whoami.first?.value == "dn:" + Self.dn(fixture.reader))
        let tls = try await Self.ask(&session, LDAPTestClient.extended(5, LDAPDirectory.startTLS))
        #expect(tls.first?.code == 1, "no StartTLS without a certificate")
        let unknown = try await Self.ask(&session, LDAPTestClient.extended(6, "1.2.3.4"))
        #expect(unknown.first?.code == 2)
    }

    @Test(
        "StartTLS: offered with a certificate, answered once with the step that starts TLS; with TLS required, a bind in the clear is confidentialityRequired"
    )
    func startTLS() async throws {
        let fixture = try await Fixture()
        var session = LDAPSession(responder: fixture.responder, peer: "10.0.0.1", canStartTLS: true, requireTLS: true)
        let root = try await Self.ask(&session, LDAPTestClient.search(1, base: "", scope: 0))
        #expect(root.first?.attributes["supportedExtension"]?.contains(LDAPDirectory.startTLS) == true)
        #expect(try await Self.bindCode(&session, Self.dn(fixture.reader), TestStack.password) == 13)
        #expect(session.reader == .anonymous)
        let step = await session.handle(LDAPTestClient.extended(2, LDAPDirectory.startTLS)[...])
        #expect(step.startTLS && !step.close)
        #expect(try LDAPTestClient.replies(step.output).first?.code == 0)
        #expect(try await Self.bindCode(&session, Self.dn(fixture.reader), TestStack.password) == 0)
        let again = try await Self.ask(&session, LDAPTestClient.extended(3, LDAPDirectory.startTLS))
        #expect(again.first?.code == 1, "TLS is already on")
    }

    @Test(
        "an ordinary user's search that would match everyone returns their own entry and their groups only; a service account's returns everyone"
    )
    func readPolicy() async throws {
        let fixture = try await Fixture()
        let (ann, _) = try await fixture.stack.account()
        let (bob, _) = try await fixture.stack.account(roles: [Role.user, Role.admin])
        var session = fixture.session()
        #expect(try await Self.bindCode(&session, Self.dn(ann), TestStack.password) == 0)
        let own = try await Self.ask(&session, LDAPTestClient.search(2, base: Self.base))
        #expect(
            Set(own.compactMap(\.dn)) == [
                Self.base, "ou=people,\(Self.base)", Self.dn(ann), "ou=groups,\(Self.base)",
                "cn=user,ou=groups,\(Self.base)",
            ])
        #expect(own.first { $0.dn == "cn=user,ou=groups,\(Self.base)" }?.attributes["memberUid"] == [ann.username])
        let other = try await Self.ask(&session, LDAPTestClient.search(3, base: Self.dn(bob), scope: 0))
        #expect(other.map(\.tag) == [0x65] && other.last?.code == 32 && other.last?.matchedDN == Self.base)

        var service = fixture.session()
        #expect(try await Self.bindCode(&service, Self.dn(fixture.reader), TestStack.password) == 0)
        let everyone = try await Self.ask(
            &service,
            LDAPTestClient.search(
                4, base: "ou=people,\(Self.base)", scope: 1, filter: .equal("objectClass", "posixAccount")))
        #expect(Set(everyone.compactMap(\.dn)) == Set([ann, bob, fixture.reader].map(Self.dn)))
        let admins = try await Self.ask(
            &service,
            LDAPTestClient.search(5, base: "cn=admin,ou=groups,\(Self.base)", scope: 0, attributes: ["member"]))
        #expect(admins.first?.attributes["member"]?.contains(Self.dn(bob)) == true)
        let entry = try #require(everyone.first { $0.dn == Self.dn(bob) }).attributes
        #expect(entry["uid"] == [bob.username] && entry["mail"] == [bob.email])
        #expect(entry["uidNumber"] == [String(10_000 + bob.id)] && entry["gidNumber"] == [String(10_000 + bob.id)])
        #expect(Set(entry["memberOf"] ?? []) == ["cn=admin,ou=groups,\(Self.base)", "cn=user,ou=groups,\(Self.base)"])
        #expect(entry["entryUUID"] == nil, "operational attributes only when asked for")
        let uuid = try await Self.ask(
            &service, LDAPTestClient.search(6, base: Self.dn(bob), scope: 0, attributes: ["+"]))
        let first = try #require(uuid.first?.attributes["entryUUID"]?.first)
        #expect(first.count == 36 && LDAPDirectory.uuid("user \(bob.id) \(bob.createdAt)") == first)

        // The account loses the permission: its next search sees only itself.
        _ = try await fixture.stack.admin.revoke(
            Permission.usersRead, from: "directory-reader", by: TestStack.testOperator)
        let after = try await Self.ask(
            &service, LDAPTestClient.search(7, base: "ou=people,\(Self.base)", scope: 1))
        #expect(after.compactMap(\.dn) == [Self.dn(fixture.reader)])
    }

    @Test(
        "compare, as mod_authnz_ldap checks a group: true, false, an unknown attribute, an entry the reader may not see"
    )
    func compare() async throws {
        let fixture = try await Fixture()
        let (ann, _) = try await fixture.stack.account()
        let (bob, _) = try await fixture.stack.account(roles: [Role.user, Role.admin])
        func compare(_ session: inout LDAPSession, _ dn: String, _ type: String, _ value: String) async throws
            -> LDAPTestClient.Reply?
        {
            let request = LDAPTestClient.message(2) { message in
                message.constructed(0x6E) { compare in
                    compare.string(dn)
                    compare.constructed(BERTag.sequence) {
                        $0.string(type)
                        $0.string(value)
                    }
                }
            }
            return try await Self.ask(&session, request).first
        }
        let admins = "cn=admin,ou=groups,\(Self.base)"
        var service = fixture.session()
        #expect(try await compare(&service, admins, "member", Self.dn(bob))?.code == 50, "anonymous")
        #expect(try await Self.bindCode(&service, Self.dn(fixture.reader), TestStack.password) == 0)
        let yes = try await compare(&service, admins, "member", Self.dn(bob).uppercased())
        #expect(yes?.tag == 0x6F && yes?.code == 6)
        #expect(try await compare(&service, admins, "member", Self.dn(ann))?.code == 5)
        #expect(try await compare(&service, admins, "userPassword", "x")?.code == 17)
        #expect(try await compare(&service, "cn=nothing,ou=groups,\(Self.base)", "cn", "nothing")?.code == 32)
        var own = fixture.session()
        #expect(try await Self.bindCode(&own, Self.dn(ann), TestStack.password) == 0)
        #expect(
            try await compare(&own, Self.dn(bob), "uid", bob.username)?.code == 32, "others do not exist for a user")
        #expect(try await compare(&own, Self.dn(ann), "mail", ann.email.uppercased())?.code == 6)
    }

    @Test("a search by uid reads that account; an unknown uid returns nothing and success")
    func byUID() async throws {
        let fixture = try await Fixture()
        let (ann, _) = try await fixture.stack.account()
        var session = fixture.session()
        #expect(try await Self.bindCode(&session, Self.dn(fixture.reader), TestStack.password) == 0)
        let filter = LDAPTestClient.Filter.and([
            .equal("objectClass", "inetOrgPerson"), .equal("uid", ann.username.uppercased()),
        ])
        let found = try await Self.ask(
            &session, LDAPTestClient.search(2, base: Self.base, filter: filter, attributes: ["uid"]))
        #expect(found.compactMap(\.dn) == [Self.dn(ann)] && found.last?.code == 0)
        #expect(found.first?.attributes.keys.sorted() == ["uid"])
        let none = try await Self.ask(
            &session, LDAPTestClient.search(3, base: Self.base, filter: .equal("uid", "nobody")))
        #expect(none.map(\.tag) == [0x65] && none.last?.code == 0)
    }

    @Test("paging (RFC 2696) walks every entry once; without it the size limit ends the search with sizeLimitExceeded")
    func paging() async throws {
        let fixture = try await Fixture(sizeLimit: 4)
        var names: Set<String> = [Self.dn(fixture.reader)]
        for _ in 0..<6 { names.insert(Self.dn(try await fixture.stack.account().user)) }
        var session = fixture.session()
        #expect(try await Self.bindCode(&session, Self.dn(fixture.reader), TestStack.password) == 0)
        let people = "ou=people,\(Self.base)"
        let limited = try await Self.ask(&session, LDAPTestClient.search(2, base: people, scope: 1))
        #expect(limited.filter { $0.tag == 0x64 }.count == 4 && limited.last?.code == 4)
        let small = try await Self.ask(&session, LDAPTestClient.search(3, base: people, scope: 1, sizeLimit: 2))
        #expect(small.filter { $0.tag == 0x64 }.count == 2 && small.last?.code == 4)

        var seen: [String] = []
        var cookie: [UInt8] = []
        var pages = 0
        repeat {
            let page = try await Self.ask(
                &session,
                LDAPTestClient.search(
                    4, base: people, scope: 1, controls: [LDAPTestClient.paged(size: 3, cookie: cookie)]))
            #expect(page.last?.code == 0 && page.filter { $0.tag == 0x64 }.count <= 3)
            seen += page.compactMap(\.dn)
            cookie = try #require(page.last?.cookie)
            pages += 1
        } while !cookie.isEmpty && pages < 10
        #expect(seen.count == names.count && Set(seen) == names && pages == 3)
        let forged = try await Self.ask(
            &session,
            LDAPTestClient.search(
                5, base: people, scope: 1, controls: [LDAPTestClient.paged(size: 3, cookie: [1, 2, 3])]))
        #expect(forged.last?.code == 2)
    }

    @Test(
        "an appended one-time code: password+code binds an account with MFA; the password alone, or a wrong code, does not"
    )
    func appendedCode() async throws {
        let fixture = try await Fixture()
        let (user, token) = try await fixture.stack.account()
        let setup = try await fixture.stack.service.mfa.setup(accessToken: token)
        let secret = try #require(Base32.decode(setup.secret))
        _ = try await fixture.stack.service.mfa.confirm(
            accessToken: token, code: try OneTimePassword().totp(secret: secret, at: UnixTime.now()))
        var session = fixture.session()
        #expect(try await Self.bindCode(&session, Self.dn(user), TestStack.password) == 49)
        let next = try OneTimePassword().totp(secret: secret, at: UnixTime.now() + 30)
        let wrong = next == "000000" ? "111111" : "000000"
        #expect(try await Self.bindCode(&session, Self.dn(user), TestStack.password + wrong) == 49)
        #expect(try await Self.bindCode(&session, Self.dn(user), TestStack.password + next) == 0)
        #expect(
            try await Self.bindCode(&session, Self.dn(user), TestStack.password + next) == 49, "a code is good once")
    }

    @Test(
        "writes are refused as read-only in their own response; SASL is not offered; a malformed message ends the connection"
    )
    func refusals() async throws {
        let fixture = try await Fixture()
        var session = fixture.session()
        let delete = LDAPTestClient.message(2) { $0.string(Self.dn(fixture.reader), tag: 0x4A) }
        let replies = try await Self.ask(&session, delete)
        #expect(replies.first?.tag == 0x6B && replies.first?.code == 53)
        let sasl = LDAPTestClient.message(3) { message in
            message.constructed(0x60) { bind in
                bind.integer(3)
                bind.string("")
                bind.constructed(0xA3) { $0.string("EXTERNAL") }
            }
        }
        #expect(try await Self.ask(&session, sasl).first?.code == 7)
        let critical = LDAPTestClient.search(
            4, base: Self.base, controls: [LDAPControl(type: "1.2.840.113556.1.4.473", critical: true)])
        #expect(try await Self.ask(&session, critical).first?.code == 12)
        let step = await session.handle([0x30, 0x03, 0x02, 0x01, 0x00][...])
        #expect(step.close)
        let notice = try LDAPTestClient.replies(step.output)
        #expect(notice.first?.id == 0 && notice.first?.tag == 0x78 && notice.first?.code == 2)
        #expect(await session.handle(LDAPTestClient.message(5) { $0.element(0x42, [UInt8]()) }[...]).close, "unbind")
    }
}
