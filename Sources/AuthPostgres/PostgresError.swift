import Metrics

/// A database failure with the SQLSTATE that caused it. `description` carries the server's
/// primary message but never the connection string, the DETAIL line (which can echo row values)
/// or query parameters.
public struct PostgresError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// No connection could be made, or it broke: the database is away.
        public static let connectionFailed = Code(name: "connection_failed")
        /// Every pooled connection stayed busy for the whole acquire timeout.
        public static let poolTimeout = Code(name: "pool_timeout")
        public static let poolClosed = Code(name: "pool_closed")
        /// The server answered with an error; see `sqlState`.
        public static let server = Code(name: "server_error")
        /// A bound value PostgreSQL cannot store (a NUL character in text).
        public static let invalidParameter = Code(name: "invalid_parameter")
        /// The server answered something this code did not expect (wrong column type, count, …).
        public static let protocolMismatch = Code(name: "protocol_mismatch")
    }

    public let code: Code
    public let message: String
    /// Five-character SQLSTATE for `server` errors, e.g. "23505".
    public let sqlState: String?
    /// The violated constraint's name, when the server reports one.
    public let constraint: String?

    public init(_ code: Code, _ message: String, sqlState: String? = nil, constraint: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.constraint = constraint
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isForeignKeyViolation: Bool { sqlState == "23503" }

    /// Connection-level trouble: broken link, server shutting down, too many clients, pool exhausted.
    /// Worth a 503 and a retry, never a 500.
    public var isUnavailable: Bool {
        switch code {
        case .connectionFailed, .poolTimeout, .poolClosed: return true
        default:
            guard let sqlState else { return false }
            return sqlState.hasPrefix("08") || sqlState.hasPrefix("53") || sqlState.hasPrefix("57P")
        }
    }

    public var description: String {
        "postgres \(code)\(sqlState.map { " [\($0)]" } ?? ""): \(message)"
    }
}

extension PostgresError {
    /// Counts the error in `authd_db_errors_total{kind}` and returns it: `kind` is the code, or
    /// `server_<SQLSTATE class>` for errors the server reported (`server_23`: a constraint, such
    /// as a taken username).
    func counted() -> PostgresError {
        let kind = code == .server ? "server_" + (sqlState?.prefix(2) ?? "xx") : code.description
        Counter(label: "authd_db_errors_total", dimensions: [("kind", kind)]).increment()
        return self
    }
}
