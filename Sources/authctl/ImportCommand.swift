import ArgumentParser
import AuthCore
import AuthHTTP
import AuthImport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension UserCommand {
    /// `authctl user import`: accounts with their password hashes from the seed app, CSV, JSON
    /// lines, shadow or htpasswd (README, "Moving to authd").
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import accounts with their password hashes (verified at login, then replaced by authd's own).",
            discussion: """
                Exit status: 0 when every row was imported or already there (or --skip-invalid), 1 when \
                rows were skipped, 2 when the database is away, 3 for a file that cannot be read.
                """)
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The export to read (- for standard input).") var file: String?
        @Option(name: .long, help: "csv, jsonl, shadow or htpasswd.") var format: String?
        @Option(name: .customLong("from-flask"), help: "The seed Flask app's SQLite users.db.") var flask: String?
        @Option(name: .long, help: "shadow/htpasswd: e-mail addresses, e.g. '{username}@example.com'.")
        var emailTemplate: String?
        @Option(name: .long, help: "shadow: the passwd file listing the accounts.") var passwd = "/etc/passwd"
        @Option(name: .long, help: "shadow: the lowest uid imported (below are system accounts).") var minUid = 1000
        @Flag(name: .long, help: "Report what would happen; write nothing.") var dryRun = false
        @Flag(name: .long, help: "Exit 0 even when rows were skipped (each is still reported).") var skipInvalid = false
        @Flag(name: .long, help: "Create roles the rows name that do not exist, instead of skipping them.")
        var createRoles = false
        @Option(name: .long, help: "Rows per transaction.") var batchSize = 10_000

        func validate() throws {
            guard (flask == nil) != (file == nil) else {
                throw ValidationError("give a FILE with --format, or --from-flask users.db")
            }
            guard flask == nil || format == nil else {
                throw ValidationError("--from-flask reads the seed app's database: no --format")
            }
            guard flask != nil || ["csv", "jsonl", "shadow", "htpasswd"].contains(format ?? "") else {
                throw ValidationError("--format csv, jsonl, shadow or htpasswd is needed with a FILE")
            }
        }

        func run() async throws {
            let format = flask != nil ? .flask : ImportFormat(rawValue: self.format!)!
            let source: ImportSource
            do {
                source = try ImportSource.open(
                    format, path: flask ?? file!,
                    options: ImportSourceOptions(emailTemplate: emailTemplate, passwdPath: passwd, minimumUID: minUid))
            } catch {
                ClientExit.printError("authctl: \(error)")
                throw ExitCode(3)
            }
            let meter = ProgressMeter(source: source)
            var report = ImportReport()
            let importOptions = ImportOptions(
                dryRun: dryRun, createRoles: createRoles, batchSize: batchSize, source: format.rawValue)
            try await options.withAdmin(connections: importOptions.concurrency) { admin, actor in
                report = try await admin.importUsers(
                    source.async, options: importOptions,
                    by: actor, progress: meter.update, notice: { ClientExit.printError("authctl: \($0)") })
            }
            meter.finish()
            if options.json {
                try options.printJSON(ImportReportResponse(report, dryRun: dryRun))
            } else {
                print(Self.summary(report, dryRun: dryRun))
            }
            if let failure = source.readFailure {
                ClientExit.printError("authctl: \(failure); the rows before it were imported")
                throw ExitCode(3)
            }
            if report.skipped > 0, !skipInvalid { throw ExitCode(1) }
        }

        static func summary(_ report: ImportReport, dryRun: Bool) -> String {
            var text = "\(report.read) rows: \(report.imported) \(dryRun ? "would be imported" : "imported"), "
            text += "\(report.unchanged) already there, \(report.skipped) skipped"
            if !report.skippedByCode.isEmpty {
                text +=
                    " ("
                    + report.skippedByCode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                    .joined(separator: ", ") + ")"
            }
            if report.warnings > 0 { text += ", \(report.warnings) imported without MFA" }
            if !report.createdRoles.isEmpty { text += "; roles created: \(report.createdRoles.joined(separator: ","))" }
            return dryRun ? text + "; dry run: nothing was written" : text
        }
    }
}

/// The progress of an import on standard error: one line rewritten in place on a terminal (rows,
/// rows/s, ETA from how far into the file the reading is), a plain line every few seconds otherwise.
final class ProgressMeter {
    private let source: ImportSource
    private let start = ContinuousClock.now
    private var last = ContinuousClock.now
    private let terminal = isatty(STDERR_FILENO) == 1
    private var drawn = false

    init(source: ImportSource) { self.source = source }

    func update(_ report: ImportReport) {
        let now = ContinuousClock.now
        guard now - last >= (terminal ? .milliseconds(200) : .seconds(5)) else { return }
        last = now
        let line = describe(report, elapsed: now - start)
        if terminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            drawn = true
        } else {
            FileHandle.standardError.write(Data("authctl: \(line)\n".utf8))
        }
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func describe(_ report: ImportReport, elapsed: Duration) -> String {
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 0.001)
        let rate = Double(report.read) / seconds
        var line = "\(report.read) rows, \(Int(rate)) rows/s"
        let (done, total) = source.progress
        if let total, done > 0, total >= done {
            let left = Int(seconds * Double(total - done) / Double(done))
            line += String(format: ", %d%%, ETA %d:%02d", done * 100 / max(total, 1), left / 60, left % 60)
        }
        return line
    }
}
