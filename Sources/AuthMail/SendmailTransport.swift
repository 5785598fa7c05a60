#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Hands mail to a local sendmail-compatible command (Postfix's, Exim's, msmtp) as
/// `COMMAND -i -f FROM -- TO` with the message on standard input. Exit status 0 is sent; the
/// sysexits codes that mean "later" (EX_TEMPFAIL 75, EX_UNAVAILABLE 69, EX_OSERR 71, EX_IOERR 74),
/// a command that cannot start, and one killed after `timeout` (with whatever it started) are
/// temporary; any other status is permanent.
public struct SendmailTransport: MailTransport {
    public var command: String
    public var timeout: Duration

    public init(command: String = "/usr/sbin/sendmail", timeout: Duration = .seconds(60)) {
        self.command = command
        self.timeout = timeout
    }

    static let temporaryStatuses: Set<Int32> = [69, 71, 74, 75]

    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    public func send(from: String, to: String, data: [UInt8]) async throws(MailTransportError) {
        let command = self.command
        let timeout = self.timeout
        // Spawning takes a moment; the wait is asynchronous, so no thread is held while the
        // command runs.
        let pid: pid_t
        do {
            pid = try Self.spawn(command, arguments: ["-i", "-f", from, "--", to], input: data)
        } catch {
            throw MailTransportError(temporary: true, "cannot run \(command): \(error)")
        }
        let status = await Self.exitStatus(of: pid, timeout: timeout)
        guard let status else {
            throw MailTransportError(temporary: true, "\(command) did not finish within \(timeout)")
        }
        guard status != 0 else { return }
        throw MailTransportError(
            temporary: Self.temporaryStatuses.contains(status), "\(command) exited with status \(status)")
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34 and later), which Swift's Glibc module
    /// does not declare: it closes every descriptor from 3 up in the child, including ones another
    /// thread opens between the actions being built and the spawn.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static func closeFromAction() -> AddCloseFrom? {
        dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }
    }

    /// The descriptors open in this process now (/proc/self/fd), for a libc without closefrom; one
    /// closed meanwhile is skipped by posix_spawn's close action.
    private static func openDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        var found: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let descriptor = Int32(name) { found.append(descriptor) }
        }
        return found
    }

    /// Starts the command in its own process group. Standard input is an unlinked temporary file
    /// holding `input` (no pipe: nothing to block on, no SIGPIPE); output goes to /dev/null.
    private static func spawn(_ command: String, arguments: [String], input: [UInt8]) throws -> pid_t {
        var template = Array("/tmp/authd-mail-XXXXXX".utf8CString)
        let file = mkstemp(&template)
        guard file >= 0 else { throw SpawnError(description: "a temporary file for the message: errno \(errno)") }
        unlink(template)
        defer { close(file) }
        var written = 0
        while written < input.count {
            let count = input[written...].withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
            guard count > 0 else { throw SpawnError(description: "writing the message: errno \(errno)") }
            written += count
        }
        lseek(file, 0, SEEK_SET)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, file, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of authd's (sockets, the database's connections, files) reaches the command.
        if let closeFrom = Self.closeFromAction() {
            _ = closeFrom(&actions, 3)
        } else {
            for descriptor in Self.openDescriptors() where descriptor > 2 {
                posix_spawn_file_actions_addclose(&actions, descriptor)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, so a timeout kills whatever it started too.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let argv = ([command] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw SpawnError(description: String(cString: strerror(spawned))) }

        return pid
    }

    /// The command's exit status (128 + the signal when one ended it); nil when it ran past
    /// `timeout` (or the task was cancelled) and its process group was killed.
    private static func exitStatus(of pid: pid_t, timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            guard ContinuousClock.now < deadline, !Task.isCancelled else {
                kill(-pid, SIGKILL)
                waitpid(pid, &status, 0)
                return nil
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
