import AuthCore
import Logging
import Testing

@testable import AuthLineProtocol

@Suite("line protocol: every AuthError code has its reply")
struct ErrorReplyTests {
    /// Codes answered TEMP: the client should retry. Everything else is a definite NO.
    static let retryable: Set<AuthError.Code> = [.busy, .unavailable, .mfaUnavailable, .rateLimited, .internal]

    @Test("TEMP only for what a retry can fix, NO with a stable reason otherwise", arguments: AuthError.Code.allCases)
    func reply(_ code: AuthError.Code) {
        let reply = LineCommands.reply(id: "7", error: AuthError(code, "message"), logger: Logger(label: "test"))
        #expect(reply.id == "7")
        #expect((reply.status == .temp) == Self.retryable.contains(code))
        #expect(reply.status == .temp || reply.status == .no)
        #expect(reply.attributes.first?.key == "reason")
    }
}
