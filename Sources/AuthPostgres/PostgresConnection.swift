import AuthCore
internal import CLibPQ
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One libpq connection. Every call blocks, so it is only used from the pool's thread pool.
///
/// `@unchecked Sendable`: a `PGconn` must not be used by two threads at once. The pool hands a
/// connection to exactly one job at a time and takes it back before handing it out again, so
/// every use is serialised through the pool's lock; the connection itself keeps no other state but
/// an atomic flag (`stalled`).
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    private let unacknowledgedTimeout: Duration
    /// Set when a statement went unacknowledged too long: the link is dead though libpq has not
    /// noticed yet.
    private let stalled = Atomic(false)

    /// Opens a connection. `connectionString` is anything libpq accepts (key=value or a
    /// `postgresql://` URL, multi-host lists included); its own settings win over the defaults here.
    ///
    /// A link that stops answering (a partition, a server gone without closing its connections)
    /// is given up after `unacknowledgedTimeout`: the kernel ends a connection whose sent data or
    /// keepalive probes stay unacknowledged that long (`tcp_user_timeout`), and keepalives probe
    /// a connection idle for 5 s. Without them a query sent into a dead link waits for the
    /// kernel's retransmission limit, about 15 minutes.
    public init(
        connectionString: String, connectTimeoutSeconds: Int = 5, unacknowledgedTimeout: Duration = .seconds(5)
    ) throws(PostgresError) {
        let parameters: [(String, String)] = [
            ("connect_timeout", String(connectTimeoutSeconds)),
            ("keepalives", "1"),
            ("keepalives_idle", "5"),
            ("keepalives_interval", "1"),
            ("keepalives_count", "3"),
            ("tcp_user_timeout", String(max(1, unacknowledgedTimeout.wholeMilliseconds))),
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
        self.unacknowledgedTimeout = unacknowledgedTimeout
    }

    deinit { PQfinish(handle) }

    /// True once libpq has seen the link fail, or a statement went unacknowledged too long (see
    /// `awaitResult`); such a connection is discarded by the pool.
    public var isBroken: Bool { stalled.load(ordering: .relaxed) || PQstatus(handle) != CONNECTION_OK }

    /// Whether an idle connection is still worth using, found without a round trip. An idle
    /// connection that does not `LISTEN` has nothing to read, so a readable socket means the
    /// server is closing it (shutdown, a terminated backend: a FATAL message, then end of file),
    /// the peer reset it after a partition, or the kernel gave it up (keepalives). The rare
    /// harmless message (a notice) costs a reconnect, never a failed request.
    public var isUsable: Bool {
        guard !isBroken else { return false }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0, poll(&descriptor, 1, 0) == 0 else { return false }
        return true
    }

    /// Runs one parameterised statement (`$1`, `$2`, … bound as text; nil is SQL NULL).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresResult {
        // A C string ends at NUL: "alice\0x" would silently become "alice". PostgreSQL text
        // cannot hold NUL anyway, so such a value is refused outright.
        guard !parameters.contains(where: { $0?.utf8.contains(0) == true }) else {
            throw PostgresError(.invalidParameter, "a parameter contains a NUL character")
        }
        let sent = withCStrings(parameters) { values in
            PQsendQueryParams(handle, sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw PostgresError(.connectionFailed, Self.lastError(handle)).counted() }
        return try check(try awaitResult())
    }

    /// Collects the result of the statement just sent, as `PQexecParams` would (the first error,
    /// else the last result), waiting on the socket itself so that a dead link is found in time.
    ///
    /// The server may take as long as it likes once it has the statement. But a statement whose
    /// bytes its kernel has still not acknowledged after `unacknowledgedTimeout` went into a dead
    /// link: the connection is given up. The kernel's `tcp_user_timeout` says the same, but only
    /// at its retransmission timer's next tick, measured here at 2 to 4 s for a 2 s timeout; this
    /// check runs every 100 ms.
    private func awaitResult() throws(PostgresError) -> OpaquePointer? {
        let sentAt = ContinuousClock.now
        var kept: OpaquePointer?
        do {
            while true {
                while PQisBusy(handle) == 1 { try waitForInput(since: sentAt) }
                guard let result = PQgetResult(handle) else { break }
                let status = PQresultStatus(result)
                if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                    // Not a statement `query` runs; as `PQexec`, stop here rather than wait.
                    PQclear(kept)
                    return result
                }
                if kept != nil, PQresultStatus(kept) == PGRES_FATAL_ERROR {
                    PQclear(result)  // the first error stands
                } else {
                    PQclear(kept)
                    kept = result
                }
            }
        } catch {
            PQclear(kept)
            throw error
        }
        return kept
    }

    /// Waits up to 100 ms for the server's bytes and reads them into libpq.
    private func waitForInput(since sentAt: ContinuousClock.Instant) throws(PostgresError) {
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else { throw PostgresError(.connectionFailed, Self.lastError(handle)).counted() }
        switch poll(&descriptor, 1, 100) {
        case 0:
            guard ContinuousClock.now - sentAt >= unacknowledgedTimeout, unacknowledgedBytes(descriptor.fd) > 0 else {
                return
            }
            stalled.store(true, ordering: .relaxed)
            throw PostgresError(
                .connectionFailed,
                "the server did not acknowledge the statement within \(unacknowledgedTimeout.wholeMilliseconds) ms"
            ).counted()
        case ..<0 where errno == EINTR:
            return
        case ..<0:
            throw PostgresError(.connectionFailed, "poll failed").counted()
        default:
            guard PQconsumeInput(handle) == 1 else {
                throw PostgresError(.connectionFailed, Self.lastError(handle)).counted()
            }
        }
    }

    /// Bytes written to the socket that the peer's kernel has not acknowledged (`SIOCOUTQ`).
    private func unacknowledgedBytes(_ descriptor: Int32) -> Int32 {
        var bytes: Int32 = 0
        guard ioctl(descriptor, UInt(TIOCOUTQ), &bytes) == 0 else { return 0 }
        return bytes
    }

    /// Runs `body` in one transaction: committed if it returns (rolled back instead when
    /// `rollingBack`, for a dry run), rolled back if it throws.
    public func transaction<T>(rollingBack: Bool = false, _ body: () throws -> T) throws -> T {
        try query("BEGIN")
        let result: T
        do {
            result = try body()
        } catch {
            if !isBroken { _ = try? query("ROLLBACK") }
            throw error
        }
        try query(rollingBack ? "ROLLBACK" : "COMMIT")
        return result
    }

    /// `COPY … FROM STDIN` in text format: each row's values tab-separated, nil as `\N`, with
    /// backslash, tab, newline and carriage return escaped. Values with NUL are refused, as in
    /// `query`.
    public func copy(_ sql: String, rows: some Sequence<[String?]>) throws(PostgresError) {
        let start = PQexec(handle, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            try check(start)  // throws the server's error, and frees the result either way
            throw PostgresError(.protocolMismatch, "not a COPY FROM STDIN statement")
        }
        PQclear(start)
        var buffer: [UInt8] = []
        var refused: PostgresError?
        for row in rows {
            for (index, value) in row.enumerated() {
                if index > 0 { buffer.append(0x09) }
                guard let value else {
                    buffer += [UInt8(ascii: "\\"), UInt8(ascii: "N")]
                    continue
                }
                for byte in value.utf8 {
                    switch byte {
                    case 0: refused = PostgresError(.invalidParameter, "a COPY value contains a NUL character")
                    case UInt8(ascii: "\\"): buffer += [byte, byte]
                    case 0x09: buffer += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                    case 0x0A: buffer += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                    case 0x0D: buffer += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                    default: buffer.append(byte)
                    }
                }
            }
            buffer.append(0x0A)
            if refused != nil { break }
            if buffer.count >= 1 << 16 { try send(&buffer) }
        }
        if refused == nil { try send(&buffer) }
        // An error message ends the COPY with a failure: nothing of it is kept.
        let ended = refused == nil ? PQputCopyEnd(handle, nil) : PQputCopyEnd(handle, "refused by authd")
        guard ended == 1 else {
            throw PostgresError(.connectionFailed, Self.lastError(handle)).counted()
        }
        let result = PQgetResult(handle)
        while let extra = PQgetResult(handle) { PQclear(extra) }
        if let refused {
            PQclear(result)
            throw refused
        }
        try check(result)
    }

    private func send(_ buffer: inout [UInt8]) throws(PostgresError) {
        guard !buffer.isEmpty else { return }
        let sent = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        }
        guard sent == 1 else { throw PostgresError(.connectionFailed, Self.lastError(handle)).counted() }
        buffer.removeAll(keepingCapacity: true)
    }

    /// A `NOTIFY` this connection received after `LISTEN`.
    public struct Notification: Sendable, Hashable {
        public let channel: String
        public let payload: String
    }

    /// Waits up to `timeoutMilliseconds` for the server to send something, then returns every
    /// notification received so far (possibly none). Throws `connectionFailed` when the link broke.
    /// At most `maximum` at a time; the rest stay queued in libpq for the next call (which then
    /// should not wait: they are no longer on the socket).
    public func notifications(waitingUpTo timeoutMilliseconds: Int32, maximum: Int = .max) throws(PostgresError)
        -> [Notification]
    {
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else { throw PostgresError(.connectionFailed, Self.lastError(handle)) }
        guard poll(&descriptor, 1, timeoutMilliseconds) >= 0 || errno == EINTR else {
            throw PostgresError(.connectionFailed, "poll failed")
        }
        guard PQconsumeInput(handle) == 1, !isBroken else {
            throw PostgresError(.connectionFailed, Self.lastError(handle))
        }
        var received: [Notification] = []
        while received.count < maximum, let notification = PQnotifies(handle) {
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
