import AuthCore
import AuthCrypto
import AuthTestSupport
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import AuthRADIUS

/// A NAS as the tests play it: Access-Requests signed with a secret, replies checked.
struct TestNAS {
    var secret = Array("a shared secret of the test NAS".utf8)

    func request(
        _ username: String, _ password: String, identifier: UInt8 = 1, code: RadiusPacket.Code = .accessRequest,
        secret: [UInt8]? = nil, signed: Bool = true, state: [UInt8]? = nil
    ) throws -> (bytes: [UInt8], authenticator: [UInt8]) {
        let authenticator = try SecureRandom.bytes(16)
        let hidden = try RadiusSecurity.hidePassword(
            Array(password.utf8), secret: secret ?? self.secret, authenticator: authenticator)
        let packet = RadiusPacket(
            code: code, identifier: identifier, authenticator: authenticator,
            attributes: [.init(.userName, Array(username.utf8)), .init(.userPassword, hidden)]
                + (state.map { [.init(.state, $0)] } ?? []))
        let bytes =
            signed ? try RadiusSecurity.signed(request: packet, secret: secret ?? self.secret) : packet.encoded()
        return (bytes, authenticator)
    }

    /// The reply's code and attributes when it is authentic for the request, else nil.
    func read(_ reply: [UInt8]?, for authenticator: [UInt8]) -> RadiusPacket? {
        guard let reply, RadiusSecurity.isAuthenticReply(reply, requestAuthenticator: authenticator, secret: secret)
        else { return nil }
        return RadiusPacket(bytes: reply)
    }
}

@Suite("the RADIUS front end over the radius stack, stores in memory")
struct RadiusResponderTests {
    static let stacks = AuthService.StackSource.files([
        "http": (file: "stacks/http", text: "auth required password\nauth required totp if=enrolled"),
        "radius": (
            file: "stacks/radius", text: "auth required password\nauth required active\nauth required totp if=enrolled"
        ),
    ])

    static func responder(_ stack: TestStack, nas: TestNAS = TestNAS()) -> RadiusResponder {
        RadiusResponder(
            service: stack.service,
            configuration: .init(clients: [RadiusClient(network: IPNetwork("127.0.0.0/8")!, secret: nas.secret)]),
            logger: Logger(label: "radius-tests"))
    }

