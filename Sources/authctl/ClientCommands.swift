import ArgumentParser
import AuthCore
import AuthHooks
import AuthLineProtocol
import Foundation

/// Options shared by the commands that talk to a running authd over the line protocol.
struct LineOptions: ParsableArguments {
    @Option(name: .long, help: "authd's line-protocol address.")
    var addr = "127.0.0.1:5001"
    @Option(name: .long, help: "Identify as this configured line client (line.clients) before the request.")
    var client: String?
    @Option(name: .long, help: "File holding the client's key (with --client).")
    var keyFile: String?

    func validate() throws {
        guard (client == nil) == (keyFile == nil) else { throw ValidationError("--client and --key-file go together") }
    }

    /// The CLIENT request for `--client`, with the key read from `--key-file`.
    func clientRequest() throws -> LineRequest? {
        guard let client, let keyFile else { return nil }
        guard let data = FileManager.default.contents(atPath: keyFile),
            let key = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .newlines), !key.isEmpty
        else { throw ValidationError("cannot read a key from \(keyFile)") }
        return LineRequest(command: "CLIENT", id: "c", fields: ["name=\(client)", "key=\(key)"])
    }
}

/// Exit status of the client commands: 0 OK, 1 NO, 2 TEMP or unreachable, 3 BAD or usage.
enum ClientExit {
    /// Sends `request` (after `CLIENT` when `line` names a client), prints the reply and exits with
    /// its status; a refused `CLIENT` is the reply then.
    static func run(_ line: LineOptions, _ request: LineRequest) throws -> Never {
        var reply: LineReply
        do {
            let client = try LineClient(address: line.addr)
            reply = LineReply(.ok, id: "c")
            if let identify = try line.clientRequest() { reply = try client.exchange(identify) }
            if reply.status == .ok { reply = try client.exchange(request) }
        } catch {
            printError("authctl: \(error)")
            throw ExitCode(2)
        }
        let attributes = reply.attributes.map { "\($0.key)=\($0.value)" }
        print(([reply.status.rawValue] + attributes).joined(separator: " "))
        switch reply.status {
        case .ok: throw ExitCode(0)
        case .no: throw ExitCode(1)
        case .temp: throw ExitCode(2)
        case .bad: throw ExitCode(3)
        }
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that authd answers on the line protocol.")
    @OptionGroup var line: LineOptions

    func run() throws { try ClientExit.run(line, LineRequest(command: "PING", id: "1")) }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Verify an access token; prints its user and roles.")
    @OptionGroup var line: LineOptions
    @Argument(help: "The access token.") var token: String

    func run() throws { try ClientExit.run(line, LineRequest(command: "VERIFY", id: "1", fields: [token])) }
}

struct HasRole: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "has-role", abstract: "Exit 0 if the token is valid and carries the role.")
    @OptionGroup var line: LineOptions
    @Argument(help: "The access token.") var token: String
    @Argument(help: "The role.") var role: String

    func run() throws {
        try ClientExit.run(line, LineRequest(command: "HASROLE", id: "1", fields: [token, role]))
    }
}

struct HasPerm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "has-perm", abstract: "Exit 0 if the token is valid and one of its roles grants the permission.")
    @OptionGroup var line: LineOptions
    @Argument(help: "The access token.") var token: String
    @Argument(help: "The permission, e.g. users:read.") var permission: String

    func run() throws {
        try ClientExit.run(line, LineRequest(command: "HASPERM", id: "1", fields: [token, permission]))
    }
}

struct Auth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a user's password (read from standard input, never from the command line).")
    @OptionGroup var line: LineOptions
    @Option(name: .long, help: "The service whose stack decides.") var service: String
    @Option(name: .long, help: "The username.") var user: String
    @Option(name: .long, help: "A one-time code, for services that require one.") var otp: String?

    func run() throws {
        try ClientExit.run(line, .auth(service: service, user: user, otp: otp, password: readPassword()))
    }
}

/// `authctl pam`: for `pam_exec.so expose_authtok`. pam_exec passes the user and service in
/// PAM_USER and PAM_SERVICE and writes the password, NUL-terminated, to standard input.
struct Pam: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Authenticate for pam_exec (expose_authtok): exit 0 to allow, 1 to deny.")
    @OptionGroup var line: LineOptions
    @Option(name: .long, help: "authd service to ask (default: PAM_SERVICE).") var service: String?
    @Flag(name: .customLong("ignore-rhost"), help: "Do not pass PAM_RHOST (the stack sees this host's address).")
    var ignoreRemoteHost = false
    @Flag(
        name: .customLong("otp-line"),
        help: "A one-time code follows the password on standard input, on its own line (pam_authd.so otp).")
    var otpLine = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["PAM_TYPE"].map({ $0 == "auth" }) ?? true else {
            ClientExit.printError("authctl pam: only the auth type is supported")
            throw ExitCode(1)
        }
        guard let user = environment["PAM_USER"], let service = service ?? environment["PAM_SERVICE"] else {
            ClientExit.printError("authctl pam: PAM_USER and PAM_SERVICE must be set (run it from pam_exec)")
            throw ExitCode(1)
        }
        // The SSH (or other remote) client's address, for the stack's source and lockout checks.
        // authd believes it only from an authenticated client, and without it every remote login
        // would look like this host's own: refuse rather than let the stack check the wrong address.
        var remote: String?
        if let rhost = environment["PAM_RHOST"], !rhost.isEmpty, !ignoreRemoteHost {
            guard line.client != nil else {
                ClientExit.printError("authctl pam: PAM_RHOST is set: give --client and --key-file so authd can use it")
                throw ExitCode(1)
            }
            guard IPAddress(rhost) != nil else {
                ClientExit.printError("authctl pam: PAM_RHOST is not an IP address (sshd: UseDNS no)")
                throw ExitCode(1)
            }
            remote = rhost
        }
        let input = readInputLines()
        let otp = otpLine ? input.dropFirst().first.flatMap { String(validating: $0, as: UTF8.self) } : nil
        do {
            try ClientExit.run(
                line,
                .auth(
                    service: service, user: user, otp: otp.flatMap { $0.isEmpty ? nil : $0 }, remoteAddress: remote,
                    password: input.first ?? []))
        } catch let exit as ExitCode where exit.rawValue != 0 {
            throw ExitCode(1)
        }
    }
}

/// The first line of standard input, without its terminator (newline or pam_exec's NUL).
func readPassword() -> [UInt8] {
    readInputLines().first ?? []
}

/// Standard input's lines, each ended by a newline or (pam_exec) a NUL, without a trailing CR.
func readInputLines() -> [[UInt8]] {
    let bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
    return bytes.split(omittingEmptySubsequences: false) { $0 == 0 || $0 == UInt8(ascii: "\n") }.map { line in
        Array(line.last == UInt8(ascii: "\r") ? line.dropLast() : line)
    }
}
