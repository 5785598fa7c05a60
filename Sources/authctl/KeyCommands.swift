import ArgumentParser
import AuthCrypto
import Foundation

/// `authctl key`: the key pairs access tokens are signed with (jwt.signing_key_file).
struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Signing keys for EdDSA, ES256 or RS256 tokens.", subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new private key as PEM (mode 0600, never over an existing file) and print its kid.",
            discussion: """
                Point jwt.signing_key_file at the file and set jwt.algorithm on every instance; list the \
                previous key in jwt.previous_key_files until the tokens it signed have expired.
                """)

        @Option(name: .long, help: "EdDSA (Ed25519), ES256 (P-256) or RS256 (RSA, 3072 bits).")
        var alg: String

        @Option(name: .long, help: "The file to create.")
        var out: String

        func validate() throws {
            guard let algorithm = JWSAlgorithm(rawValue: alg), algorithm != .hs256 else {
                throw ValidationError("--alg must be EdDSA, ES256 or RS256")
            }
        }

        func run() throws {
            let key = try SigningKey.generate(JWSAlgorithm(rawValue: alg) ?? .edDSA)
            let pem = Array(try key.privatePEM().utf8)
            // O_EXCL: an existing key is never replaced; the mode is set at creation, so the key is
            // never readable by others, not even for a moment.
            let descriptor = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                let reason =
                    errno == EEXIST ? "it exists; remove it or choose another path" : String(cString: strerror(errno))
                ClientExit.printError("cannot create \(out): \(reason)")
                throw ExitCode(1)
            }
            defer { close(descriptor) }
            let written = pem.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == pem.count, fsync(descriptor) == 0 else {
                unlink(out)
                ClientExit.printError("cannot write \(out): \(String(cString: strerror(errno)))")
                throw ExitCode(1)
            }
            print("kid=\(try key.thumbprint()) alg=\(key.algorithm.rawValue) file=\(out)")
        }
    }
}
