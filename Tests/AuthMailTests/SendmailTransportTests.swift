import AuthCrypto
import Testing

@testable import AuthMail

#if canImport(Foundation)
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

@Suite("sendmail-compatible command")
struct SendmailTransportTests {
    /// A sendmail stand-in that records its arguments and input beside itself, then exits `status`
    /// (after `sleep` seconds).
    static func command(status: Int, sleep: Int = 0) throws -> (path: String, directory: String) {
        let directory = NSTemporaryDirectory() + "sendmail-" + Hex.encode(try SecureRandom.bytes(6))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/sendmail"
        let script = """
            #!/bin/sh
            printf '%s\\n' "$@" > "\(directory)/arguments"
            cat > "\(directory)/input"
            ls -l /proc/$$/fd > "\(directory)/descriptors"
            sleep \(sleep)
            exit \(status)

            """
        // Written through a descriptor no process started meanwhile (by a test beside this one)
        // inherits: one still open for writing elsewhere makes exec fail with ETXTBSY.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        #expect(descriptor >= 0)
        _ = Array(script.utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
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

    @Test("the message on standard input with -i -f FROM -- TO; exit 0 is sent; no other descriptor is passed on")
    func sends() async throws {
        let (path, directory) = try Self.command(status: 0)
        // A descriptor of this process that a careless spawn would hand to the command.
        let sentinel = open(directory + "/sentinel", O_WRONLY | O_CREAT, 0o600)
        defer { close(sentinel) }
        #expect(await Self.send(SendmailTransport(command: path)) == nil)
        let descriptors = try String(contentsOfFile: directory + "/descriptors", encoding: .utf8)
        #expect(!descriptors.contains("sentinel") && !descriptors.contains("socket:"), "\(descriptors)")
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
