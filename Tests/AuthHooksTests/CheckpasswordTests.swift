import AuthLineProtocol
import Testing

@testable import AuthHooks

@Suite("checkpassword")
struct CheckpasswordTests {
    @Test("fd 3's user and password, with or without the timestamp field")
    func credentials() {
        #expect(
            Checkpassword.credentials(Array("alice\0pass word\0\0".utf8))
                == Checkpassword.Credentials(user: "alice", password: Array("pass word".utf8)))
        #expect(Checkpassword.credentials(Array("alice\0pw\0".utf8))?.password == Array("pw".utf8))
        #expect(Checkpassword.credentials(Array("alice\0\0\0".utf8))?.password == [])
    }

    @Test(
        "malformed input is refused",
        arguments: [
            Array("alice".utf8), Array("alice\0pw".utf8), Array("\0pw\0\0".utf8), [0xFF, 0, 0x41, 0, 0], [],
            Array("a\0".utf8) + [UInt8](repeating: 0x41, count: 600) + [0, 0],
        ])
    func malformed(input: [UInt8]) {
        #expect(Checkpassword.credentials(input) == nil)
    }

    @Test("only OK accepts; NO for the password or the stack refuses; anything else is temporary")
    func exits() {
        #expect(Checkpassword.exit(for: LineReply(.ok, id: "1", [("user", "a")])) == .accepted)
        #expect(Checkpassword.exit(for: .no("1", "auth_failed")) == .refused)
        #expect(Checkpassword.exit(for: .no("1", "forbidden")) == .refused)
        #expect(Checkpassword.exit(for: .no("1", "unknown_service")) == .temporaryFailure)
        #expect(Checkpassword.exit(for: .temp("1", "busy")) == .temporaryFailure)
        #expect(Checkpassword.exit(for: .bad("1", "bad_resp")) == .temporaryFailure)
        #expect(Checkpassword.exit(for: nil) == .temporaryFailure)
    }
}
