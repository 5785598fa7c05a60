import ArgumentParser
import AuthCore
import AuthHooks
import AuthLineProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `auth_param basic program … authctl squid-basic`: Squid's basic-auth helper, kept running by
/// Squid, on one pipelined line-protocol connection.
struct SquidBasic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "squid-basic",
        abstract: "Squid basic-auth helper: checks user and password with a service's stack (config/squid).")
    @OptionGroup var line: LineOptions
    @Option(name: .long, help: "The service whose stack decides.") var service = "squid"
    @Flag(name: .long, help: "Squid runs the helper with concurrency=N (N > 0): lines start with a channel ID.")
    var concurrent = false

    func run() throws {
        let dialect = SquidBasicAuth(
            service: service, concurrent: concurrent, forwardsClientAddress: line.client != nil)
        try HookRuntime(name: "squid-basic", line: line).loop(dialect, maximumLineLength: SquidHelper.maximumLineLength)
    }
}

/// `external_acl_type … %>{Proxy-Authorization} authctl squid-acl`: Squid's external ACL helper for
/// bearer tokens, with a role when the ACL or `--role` names one.
struct SquidACL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "squid-acl",
        abstract: "Squid external ACL helper: OK for a valid bearer token (holding the role, if one is named).")
    @OptionGroup var line: LineOptions
    @Option(name: .long, help: "Role the token must carry (an argument on the acl line takes its place).")
    var role: String?
    @Flag(name: .long, help: "Squid runs the helper with concurrency=N (N > 0): lines start with a channel ID.")
    var concurrent = false

    func run() throws {
        try HookRuntime(name: "squid-acl", line: line)
            .loop(SquidTokenACL(role: role, concurrent: concurrent), maximumLineLength: SquidHelper.maximumLineLength)
    }
}

/// Dovecot's `checkpassword` passdb: one process per login, credentials on fd 3, the reply program
/// (Dovecot's checkpassword-reply) run with `USER` set when the stack accepts.
struct CheckpasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpassword",
        abstract: "Dovecot checkpassword passdb: exit 1 to refuse, 111 when authd cannot answer (config/dovecot).")
    @OptionGroup var line: LineOptions
    @Option(name: .long, help: "The service whose stack decides (default: Dovecot's SERVICE).") var service: String?
    @Flag(name: .customLong("ignore-remote-ip"), help: "Do not pass TCPREMOTEIP (the stack sees this host's address).")
    var ignoreRemoteIP = false
    @Argument(parsing: .captureForPassthrough, help: "The reply program and its arguments (Dovecot adds them).")
    var reply: [String] = []

    func run() throws {
        let runtime: HookRuntime
        do {
            runtime = try HookRuntime(name: "checkpassword", line: line)
        } catch {
            ClientExit.printError("authctl checkpassword: \(error)")
            throw ExitCode(Checkpassword.Exit.temporaryFailure.rawValue)
        }
        let environment = ProcessInfo.processInfo.environment
        guard environment["AUTHORIZED"] == nil else {
            runtime.log(
                "lookups without a password (userdb, non-plaintext mechanisms) are not supported: use "
                    + "userdb prefetch or static, and plaintext mechanisms")
            throw ExitCode(Checkpassword.Exit.temporaryFailure.rawValue)
        }
        guard let program = reply.first, let service = service ?? environment["SERVICE"] else {
            runtime.log("give the reply program as arguments and --service or SERVICE (run it from Dovecot)")
            throw ExitCode(Checkpassword.Exit.usage.rawValue)
        }
        guard let credentials = Checkpassword.credentials(readAll(fd: 3, limit: Checkpassword.maximumInputLength + 1))
        else {
            runtime.log("fd 3 does not hold user NUL password NUL (at most 512 bytes)")
            throw ExitCode(Checkpassword.Exit.usage.rawValue)
        }
        // Like `authctl pam`: the end client's address counts for the stack only from a line client;
        // without one every login would count against this host, so refuse rather than guess.
        var remote: String?
        if let address = environment["TCPREMOTEIP"], !address.isEmpty, !ignoreRemoteIP {
            guard line.client != nil else {
                runtime.log(
                    "TCPREMOTEIP is set: give --client and --key-file so authd can use it, or --ignore-remote-ip")
                throw ExitCode(Checkpassword.Exit.temporaryFailure.rawValue)
            }
            remote = address
        }
        let request = LineRequest.auth(
            service: service, user: credentials.user, remoteAddress: remote, password: credentials.password)
        let answer = runtime.link.exchange([request])[0]
        let outcome = Checkpassword.exit(for: answer)
        if outcome == .temporaryFailure, let answer {
            runtime.log("authd answered \(answer.status.rawValue) \(answer.attributes.map { "\($0.key)=\($0.value)" })")
        }
        guard outcome == .accepted, let user = answer?.attributes.first(where: { $0.key == "user" })?.value else {
            throw ExitCode(outcome.rawValue)
        }
        setenv("USER", user, 1)
        var arguments = reply.map { strdup($0) } + [nil]
        execv(program, &arguments)
        runtime.log("cannot run the reply program \(program): \(String(cString: strerror(errno)))")
        throw ExitCode(Checkpassword.Exit.temporaryFailure.rawValue)
    }

    private func readAll(fd: Int32, limit: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: limit)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, limit - bytes.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk.prefix(count)
        }
        return bytes
    }
}

/// What every hook shares: its log lines on standard error (which its server keeps) and its link to
/// authd.
struct HookRuntime {
    let name: String
    let link: HelperLink

    init(name: String, line: LineOptions) throws {
        self.name = name
        let prefix = "authctl \(name): "
        self.link = HelperLink(.init(address: line.addr, client: try line.clientRequest())) {
            ClientExit.printError(prefix + $0)
        }
    }

    func log(_ message: String) { ClientExit.printError("authctl \(name): \(message)") }

    func loop(_ dialect: some HelperDialect, maximumLineLength: Int) {
        HelperLoop(link: link, log: log).run(dialect, maximumLineLength: maximumLineLength)
    }
}
