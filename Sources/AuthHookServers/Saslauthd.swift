public import AuthCore
public import Logging
public import NIOCore

/// saslauthd's request framing: four strings (login, password, service, realm), each a 16-bit
/// big-endian length and that many bytes, passed on as one frame once all four are in.
public struct SaslauthdFrameDecoder: DropsPartialFrameAtEOF {
    public typealias InboundOut = ByteBuffer

    /// saslauthd's own limit for each string.
    public static let maximumFieldLength = 256

    public struct Malformed: Error {
        public let message: String
    }

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var offset = buffer.readerIndex
        for _ in 0..<4 {
            guard let length = buffer.getInteger(at: offset, as: UInt16.self) else { return .needMoreData }
            guard Int(length) <= Self.maximumFieldLength else { throw Malformed(message: "a field over 256 bytes") }
            offset += 2 + Int(length)
            guard offset <= buffer.writerIndex else { return .needMoreData }
        }
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: offset - buffer.readerIndex)!))
        return .continue
    }

}

/// One Cyrus SASL consumer's request on authd's saslauthd socket: login, password, service and
/// realm, answered `OK` when the stack named by the service (or `saslauthd.service`) accepts,
/// `NO` otherwise (the same for every refusal); the connection is then closed, as saslauthd does.
public struct SaslauthdConversation: HookConversation {
    let service: AuthService
    let logger: Logger
    /// The stack for every request; nil: the one the request names.
    let stack: String?

    public init(service: AuthService, logger: Logger, stack: String?) {
        self.service = service
        self.logger = logger
        self.stack = stack
    }

    public func greeting() -> [UInt8] { [] }

    public mutating func handle(_ frame: [UInt8]) async -> HookStep {
        let fields = Self.fields(frame)
        guard fields.count == 4, let user = String(validating: fields[0], as: UTF8.self), !user.isEmpty,
            let password = String(validating: fields[1], as: UTF8.self),
            let named = String(validating: fields[2], as: UTF8.self)
        else {
            logger.notice("saslauthd: a request without a UTF-8 login, password and service")
            return Self.reply("NO malformed request")
        }
        let stackName = stack ?? named
        guard Identity.isServiceName(stackName) else {
            logger.notice("saslauthd: a service name that is no stack's", metadata: ["service": "\(named.prefix(32))"])
            return Self.reply("NO unknown service")
        }
        do {
            _ = try await service.authenticate(service: stackName, username: user, password: password)
            return Self.reply("OK")
        } catch {
            switch HookVerdict(error) {
            case .refused: return Self.reply("NO authentication failed")
            case .temporary: return Self.reply("NO temporary failure, try again later")
            case .misconfigured:
                logger.error("saslauthd: the request could not be checked", metadata: ["error": "\(error)"])
                return Self.reply("NO temporary failure, try again later")
            }
        }
    }

    static func fields(_ frame: [UInt8]) -> [ArraySlice<UInt8>] {
        var fields: [ArraySlice<UInt8>] = []
        var index = 0
        while index + 2 <= frame.count {
            let length = Int(frame[index]) << 8 | Int(frame[index + 1])
            guard index + 2 + length <= frame.count else { break }
            fields.append(frame[(index + 2)..<(index + 2 + length)])
            index += 2 + length
        }
        return fields
    }

    /// A length-prefixed reply; saslauthd closes the connection after it.
    static func reply(_ text: String) -> HookStep {
        let bytes = Array(text.utf8)
        var step = HookStep(close: true)
        step.output = [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        return step
    }
}
