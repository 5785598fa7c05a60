import AuthCrypto
import Testing

@testable import AuthRADIUS

@Suite("RADIUS packets and their shared-secret cryptography, without a network")
struct RadiusPacketTests {
    /// RFC 2865 §7.1: nemo's Access-Request (password "arctangent", secret "xyzzy5461") and the
    /// Access-Accept answering it.
    static let secret = Array("xyzzy5461".utf8)
    static let request = hex(
        "010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee"
            + "0406c0a80110" + "050600000003")
    /// Its reply's attributes: Service-Type Login, Login-Service Telnet, Login-IP-Host 192.168.1.3.
    static let replyAttributes = "060600000001" + "0f0600000000" + "0e06c0a80103"

    static func hex(_ text: String) -> [UInt8] { Hex.decode(text)! }

    @Test("RFC 2865's example: the request parses, its password is revealed, the reply's authenticator matches")
    func rfcExample() throws {
        let packet = try #require(RadiusPacket(bytes: Self.request))
        #expect(packet.code == .accessRequest && packet.identifier == 0 && packet.attributes.count == 4)
        #expect(packet.first(.userName) == Array("nemo".utf8))
        let hidden = try #require(packet.first(.userPassword))
        let password = try RadiusSecurity.revealPassword(
            hidden, secret: Self.secret, authenticator: packet.authenticator)
        #expect(password == Array("arctangent".utf8))
        #expect(packet.encoded() == Self.request, "encoding gives back the same bytes")
        var reply = try #require(
            RadiusPacket(bytes: Self.hex("02000026" + String(repeating: "00", count: 16) + Self.replyAttributes)))
        reply.authenticator = packet.authenticator
        #expect(
            try RadiusSecurity.responseAuthenticator(reply.encoded(), secret: Self.secret)
                == Self.hex("86fe220e7624ba2a1005f6bf9b55e0b2"))
    }

    @Test(
        "malformed packets are nil: short, a length beyond the datagram or outside 20...4096, attributes that do not fit, an unknown code"
    )
    func malformed() {
        let good = Self.request
        #expect(RadiusPacket(bytes: good.prefix(19)) == nil)
        #expect(RadiusPacket(bytes: good.prefix(55)) == nil, "Length says 56")
        #expect(RadiusPacket(bytes: good + [0, 0, 0]) != nil, "bytes past Length are padding")
        var short = good
        short[3] = 19
        #expect(RadiusPacket(bytes: short) == nil)
        var unknown = good
        unknown[0] = 99
        #expect(RadiusPacket(bytes: unknown) == nil)
        var zeroLength = good
        zeroLength[21] = 0
        #expect(RadiusPacket(bytes: zeroLength) == nil)
        var oneLength = good
        oneLength[21] = 1
        #expect(RadiusPacket(bytes: oneLength) == nil)
        var overflowing = good
        overflowing[51] = 7
        #expect(RadiusPacket(bytes: overflowing) == nil, "the last attribute runs past Length")
        var huge = [UInt8](repeating: 0, count: 4100)
        huge[0] = 1
        huge[2] = 0x10
        huge[3] = 0x01
        #expect(RadiusPacket(bytes: huge) == nil, "Length 4097")
    }

    @Test(
        "passwords of 0 to 128 bytes hide and reveal; a hidden value not in 16-byte blocks of 16 to 128 does not reveal"
    )
    func passwords() throws {
        let authenticator = try SecureRandom.bytes(16)
        for length in [0, 1, 15, 16, 17, 100, 128] {
            let password = (0..<length).map { UInt8(33 + $0 % 90) }
            let hidden = try RadiusSecurity.hidePassword(password, secret: Self.secret, authenticator: authenticator)
            #expect(hidden.count == max(16, (length + 15) / 16 * 16))
            #expect(
                try RadiusSecurity.revealPassword(hidden, secret: Self.secret, authenticator: authenticator) == password
            )
        }
        for length in [0, 15, 17, 144] {
            let hidden = [UInt8](repeating: 7, count: length)
            #expect(try RadiusSecurity.revealPassword(hidden, secret: Self.secret, authenticator: authenticator) == nil)
        }
        #expect(throws: (any Error).self) {
            try RadiusSecurity.hidePassword(
                [UInt8](repeating: 65, count: 129), secret: Self.secret, authenticator: authenticator)
        }
    }

    @Test("Message-Authenticator: a signed request checks; a changed byte, another secret, none or two do not")
    func messageAuthenticator() throws {
        let packet = try #require(RadiusPacket(bytes: Self.request))
        let signed = try #require(RadiusPacket(bytes: try RadiusSecurity.signed(request: packet, secret: Self.secret)))
        #expect(RadiusSecurity.hasValidMessageAuthenticator(signed, secret: Self.secret))
        #expect(!RadiusSecurity.hasValidMessageAuthenticator(signed, secret: Array("xyzzy5462".utf8)))
        #expect(!RadiusSecurity.hasValidMessageAuthenticator(packet, secret: Self.secret), "none")
        var changed = signed
        changed.attributes[0].value = Array("nemO".utf8)
        #expect(!RadiusSecurity.hasValidMessageAuthenticator(changed, secret: Self.secret))
        var twice = signed
        twice.attributes.append(signed.attributes.last!)
        #expect(!RadiusSecurity.hasValidMessageAuthenticator(twice, secret: Self.secret))
        var short = signed
        short.attributes[short.attributes.count - 1].value.removeLast()
        #expect(!RadiusSecurity.hasValidMessageAuthenticator(short, secret: Self.secret))
    }

    @Test("a signed reply is authentic for its request and secret only, and not once changed")
    func replies() throws {
        let request = try #require(RadiusPacket(bytes: Self.request))
        let reply = RadiusPacket(
            code: .accessAccept, identifier: 0, authenticator: [], attributes: [.init(.class, Array("user".utf8))])
        let bytes = try RadiusSecurity.signed(
            reply: reply, requestAuthenticator: request.authenticator, secret: Self.secret)
        #expect(
            RadiusSecurity.isAuthenticReply(bytes, requestAuthenticator: request.authenticator, secret: Self.secret))
        #expect(
            !RadiusSecurity.isAuthenticReply(
                bytes, requestAuthenticator: [UInt8](repeating: 0, count: 16), secret: Self.secret))
        #expect(
            !RadiusSecurity.isAuthenticReply(
                bytes, requestAuthenticator: request.authenticator, secret: Array("other secret".utf8)))
        var changed = bytes
        changed[0] = RadiusPacket.Code.accessReject.rawValue
        #expect(
            !RadiusSecurity.isAuthenticReply(changed, requestAuthenticator: request.authenticator, secret: Self.secret))
    }

    @Test("retransmissions: new, then in flight, then the kept answer; a dropped one is decided anew")
    func duplicates() {
        let seen = RadiusDuplicates(window: .seconds(30))
        let key = RadiusDuplicates.Key(address: "127.0.0.1", port: 4000, identifier: 9, authenticator: [1, 2])
        guard case .new = seen.begin(key), case .inFlight = seen.begin(key) else {
            Issue.record("a request in flight was not recognised")
            return
        }
        seen.finish(key, reply: [42])
        guard case .answered(let reply) = seen.begin(key) else {
            Issue.record("the answer was not kept")
            return
        }
        #expect(reply == [42])
        var other = key
        other.port = 4001
        guard case .new = seen.begin(other) else {
            Issue.record("another port is another request")
            return
        }
        seen.finish(other, reply: nil)
        guard case .new = seen.begin(other) else {
            Issue.record("a dropped request was remembered")
            return
        }
    }

    @Test("the cache stays within its capacity: when full of fresh answers, a new request is decided unremembered")
    func duplicatesBounded() {
        let seen = RadiusDuplicates(window: .seconds(30), capacity: 3)
        for port in 0..<10 {
            let key = RadiusDuplicates.Key(address: "127.0.0.1", port: port, identifier: 1, authenticator: [1])
            guard case .new = seen.begin(key) else {
                Issue.record("port \(port): not new")
                return
            }
            seen.finish(key, reply: [UInt8(port)])
        }
        #expect(seen.count == 3)
        let first = RadiusDuplicates.Key(address: "127.0.0.1", port: 0, identifier: 1, authenticator: [1])
        guard case .answered([0]) = seen.begin(first) else {
            Issue.record("the first three stay remembered")
            return
        }
    }

    @Test("the roles of an Access-Accept stop where the packet would pass 4,096 bytes, signed whole")
    func manyRoles() throws {
        let roles = (0..<200).map { "role-\($0)-" + String(repeating: "x", count: 50) }
        let attributes = RadiusResponder.roleAttributes(roles, .class)
        #expect(attributes.count > 50 && attributes.count < roles.count)
        let accept = RadiusPacket(code: .accessAccept, identifier: 1, authenticator: [], attributes: attributes)
        let signed = try RadiusSecurity.signed(
            reply: accept, requestAuthenticator: [UInt8](repeating: 7, count: 16), secret: Self.secret)
        #expect(signed.count <= RadiusPacket.maximumLength)
        #expect(RadiusPacket(bytes: signed)?.attributes.count == attributes.count + 1)
    }
}
