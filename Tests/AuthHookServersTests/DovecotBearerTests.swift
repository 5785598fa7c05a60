import AuthCore
import AuthCrypto
import AuthHookServers
import AuthTestSupport
import Testing

/// XOAUTH2 and OAUTHBEARER on the Dovecot-protocol listener, with real tokens against
/// PostgreSQL: a mail login takes the user's own token, or a token issued to an OAuth client
/// only when it was granted the `mail` scope (security hardening, round 2, finding 1).
@Suite("Dovecot auth protocol: which tokens log in to mail")
struct DovecotBearerTests {
    static let scopes: Set<String> = ["openid", "mail"]

    /// The answer to one XOAUTH2 request on a fresh connection.
    static func xoauth2(_ stack: TestStack, user: String, token: String) async -> String {
        var conversation = DovecotAuthConversation(
            service: stack.service, logger: TestDatabase.logger, peer: "127.0.0.1", connectionID: 1)
        _ = await conversation.handle(Array("VERSION\t1\t2".utf8))
        let response = Base64.standard.encode(Array("user=\(user)\u{1}auth=Bearer \(token)\u{1}\u{1}".utf8))
        let step = await conversation.handle(Array("AUTH\t1\tXOAUTH2\tservice=smtp\tresp=\(response)".utf8))
        return String(decoding: step.output, as: UTF8.self)
    }

    /// A token the code flow issued for `user` to a client allowed every scope, with `scope`.
    static func delegated(_ stack: TestStack, _ user: User, scope: String) async throws -> String {
        let redirect = "https://rp.example.com/cb"
        let rp = try await stack.admin.createClient(
            NewClient(
                id: TestDatabase.uniqueName("rp"), grantTypes: [.authorizationCode], scopes: Array(scopes),
                redirectURIs: [redirect]), by: TestStack.testOperator)
        return try await stack.delegatedToken(for: user, client: rp.client, scope: scope)
    }

    @Test("XOAUTH2: the user's own token logs in; a client's token for the user only with the mail scope")
    func mailScope() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: Self.scopes))
        let (user, own) = try await stack.account()
        let name = user.username
        #expect(await Self.xoauth2(stack, user: name, token: own) == "OK\t1\tuser=\(name)\n")
        let openID = try await Self.delegated(stack, user, scope: "openid")
        #expect(await Self.xoauth2(stack, user: name, token: openID) == "FAIL\t1\n", "issued for sign-in only")
        let mail = try await Self.delegated(stack, user, scope: "openid mail")
        #expect(await Self.xoauth2(stack, user: name, token: mail) == "OK\t1\tuser=\(name)\n")
        await stack.shutdown()
    }

    @Test("a service= this listener does not serve (dovecot_auth.services) fails with a reason, before any check")
    func servicesAllowList() async throws {
        let stack = try await TestStack(backing: .memory)
        let (user, _) = try await stack.account()
        var conversation = DovecotAuthConversation(
            service: stack.service, logger: TestDatabase.logger, peer: "127.0.0.1", connectionID: 1)
        _ = await conversation.handle(Array("VERSION\t1\t2".utf8))
        let response = Base64.standard.encode(Array("\0\(user.username)\0\(TestStack.password)".utf8))
        let ssh = await conversation.handle(Array("AUTH\t1\tPLAIN\tservice=ssh\tresp=\(response)".utf8))
        #expect(String(decoding: ssh.output, as: UTF8.self).hasPrefix("FAIL\t1\treason=service ssh is not served"))
        let smtp = await conversation.handle(Array("AUTH\t2\tPLAIN\tservice=smtp\tresp=\(response)".utf8))
        #expect(String(decoding: smtp.output, as: UTF8.self) == "OK\t2\tuser=\(user.username)\n")
        await stack.shutdown()
    }
}
