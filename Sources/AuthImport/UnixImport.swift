import AuthCore

/// htpasswd files and /etc/shadow: `name:hash…` lines without e-mail addresses (made from the
/// template). A hash starting with `!` is a locked account: imported disabled.
enum UnixImport {
    /// `user:hash` per line; `#` comments. apr1 (MD5) and `{SHA}` hashes are refused as unknown
    /// formats, as authd does not verify them.
    static func htpasswd(_ lines: LineFile, options: ImportSourceOptions) throws(ImportFileError) -> ImportSource {
        _ = try options.email(for: "x")
        return ImportSource(lines: lines) { line in
            guard let text = String(validating: line.bytes, as: UTF8.self) else {
                return ImportNotice.malformed(line.number, "not UTF-8")
            }
            if text.allSatisfy({ $0 == " " }) || text.hasPrefix("#") { return nil }
            let fields = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard fields.count == 2 else { return ImportNotice.malformed(line.number, "not a user:hash line") }
            return record(line.number, String(fields[0]), hash: String(fields[1]), options: options)
        }
    }

    /// shadow lines (`name:hash:lastchange:…`, nine fields) of the accounts passwd lists with a uid of
    /// at least `minimumUID` (and not 65534, nobody); accounts without a usable hash (`*`, `!`,
    /// empty) are skipped as having none.
    static func shadow(_ lines: LineFile, options: ImportSourceOptions) throws(ImportFileError) -> ImportSource {
        _ = try options.email(for: "x")
        var uids: [String: Int] = [:]
        let passwd = try LineFile(path: options.passwdPath)
        while let line = passwd.next() {
            let fields = String(decoding: line.bytes, as: UTF8.self).split(
                separator: ":", omittingEmptySubsequences: false)
            if fields.count == 7, let uid = Int(fields[2]) { uids[String(fields[0])] = uid }
        }
        if let failure = passwd.failure { throw failure }
        return ImportSource(lines: lines) { line in
            guard let text = String(validating: line.bytes, as: UTF8.self) else {
                return ImportNotice.malformed(line.number, "not UTF-8")
            }
            let fields = text.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 9 else { return ImportNotice.malformed(line.number, "not a shadow line (9 fields)") }
            let name = String(fields[0])
            guard let uid = uids[name] else {
                return ImportNotice.malformed(line.number, "not in \(options.passwdPath)", username: name)
            }
            // System accounts are not people logging in to services: left out, silently.
            guard uid >= options.minimumUID, uid != 65534 else { return nil }
            return record(line.number, name, hash: String(fields[1]), options: options)
        }
    }

    private static func record(_ line: Int, _ username: String, hash: String, options: ImportSourceOptions)
        -> ImportItem
    {
        let locked = hash.hasPrefix("!")
        let hash = locked ? String(hash.drop { $0 == "!" }) : hash
        guard !hash.isEmpty, hash != "*", hash != "x" else {
            return .failure(
                ImportNotice(.unknownHashFormat, line: line, username: username, "the account has no password hash"))
        }
        // The template was checked when the source was opened.
        let email = (try? options.email(for: username)) ?? ""
        return .success(
            ImportRecord(line: line, username: username, email: email, passwordHash: hash, disabled: locked))
    }
}
