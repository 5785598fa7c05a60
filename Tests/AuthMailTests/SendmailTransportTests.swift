import AuthCrypto
import Testing

@testable import AuthMail

#if canImport(Foundation)
    import Foundation
#endif

@Suite("sendmail-compatible command")
struct SendmailTransportTests {
    /// A sendmail stand-in that records its arguments and input beside itself, then exits `status`
    /// (after `sleep` seconds).
    static func command(status: Int, sleep: Int = 0) throws -> (path: String, directory: String) {
        let directory = NSTemporaryDirectory() + "sendmail-" + Hex.encode(try SecureRandom.bytes(6))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/sendmail"
        try """
        #!/bin/sh
        printf '%s\\n' "$@" > "\(directory)/arguments"
        cat > "\(directory)/input"
        sleep \(sleep)
        exit \(status)

        """.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (path, directory)
    }

    static func send(_ transport: SendmailTransport) async -> MailTransportError? {
        do {
            try await transport.send(
                from: "no-reply@example.com", to: "ann@example.com", data: Array("Subject: x\r\n\r\n.hi\r\n".utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test("the message on standard input with -i -f FROM -- TO; exit 0 is sent")
    func sends() async throws {
        let (path, directory) = try Self.command(status: 0)
        #expect(await Self.send(SendmailTransport(command: path)) == nil)
        let arguments = try String(contentsOfFile: directory + "/arguments", encoding: .utf8)
        #expect(arguments == "-i\n-f\nno-reply@example.com\n--\nann@example.com\n")
        #expect(try String(contentsOfFile: directory + "/input", encoding: .utf8) == "Subject: x\r\n\r\n.hi\r\n")
    }

    @Test("EX_TEMPFAIL and its kin are temporary, other statuses permanent; a missing or hung command temporary")
    func failures() async throws {
        for (status, temporary) in [(75, true), (69, true), (1, false), (67, false)] {
            let failure = await Self.send(SendmailTransport(command: try Self.command(status: status).path))
            #expect(failure?.temporary == temporary, "exit \(status)")
        }
        #expect(await Self.send(SendmailTransport(command: "/nonexistent/sendmail"))?.temporary == true)
        let started = ContinuousClock.now
        let hung = await Self.send(
            SendmailTransport(command: try Self.command(status: 0, sleep: 30).path, timeout: .seconds(1)))
        #expect(hung?.temporary == true && ContinuousClock.now - started < .seconds(10))
    }
}
