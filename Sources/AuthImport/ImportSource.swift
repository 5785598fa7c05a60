public import AuthCore

/// The formats `authctl user import` reads (README, "Moving to authd", has each one's columns).
public enum ImportFormat: String, CaseIterable, Sendable {
    case csv, jsonl, shadow, htpasswd, flask
}

/// What some formats need besides the file.
public struct ImportSourceOptions: Sendable {
    /// shadow and htpasswd carry no e-mail address: it is made from this, `{username}` replaced,
    /// e.g. `{username}@example.com`.
    public var emailTemplate: String?
    /// shadow: the passwd file naming the accounts (system accounts, below `minimumUID`, are skipped).
    public var passwdPath = "/etc/passwd"
    public var minimumUID = 1000

    public init(emailTemplate: String? = nil, passwdPath: String = "/etc/passwd", minimumUID: Int = 1000) {
        self.emailTemplate = emailTemplate
        self.passwdPath = passwdPath
        self.minimumUID = minimumUID
    }

    func email(for username: String) throws(ImportFileError) -> String {
        guard let template = emailTemplate, template.contains("{username}") else {
            throw ImportFileError("this format has no e-mail addresses: give an e-mail template with {username}")
        }
        return template.replacingOccurrences(of: "{username}", with: username)
    }
}

/// The rows of one export, read as they are needed. `progress` is how far into the file the
/// reading is (bytes), with its size when known, for a progress line's ETA.
public final class ImportSource: Sequence, IteratorProtocol {
    private let nextItem: () -> ImportItem?
    private let position: () -> (done: Int, total: Int?)
    private let failure: () -> ImportFileError?

    init(
        next: @escaping () -> ImportItem?, position: @escaping () -> (done: Int, total: Int?),
        failure: @escaping () -> ImportFileError? = { nil }
    ) {
        self.nextItem = next
        self.position = position
        self.failure = failure
    }

    /// A reader over the lines of a file, handing each non-blank line to `parse`.
    convenience init(lines: LineFile, parse: @escaping (LineFile.Line) -> ImportItem?) {
        self.init(
            next: {
                while let line = lines.next() {
                    if line.truncated {
                        return .failure(
                            ImportNotice(.malformedRow, line: line.number, username: "", "line longer than 64 KiB"))
                    }
                    if let item = parse(line) { return item }
                }
                return nil
            }, position: { (lines.bytesRead, lines.size) }, failure: { lines.failure })
    }

    /// Opens `path` (`-` for standard input, except flask) in `format`. Throws for a file that
    /// cannot be read at all, or whose header or options are wrong.
    public static func open(
        _ format: ImportFormat, path: String, options: ImportSourceOptions = .init()
    ) throws(ImportFileError) -> ImportSource {
        switch format {
        case .csv: try CSVImport.source(LineFile(path: path))
        case .jsonl: JSONLinesImport.source(try LineFile(path: path))
        case .htpasswd: try UnixImport.htpasswd(LineFile(path: path), options: options)
        case .shadow: try UnixImport.shadow(LineFile(path: path), options: options)
        case .flask: try FlaskImport.source(path: path)
        }
    }

    public func next() -> ImportItem? { nextItem() }

    public var progress: (done: Int, total: Int?) { position() }

    /// A read that failed part-way through, after the rows before it were handed on.
    public var readFailure: ImportFileError? { failure() }

    /// The same rows as an AsyncSequence, for `AdminService.importUsers`.
    public var async: ImportItems { ImportItems(source: self) }
}

/// `ImportSource` as an AsyncSequence; it never suspends.
public struct ImportItems: AsyncSequence, AsyncIteratorProtocol {
    public typealias Element = ImportItem
    public typealias Failure = any Error
    let source: ImportSource

    public func makeAsyncIterator() -> ImportItems { self }
    public mutating func next() async throws -> ImportItem? { source.next() }
}

extension ImportNotice {
    static func malformed(_ line: Int, _ reason: String, username: String = "") -> ImportItem {
        .failure(ImportNotice(.malformedRow, line: line, username: username, reason))
    }
}

/// true/false as exports write them: `true` `false` `t` `f` `1` `0` `yes` `no`, any case; empty is false.
func parseBool(_ text: some StringProtocol) -> Bool? {
    switch text.lowercased() {
    case "", "false", "f", "0", "no", "n": false
    case "true", "t", "1", "yes", "y": true
    default: nil
    }
}

/// Roles as one field: separated by commas, semicolons or spaces.
func parseRoles(_ text: String) -> [String] {
    text.split(whereSeparator: { (character: Character) in character == "," || character == ";" || character == " " })
        .map(String.init)
}
