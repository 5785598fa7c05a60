internal import CLibPQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One libpq connection. Every call blocks, so it is only used from the pool's thread pool.
///
/// `@unchecked Sendable`: a `PGconn` must not be used by two threads at once. The pool hands a
/// connection to exactly one job at a time and takes it back before handing it out again, so
/// every use is serialised through the pool's lock; the connection itself keeps no other state.
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer

    /// Opens a connection. `connectionString` is anything libpq accepts (key=value or a
    /// `postgresql://` URL, multi-host lists included); its own settings win over the defaults here.
    public init(connectionString: String, connectTimeoutSeconds: Int = 5) throws(PostgresError) {
        let parameters: [(String, String)] = [
            ("connect_timeout", String(connectTimeoutSeconds)),
            ("fallback_application_name", "authd"),
            ("client_encoding", "UTF8"),
            // Expanded by libpq (expand_dbname = 1); later keywords override earlier ones, so the
            // operator's string overrides the defaults above.
            ("dbname", connectionString),
        ]
        let connection = withCStrings(parameters.map(\.0)) { keywords in
            withCStrings(parameters.map(\.1)) { values in
                PQconnectdbParams(keywords + [nil], values + [nil], 1)
            }
        }
        guard let connection else { throw PostgresError(.connectionFailed, "libpq could not allocate a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.lastError(connection)
            PQfinish(connection)
            throw PostgresError(.connectionFailed, message).counted()
        }
        // libpq prints server NOTICEs to stderr by default; authd logs through swift-log only.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
    }

    deinit { PQfinish(handle) }

    /// True once libpq has seen the link fail; such a connection is discarded by the pool.
    public var isBroken: Bool { PQstatus(handle) != CONNECTION_OK }

    /// Runs one parameterised statement (`$1`, `$2`, … bound as text; nil is SQL NULL).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresResult {
        // A C string ends at NUL: "alice\0x" would silently become "alice". PostgreSQL text
        // cannot hold NUL anyway, so such a value is refused outright.
        guard !parameters.contains(where: { $0?.utf8.contains(0) == true }) else {
            throw PostgresError(.invalidParameter, "a parameter contains a NUL character")
        }
        let result = withCStrings(parameters) { values in
            PQexecParams(handle, sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        return try check(result)
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try query("BEGIN")
        let result: T
        do {
            result = try body()
        } catch {
            if !isBroken { _ = try? query("ROLLBACK") }
            throw error
        }
        try query("COMMIT")
        return result
    }

    /// A `NOTIFY` this connection received after `LISTEN`.
    public struct Notification: Sendable, Hashable {
        public let channel: String
        public let payload: String
    }

    /// Waits up to `timeoutMilliseconds` for the server to send something, then returns every
    /// notification received so far (possibly none). Throws `connectionFailed` when the link broke.
    public func notifications(waitingUpTo timeoutMilliseconds: Int32) throws(PostgresError) -> [Notification] {
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else { throw PostgresError(.connectionFailed, Self.lastError(handle)) }
        guard poll(&descriptor, 1, timeoutMilliseconds) >= 0 || errno == EINTR else {
            throw PostgresError(.connectionFailed, "poll failed")
        }
        guard PQconsumeInput(handle) == 1, !isBroken else {
            throw PostgresError(.connectionFailed, Self.lastError(handle))
        }
        var received: [Notification] = []
        while let notification = PQnotifies(handle) {
            received.append(
                Notification(
                    channel: String(cString: notification.pointee.relname),
                    payload: String(cString: notification.pointee.extra)))
            PQfreemem(notification)
        }
        return received
    }

    /// Runs a script of several statements through the simple query protocol. Only for trusted
    /// text shipped with authd (migrations); never for anything built from input.
    public func executeScript(_ sql: String) throws(PostgresError) {
        try check(PQexec(handle, sql))
    }

    @discardableResult
    private func check(_ result: OpaquePointer?) throws(PostgresError) -> PostgresResult {
        guard let result else { throw PostgresError(.connectionFailed, Self.lastError(handle)).counted() }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY {
            return PostgresResult(consuming: result)
        }
        defer { PQclear(result) }
        let field = { (code: Character) -> String? in
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        // Diagnostic field codes from postgres_ext.h: 'C' SQLSTATE, 'M' primary message, 'n' constraint.
        let message = field("M") ?? Self.lastError(handle)
        if isBroken {
            throw PostgresError(.connectionFailed, message).counted()
        }
        throw PostgresError(.server, message, sqlState: field("C"), constraint: field("n")).counted()
    }

    private static func lastError(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).trimmingCharacters(in: "\n ")
    }
}

/// Lends C copies of `strings` to `body`; nil stays a null pointer. The copies are freed after.
private func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var view = Substring(self)
        while let last = view.last, set.contains(last) { view = view.dropLast() }
        while let first = view.first, set.contains(first) { view = view.dropFirst() }
        return String(view)
    }
}
