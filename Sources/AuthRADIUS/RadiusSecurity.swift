import AuthCore
import AuthCrypto

/// RADIUS's shared-secret cryptography: the User-Password hiding of RFC 2865 §5.2, the Response
/// Authenticator of §3, and the Message-Authenticator of RFC 3579 §3.2, which authd requires on
/// every Access-Request and sets on every reply (the BlastRADIUS fix, CVE-2024-3596: without it
/// an attacker in the path can forge an Access-Accept by an MD5 collision on the authenticator).
public enum RadiusSecurity {
    /// A password longer than this cannot be hidden (RFC 2865 §5.2).
    public static let maximumPasswordLength = 128

    /// The hidden User-Password of an Access-Request with `authenticator`, as a client sends it.
    public static func hidePassword(_ password: [UInt8], secret: [UInt8], authenticator: [UInt8]) throws -> [UInt8] {
        guard password.count <= maximumPasswordLength else { throw AuthError(.invalidInput, "password too long") }
        let blocks = max(1, (password.count + 15) / 16)
        let padded = password + [UInt8](repeating: 0, count: blocks * 16 - password.count)
        var hidden: [UInt8] = []
        var previous = authenticator
        for block in 0..<blocks {
            let mask = try MD5.hash(secret + previous)
            let cipher = (0..<16).map { padded[block * 16 + $0] ^ mask[$0] }
            hidden += cipher
            previous = cipher
        }
        return hidden
    }

    /// The password a hidden User-Password holds (its NUL padding removed); nil when it is not
    /// 16 to 128 bytes in whole 16-byte blocks.
    public static func revealPassword(_ hidden: [UInt8], secret: [UInt8], authenticator: [UInt8]) throws -> [UInt8]? {
        guard (16...maximumPasswordLength).contains(hidden.count), hidden.count % 16 == 0 else { return nil }
        var plain: [UInt8] = []
        var previous = authenticator
        for start in stride(from: 0, to: hidden.count, by: 16) {
            let cipher = Array(hidden[start..<(start + 16)])
            let mask = try MD5.hash(secret + previous)
            plain += (0..<16).map { cipher[$0] ^ mask[$0] }
            previous = cipher
        }
        while plain.last == 0 { plain.removeLast() }
        return plain
    }

    /// Whether `request` carries exactly one Message-Authenticator, 16 bytes, that is the
    /// HMAC-MD5 under `secret` of the packet with that value zeroed; compared in constant time.
    public static func hasValidMessageAuthenticator(_ request: RadiusPacket, secret: [UInt8]) -> Bool {
        guard request.count(.messageAuthenticator) == 1, let given = request.first(.messageAuthenticator),
            given.count == 16, let expected = try? messageAuthenticator(of: request, secret: secret)
        else { return false }
        return ConstantTime.equals(given, expected)
    }

    /// A request as a client signs it: its Message-Authenticator (added or replaced) filled in.
    public static func signed(request: RadiusPacket, secret: [UInt8]) throws -> [UInt8] {
        var packet = request
        packet.attributes.removeAll { $0.type == RadiusPacket.AttributeType.messageAuthenticator.rawValue }
        packet.attributes.append(.init(.messageAuthenticator, [UInt8](repeating: 0, count: 16)))
        let mac = try messageAuthenticator(of: packet, secret: secret)
        packet.attributes[packet.attributes.count - 1].value = mac
        return packet.encoded()
    }

    /// A reply to the request whose authenticator is `requestAuthenticator`: a Message-Authenticator
    /// (the first attribute) computed with the request's authenticator in the header (RFC 3579
    /// §3.2), then the Response
    /// Authenticator, MD5(Code + Identifier + Length + Request Authenticator + Attributes + Secret).
    /// Without `messageAuthenticator` (an Accounting-Response to an Accounting-Request, which
    /// RFC 2866 signs with the Response Authenticator alone and FreeRADIUS's clients check no
    /// Message-Authenticator on), the Response Authenticator only.
    public static func signed(
        reply: RadiusPacket, requestAuthenticator: [UInt8], secret: [UInt8], messageAuthenticator withMAC: Bool = true
    ) throws -> [UInt8] {
        var packet = reply
        packet.authenticator = requestAuthenticator
        packet.attributes.removeAll { $0.type == RadiusPacket.AttributeType.messageAuthenticator.rawValue }
        if withMAC {
            // First, as the BlastRADIUS advisory asks of servers: nothing an attacker chose precedes it.
            packet.attributes.insert(.init(.messageAuthenticator, [UInt8](repeating: 0, count: 16)), at: 0)
            packet.attributes[0].value = try messageAuthenticator(of: packet, secret: secret)
        }
        var bytes = packet.encoded()
        bytes.replaceSubrange(4..<20, with: try responseAuthenticator(bytes, secret: secret))
        return bytes
    }

    /// Whether `bytes` is a reply to the request with `requestAuthenticator` signed with
    /// `secret`: its Response Authenticator and Message-Authenticator both check (what a client
    /// does); an Accounting-Response needs the Message-Authenticator only when it carries one.
    public static func isAuthenticReply(_ bytes: [UInt8], requestAuthenticator: [UInt8], secret: [UInt8]) -> Bool {
        guard let reply = RadiusPacket(bytes: bytes) else { return false }
        var unsigned = reply
        unsigned.authenticator = requestAuthenticator
        guard let expected = try? responseAuthenticator(unsigned.encoded(), secret: secret),
            ConstantTime.equals(expected, reply.authenticator)
        else { return false }
        if reply.code == .accountingResponse, reply.count(.messageAuthenticator) == 0 { return true }
        return hasValidMessageAuthenticator(unsigned, secret: secret)
    }

    /// Whether an Accounting-Request's Request Authenticator is MD5(Code + Identifier + Length +
    /// 16 zero octets + Attributes + Secret) (RFC 2866 §3), compared in constant time; and its
    /// Message-Authenticator, when it carries one, checks too.
    public static func isAuthenticAccountingRequest(_ request: RadiusPacket, secret: [UInt8]) -> Bool {
        var zeroed = request
        zeroed.authenticator = [UInt8](repeating: 0, count: 16)
        guard let expected = try? MD5.hash(zeroed.encoded() + secret),
            ConstantTime.equals(expected, request.authenticator)
        else { return false }
        guard request.count(.messageAuthenticator) > 0 else { return true }
        return hasValidMessageAuthenticator(zeroed, secret: secret)
    }

    /// An Accounting-Request as a NAS signs it (for tests and the benchmark).
    public static func signed(accountingRequest: RadiusPacket, secret: [UInt8]) throws -> [UInt8] {
        var packet = accountingRequest
        packet.authenticator = [UInt8](repeating: 0, count: 16)
        var bytes = packet.encoded()
        bytes.replaceSubrange(4..<20, with: try MD5.hash(bytes + secret))
        return bytes
    }

    /// MD5 over a reply encoded with the request's authenticator in its header, and the secret.
    static func responseAuthenticator(_ encoded: [UInt8], secret: [UInt8]) throws -> [UInt8] {
        try MD5.hash(encoded + secret)
    }

    private static func messageAuthenticator(of packet: RadiusPacket, secret: [UInt8]) throws -> [UInt8] {
        var zeroed = packet
        for index in zeroed.attributes.indices
        where zeroed.attributes[index].type == RadiusPacket.AttributeType.messageAuthenticator.rawValue {
            zeroed.attributes[index].value = [UInt8](repeating: 0, count: 16)
        }
        return try MD5.hmac(key: secret, message: zeroed.encoded())
    }
}
