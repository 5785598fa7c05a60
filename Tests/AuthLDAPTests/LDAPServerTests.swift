import AuthCore
import AuthTestSupport
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import AuthLDAP

@Suite("the LDAP server on a real socket")
struct LDAPServerTests {
    @Test(
        "over TCP on port 0: a bind and a search answered in order; a 2 GiB length bomb gets a notice of disconnection, then the close"
    )
    func overTCP() async throws {
        let fixture = try await LDAPSessionTests.Fixture()
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = LDAPServer(
            configuration: .init(host: "127.0.0.1", port: 0), responder: fixture.responder,
            logger: Logger(label: "ldap-tests"), onListening: { address, _ in continuation.yield(address.port ?? 0) })
        let running = Task { try await server.run() }
        var ports = stream.makeAsyncIterator()
        let port = try #require(await ports.next())
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LDAPFrameDecoder(maximumLength: 1 << 20)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await client.executeThenClose { inbound, outbound in
            var messages = inbound.makeAsyncIterator()
            func next() async throws -> LDAPTestClient.Reply? {
                guard let message = try await messages.next() else { return nil }
                return try LDAPTestClient.replies(Array(buffer: message)).first
            }
            let people = "ou=people,\(LDAPSessionTests.base)"
            try await outbound.write(
                ByteBuffer(
                    bytes: LDAPTestClient.bind(1, LDAPSessionTests.dn(fixture.reader), TestStack.password)
                        + LDAPTestClient.search(2, base: people, scope: 1, attributes: ["uid"])))
            let bind = try await next()
            #expect(bind?.id == 1 && bind?.code == 0)
            let entry = try await next()
            #expect(entry?.id == 2 && entry?.dn == LDAPSessionTests.dn(fixture.reader))
            let done = try await next()
            #expect(done?.tag == 0x65 && done?.code == 0)
            try await outbound.write(ByteBuffer(bytes: [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x03]))
            let notice = try await next()
            #expect(notice?.id == 0 && notice?.tag == 0x78 && notice?.code == 2)
            #expect(try await messages.next() == nil, "the server closed the connection")
        }
        running.cancel()
        _ = await running.result
    }
}
