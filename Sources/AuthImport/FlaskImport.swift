import AuthCore
internal import CSQLite

/// The seed app's SQLite database (`users.db`, Flask-SQLAlchemy's `user` table: id, username,
/// email, password, role, mfa_enabled), read through libsqlite3 opened read-only, so the Flask
/// app's file is never changed. `role` becomes the account's role besides `user`; the row's `id` is
/// its line in the report.
enum FlaskImport {
    static func source(path: String) throws(ImportFileError) -> ImportSource {
        var database: OpaquePointer?
        guard sqlite3_open_v2(path, &database, SQLITE_OPEN_READONLY, nil) == SQLITE_OK, let database else {
            let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(database)
            throw ImportFileError("cannot open the SQLite database \(path): \(message)")
        }
        let columns = Set(try rows(database, "SELECT name FROM pragma_table_info('user')").map { $0[0] ?? "" })
        guard ["id", "username", "email", "password"].allSatisfy(columns.contains) else {
            sqlite3_close(database)
            throw ImportFileError("\(path) has no user table with id, username, email and password (the seed app's)")
        }
        let role = columns.contains("role") ? "role" : "NULL"
        let mfa = columns.contains("mfa_enabled") ? "mfa_enabled" : "0"
        let sql = "SELECT id, username, email, password, \(role), \(mfa) FROM \"user\" ORDER BY id"
        let statement = try prepare(database, sql)
        let total = Int(try rows(database, "SELECT count(*) FROM \"user\"").first?[0] ?? "0") ?? 0
        var done = 0
        var failure: ImportFileError?
        let cursor = Cursor(database: database, statement: statement)
        return ImportSource(
            next: {
                guard failure == nil else { return nil }
                switch sqlite3_step(cursor.statement) {
                case SQLITE_ROW:
                    done += 1
                    let text = { (column: Int32) -> String in
                        sqlite3_column_text(cursor.statement, column).map { String(cString: $0) } ?? ""
                    }
                    let id = Int(sqlite3_column_int64(cursor.statement, 0))
                    let role = text(4)
                    return .success(
                        ImportRecord(
                            line: id, username: text(1), email: text(2), passwordHash: text(3),
                            roles: role.isEmpty || role == Role.user ? [] : [role],
                            disabled: false, mfa: sqlite3_column_int64(cursor.statement, 5) != 0))
                case SQLITE_DONE: return nil
                default:
                    failure = ImportFileError("reading \(path): \(String(cString: sqlite3_errmsg(cursor.database)))")
                    return nil
                }
            }, position: { (done, total) }, failure: { failure })
    }

    /// Finalizes the statement and closes the database when the source goes.
    private final class Cursor {
        let database: OpaquePointer
        let statement: OpaquePointer

        init(database: OpaquePointer, statement: OpaquePointer) {
            self.database = database
            self.statement = statement
        }

        deinit {
            sqlite3_finalize(statement)
            sqlite3_close(database)
        }
    }

    private static func prepare(_ database: OpaquePointer, _ sql: String) throws(ImportFileError) -> OpaquePointer {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw ImportFileError("SQLite: \(String(cString: sqlite3_errmsg(database)))")
        }
        return statement
    }

    private static func rows(_ database: OpaquePointer, _ sql: String) throws(ImportFileError) -> [[String?]] {
        let statement = try prepare(database, sql)
        defer { sqlite3_finalize(statement) }
        var out: [[String?]] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            out.append(
                (0..<sqlite3_column_count(statement)).map { column in
                    sqlite3_column_text(statement, column).map { String(cString: $0) }
                })
        }
        return out
    }
}
