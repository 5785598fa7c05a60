import AuthCore

/// CSV (RFC 4180): a header naming the columns (`username`, `email`, `password_hash` required;
/// `roles`, `disabled`, `mfa` optional; any other refuses the file), fields quoted with `"` when
/// they hold a comma, quote or line break.
enum CSVImport {
    static let columns = ["username", "email", "password_hash", "roles", "disabled", "mfa"]

    static func source(_ lines: LineFile) throws(ImportFileError) -> ImportSource {
        var headerLine: LineFile.Line?
        while let line = lines.next() {
            if !line.bytes.allSatisfy({ $0 == 0x20 }) {
                headerLine = line
                break
            }
        }
        guard var header = headerLine else { throw ImportFileError("the CSV file is empty: it needs a header line") }
        if header.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { header.bytes = header.bytes.dropFirst(3) }
        guard case .fields(let names) = fields(header, more: lines) else {
            throw ImportFileError("the CSV header is malformed")
        }
        let trimmed = names.map { $0.trimmingSpaces.lowercased() }
        if let unknown = trimmed.first(where: { !columns.contains($0) }) {
            throw ImportFileError(
                "unknown CSV column \"\(unknown.prefix(64))\" (known: \(columns.joined(separator: ", ")))")
        }
        guard Set(trimmed).count == trimmed.count else { throw ImportFileError("a CSV column is named twice") }
        var index: [String: Int] = [:]
        for (position, name) in trimmed.enumerated() { index[name] = position }
        guard let username = index["username"], let email = index["email"], let hash = index["password_hash"] else {
            throw ImportFileError("the CSV header needs username, email and password_hash")
        }
        return ImportSource(
            next: {
                while let line = lines.next() {
                    if line.bytes.isEmpty { continue }
                    if line.truncated { return ImportNotice.malformed(line.number, "line longer than 64 KiB") }
                    guard case .fields(let values) = fields(line, more: lines) else {
                        return ImportNotice.malformed(line.number, "unbalanced quotes or invalid UTF-8")
                    }
                    guard values.count == trimmed.count else {
                        return ImportNotice.malformed(
                            line.number, "\(values.count) fields where the header has \(trimmed.count)")
                    }
                    let field = { (name: String) in index[name].map { values[$0] } ?? "" }
                    guard let disabled = parseBool(field("disabled")), let mfa = parseBool(field("mfa")) else {
                        return ImportNotice.malformed(
                            line.number, "disabled and mfa must be true or false", username: values[username])
                    }
                    return .success(
                        ImportRecord(
                            line: line.number, username: values[username], email: values[email],
                            passwordHash: values[hash], roles: parseRoles(field("roles")), disabled: disabled, mfa: mfa)
                    )
                }
                return nil
            }, position: { (lines.bytesRead, lines.size) }, failure: { lines.failure })
    }

    enum Parsed {
        case fields([String])
        case malformed
    }

    /// The fields of the record starting at `line`; a quoted field may run on into further lines.
    static func fields(_ line: LineFile.Line, more lines: LineFile) -> Parsed {
        var bytes = Array(line.bytes)
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var index = 0
        var fieldStart = true
        while true {
            if index == bytes.count {
                if quoted {
                    // A line break inside quotes: the record goes on.
                    guard let next = lines.next(), !next.truncated, bytes.count < LineFile.maximumLength else {
                        return .malformed
                    }
                    field.append(0x0A)
                    bytes += next.bytes
                    continue
                }
                guard let text = String(validating: field, as: UTF8.self) else { return .malformed }
                fields.append(text)
                return .fields(fields)
            }
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                        guard index == bytes.count || bytes[index] == UInt8(ascii: ",") else { return .malformed }
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: ",") {
                guard let text = String(validating: field, as: UTF8.self) else { return .malformed }
                fields.append(text)
                field.removeAll(keepingCapacity: true)
                fieldStart = true
                continue
            } else if byte == UInt8(ascii: "\""), fieldStart {
                quoted = true
            } else if byte == UInt8(ascii: "\"") {
                return .malformed
            } else {
                field.append(byte)
            }
            fieldStart = false
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while view.first == " " { view = view.dropFirst() }
        while view.last == " " { view = view.dropLast() }
        return String(view)
    }
}