    @Test(
        "the right password: Access-Accept with the roles as Class; a wrong one, an unknown user, a disabled account: the same Access-Reject"
    )
    func acceptAndReject() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.stacks)
        let responder = Self.responder(stack)
        let nas = TestNAS()
        let (user, _) = try await stack.account(roles: [Role.user, Role.admin])
        let (right, rightAuthenticator) = try nas.request(user.username, TestStack.password)
        let accept = try #require(
            nas.read(await responder.respond(to: right, from: "127.0.0.1", port: 1), for: rightAuthenticator))
        #expect(accept.code == .accessAccept && accept.identifier == 1)
        #expect(
            accept.attributes.filter { $0.type == RadiusPacket.AttributeType.class.rawValue }.map(\.value) == [
                Array("admin".utf8), Array("user".utf8),
            ])

        func code(_ username: String, _ password: String) async throws -> RadiusPacket.Code? {
            let (bytes, authenticator) = try nas.request(username, password, identifier: 2)
            return nas.read(await responder.respond(to: bytes, from: "127.0.0.1", port: 2), for: authenticator)?.code
        }
        #expect(try await code(user.username, "wrong password") == .accessReject)
        #expect(try await code("nobody-\(user.username)", TestStack.password) == .accessReject)
        let (disabled, _) = try await stack.account()
        _ = try await stack.admin.update(userID: disabled.id, UserChange(disabled: true), by: TestStack.testOperator)
        #expect(try await code(disabled.username, TestStack.password) == .accessReject)
        await stack.shutdown()
    }

    @Test(
        "dropped without an answer: an address that is not a client, a wrong secret, no Message-Authenticator, an Accounting-Request, garbage"
    )
    func dropped() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.stacks)
        let responder = Self.responder(stack)
        let nas = TestNAS()
        let (user, _) = try await stack.account()
        let good = try nas.request(user.username, TestStack.password).bytes
        #expect(await responder.respond(to: good, from: "192.0.2.7", port: 1) == nil, "not a client")
        let wrongSecret = try nas.request(
            user.username, TestStack.password, secret: Array("another secret entirely".utf8))
        #expect(await responder.respond(to: wrongSecret.bytes, from: "127.0.0.1", port: 1) == nil)
        let unsigned = try nas.request(user.username, TestStack.password, signed: false)
        #expect(await responder.respond(to: unsigned.bytes, from: "127.0.0.1", port: 1) == nil)
        let accounting = try nas.request(user.username, TestStack.password, code: .accountingRequest)
        #expect(await responder.respond(to: accounting.bytes, from: "127.0.0.1", port: 1) == nil)
        #expect(await responder.respond(to: [1, 2, 3], from: "127.0.0.1", port: 1) == nil)
        #expect(await responder.respond(to: Array(good.prefix(30)), from: "127.0.0.1", port: 1) == nil)
        await stack.shutdown()
    }

    @Test(
        "a legacy client may leave the Message-Authenticator out, not send a wrong one; other clients may not leave it out"
    )
    func legacyClients() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.stacks)
        let nas = TestNAS()
        let responder = RadiusResponder(
            service: stack.service,
            configuration: .init(clients: [
                RadiusClient(network: IPNetwork("127.0.0.0/8")!, secret: nas.secret),
                RadiusClient(
                    network: IPNetwork("127.0.0.9/32")!, secret: nas.secret, requiresMessageAuthenticator: false),
            ]),
            logger: Logger(label: "radius-tests"))
        let (user, _) = try await stack.account()
        let (unsigned, authenticator) = try nas.request(user.username, TestStack.password, signed: false)
        #expect(
            nas.read(await responder.respond(to: unsigned, from: "127.0.0.9", port: 1), for: authenticator)?.code
                == .accessAccept)
        #expect(
            await responder.respond(to: unsigned, from: "127.0.0.8", port: 1) == nil, "the strict network around it")
        let wrong = try nas.request(user.username, TestStack.password, secret: Array("another secret entirely".utf8))
        #expect(await responder.respond(to: wrong.bytes, from: "127.0.0.9", port: 2) == nil)
        await stack.shutdown()
    }

    @Test("a retransmission gets the first answer without running the stack again; a new request is decided anew")
    func retransmission() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.stacks)
        let responder = Self.responder(stack)
        let nas = TestNAS()
        let (user, token) = try await stack.account()
        let (first, authenticator) = try nas.request(user.username, TestStack.password)
        #expect(
            nas.read(await responder.respond(to: first, from: "127.0.0.1", port: 7), for: authenticator)?.code
                == .accessAccept)
        try await stack.service.sessions.changePassword(
            accessToken: token, currentPassword: TestStack.password, newPassword: "a brand new password")
        let again = nas.read(await responder.respond(to: first, from: "127.0.0.1", port: 7), for: authenticator)
        #expect(again?.code == .accessAccept, "the same request: the kept answer")
        let (fresh, freshAuthenticator) = try nas.request(user.username, TestStack.password)
        let decided = nas.read(await responder.respond(to: fresh, from: "127.0.0.1", port: 7), for: freshAuthenticator)
        #expect(decided?.code == .accessReject, "a new request with the old password")
        await stack.shutdown()
    }

    @Test(
        "TOTP: an Access-Challenge with State and a prompt; the code in a second request with that State is accepted, a wrong one rejected, an HTTP mfa_token as State rejected"
    )
    func challenge() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.stacks)
        let responder = Self.responder(stack)
        let nas = TestNAS()
        let (user, token) = try await stack.account()
        let setup = try await stack.service.mfa.setup(accessToken: token)
        let secret = try #require(Base32.decode(setup.secret))
        _ = try await stack.service.mfa.confirm(
            accessToken: token, code: try OneTimePassword().totp(secret: secret, at: UnixTime.now()))

        func ask(_ password: String, state: [UInt8]? = nil, identifier: UInt8) async throws -> RadiusPacket? {
            let (bytes, authenticator) = try nas.request(user.username, password, identifier: identifier, state: state)
            return nas.read(await responder.respond(to: bytes, from: "127.0.0.1", port: 9), for: authenticator)
        }
        let challenged = try #require(try await ask(TestStack.password, identifier: 1))
        #expect(challenged.code == .accessChallenge)
        #expect(challenged.first(.replyMessage) == Array(RadiusResponder.codePrompt.utf8))
        let state = try #require(challenged.first(.state))
        #expect(try await ask("000000", state: state, identifier: 2)?.code == .accessReject, "a wrong code")
        let code = try OneTimePassword().totp(secret: secret, at: UnixTime.now() + 30)
        let accepted = try await ask(code, state: state, identifier: 3)
        #expect(accepted?.code == .accessAccept, "the next step's code (the enrolment spent this one)")
        #expect(try await ask(code, state: state, identifier: 4)?.code == .accessReject, "a challenge is good once")

        guard
            case .secondFactorRequired(let httpChallenge, _) = try await stack.service.login(
                username: user.username, password: TestStack.password)
        else {
            Issue.record("no HTTP second step for an enrolled user")
            return
        }
        let foreign = try #require(Base64.url.decode(httpChallenge))
        let later = try OneTimePassword().totp(secret: secret, at: UnixTime.now() + 60)
        #expect(
            try await ask(later, state: foreign, identifier: 5)?.code == .accessReject, "another service's challenge")
        await stack.shutdown()
    }

    @Test(
        "accounting: a record with the right authenticator is acknowledged (an authentic Accounting-Response); a wrong secret, a record without Acct-Status-Type and one on the authentication port are dropped"
    )
    func accounting() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.stacks)
        let nas = TestNAS()
        let responder = Self.responder(stack, nas: nas)
        func record(_ attributes: [RadiusPacket.Attribute], secret: [UInt8]? = nil) throws -> [UInt8] {
            try RadiusSecurity.signed(
                accountingRequest: RadiusPacket(
                    code: .accountingRequest, identifier: 9, authenticator: [], attributes: attributes),
                secret: secret ?? nas.secret)
        }
        let start: [RadiusPacket.Attribute] = [
            .init(.acctStatusType, [0, 0, 0, 1]), .init(.userName, Array("alice".utf8)),
            .init(.acctSessionID, Array("s-1".utf8)), .init(.nasIPAddress, [10, 0, 0, 1]),
        ]
        let bytes = try record(start)
        let reply = await responder.respond(to: bytes, from: "127.0.0.1", port: 3, on: .accounting)
        let acknowledged = nas.read(reply, for: Array(bytes[4..<20]))
        #expect(acknowledged?.code == .accountingResponse && acknowledged?.identifier == 9)
        #expect(
            await responder.respond(
                to: try record(start, secret: Array("another secret".utf8)), from: "127.0.0.1", port: 4,
                on: .accounting) == nil)
        #expect(
            await responder.respond(
                to: try record(Array(start.dropFirst())), from: "127.0.0.1", port: 5, on: .accounting) == nil)
        #expect(await responder.respond(to: bytes, from: "127.0.0.1", port: 6) == nil, "not on the authentication port")
    }

    @Test(
        "Status-Server (RFC 5997): an authentic Access-Accept when it carries a valid Message-Authenticator, nothing otherwise"
    )
    func statusServer() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.stacks)
        let nas = TestNAS()
        let responder = Self.responder(stack, nas: nas)
        let authenticator = try SecureRandom.bytes(16)
        let status = RadiusPacket(code: .statusServer, identifier: 5, authenticator: authenticator)
        let signed = try RadiusSecurity.signed(request: status, secret: nas.secret)
        let reply = nas.read(await responder.respond(to: signed, from: "127.0.0.1", port: 7), for: authenticator)
        #expect(reply?.code == .accessAccept && reply?.identifier == 5)
        #expect(await responder.respond(to: status.encoded(), from: "127.0.0.1", port: 8) == nil)
    }

    @Test(
        "RadSec: from any address (the certificate vouched for it), with the secret radsec, Access- and Accounting-Requests on one listener"
    )
    func radsec() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.stacks)
        let responder = Self.responder(stack)
        let (user, _) = try await stack.account()
        let nas = TestNAS(secret: Array("radsec".utf8))
        let (access, authenticator) = try nas.request(user.username, TestStack.password, signed: false)
        let accepted = nas.read(
            await responder.respond(to: access, from: "192.0.2.7", port: 1, on: .radsec), for: authenticator)
        #expect(accepted?.code == .accessAccept)
        #expect(await responder.respond(to: access, from: "192.0.2.7", port: 2) == nil, "not a UDP client")
        let record = try RadiusSecurity.signed(
            accountingRequest: RadiusPacket(
                code: .accountingRequest, identifier: 3, authenticator: [],
                attributes: [.init(.acctStatusType, [0, 0, 0, 2])]),
            secret: nas.secret)
        let acknowledged = nas.read(
            await responder.respond(to: record, from: "192.0.2.7", port: 3, on: .radsec), for: Array(record[4..<20]))
        #expect(acknowledged?.code == .accountingResponse)
    }

    @Test("over UDP on port 0: an Access-Request answered by the server")
    func overUDP() async throws {
        let stack = try await TestStack(backing: .memory, stacks: Self.stacks)
        let nas = TestNAS()
        let (user, _) = try await stack.account()
        let (stream, port) = AsyncStream.makeStream(of: Int.self)
        let server = RadiusServer(
            configuration: .init(host: "127.0.0.1", port: 0), responder: Self.responder(stack, nas: nas),
            logger: Logger(label: "radius-tests"), onListening: { port.yield($0.port ?? 0) })
        let running = Task { try await server.run() }
        var ports = stream.makeAsyncIterator()
        let serverPort = try #require(await ports.next())
        let (request, authenticator) = try nas.request(user.username, TestStack.password, identifier: 77)
        typealias Envelope = AddressedEnvelope<ByteBuffer>
        let client = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<Envelope, Envelope>(wrappingChannelSynchronously: channel)
                }
            }
        let reply = try await client.executeThenClose { inbound, outbound in
            try await outbound.write(
                Envelope(
                    remoteAddress: try SocketAddress(ipAddress: "127.0.0.1", port: serverPort),
                    data: ByteBuffer(bytes: request)))
            return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask {
                    var replies = inbound.makeAsyncIterator()
                    return try await replies.next().map { Array(buffer: $0.data) }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }
        let packet = nas.read(reply, for: authenticator)
        #expect(packet?.code == .accessAccept && packet?.identifier == 77)
        running.cancel()
        _ = await running.result
        await stack.shutdown()
    }
}
