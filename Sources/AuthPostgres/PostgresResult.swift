internal import CLibPQ

/// The rows of one query, copied out of the `PGresult` (which is freed at once). Values are in
/// PostgreSQL's text format; typed accessors throw `protocolMismatch` on anything unexpected.
public struct PostgresResult: Sendable {
    public let columns: [String]
    public let rows: [PostgresRow]
    /// Rows affected, for INSERT/UPDATE/DELETE.
    public let affectedRows: Int

    init(consuming result: OpaquePointer) {
        defer { PQclear(result) }
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var index: [String: Int] = [:]
        for (i, name) in columns.enumerated() { index[name] = i }
        self.columns = columns
        self.rows = (0..<Int(PQntuples(result))).map { row in
            PostgresRow(
                columnIndex: index,
                values: (0..<columnCount).map { column in
                    PQgetisnull(result, Int32(row), Int32(column)) == 1
                        ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
                })
        }
        self.affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// The single row of a query that must return exactly one.
    public func single() throws(PostgresError) -> PostgresRow {
        guard rows.count == 1 else { throw PostgresError(.protocolMismatch, "expected one row, got \(rows.count)") }
        return rows[0]
    }
}

public struct PostgresRow: Sendable {
    let columnIndex: [String: Int]
    let values: [String?]

    public func optionalString(_ column: String) throws(PostgresError) -> String? {
        guard let index = columnIndex[column] else { throw PostgresError(.protocolMismatch, "no column \(column)") }
        return values[index]
    }

    public func string(_ column: String) throws(PostgresError) -> String {
        guard let value = try optionalString(column) else {
            throw PostgresError(.protocolMismatch, "column \(column) is null")
        }
        return value
    }

    public func int64(_ column: String) throws(PostgresError) -> Int64 {
        guard let value = Int64(try string(column)) else {
            throw PostgresError(.protocolMismatch, "column \(column) is not an integer")
        }
        return value
    }

    public func optionalInt64(_ column: String) throws(PostgresError) -> Int64? {
        guard try optionalString(column) != nil else { return nil }
        return try int64(column)
    }

    public func bool(_ column: String) throws(PostgresError) -> Bool {
        switch try string(column) {
        case "t": return true
        case "f": return false
        default: throw PostgresError(.protocolMismatch, "column \(column) is not a boolean")
        }
    }
}
