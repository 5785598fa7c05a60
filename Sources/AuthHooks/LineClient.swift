import AuthCore
public import AuthLineProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking line-protocol client for `authctl` and the server helpers: one connection, requests
/// written in one go, replies read by ID.
public final class LineClient {
    public struct Unreachable: Error, CustomStringConvertible {
        public let description: String
    }

    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to `host:port` (IPv4 or IPv6 literal, or a name), with a timeout for every read and
    /// write, and reads the greeting (a major version other than 1 is refused).
    public init(address: String, timeoutSeconds: Int = 10) throws(Unreachable) {
        guard let parsed = HostPort(address) else {
            throw Unreachable(description: "address must be host:port or [v6]:port, got \(address)")
        }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(parsed.host, String(parsed.port), &hints, &results) == 0, let first = results else {
            throw Unreachable(description: "cannot resolve \(parsed.host)")
        }
        defer { freeaddrinfo(results) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32?
        while let info = candidate, connected == nil {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd >= 0 {
                var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    connected = fd
                } else {
                    _ = Glibc.close(fd)
                }
            }
            candidate = info.pointee.ai_next
        }
        guard let connected else { throw Unreachable(description: "cannot connect to \(address)") }
        fd = connected
        try readGreeting()
    }

    deinit { _ = Glibc.close(fd) }

    /// `VERSION\t1\t…` then `CAPS`; a server at its connection limit sends a `TEMP` instead.
    private func readGreeting() throws(Unreachable) {
        guard let version = try readLine() else { throw Unreachable(description: "connection closed at once") }
        let fields = version.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
        guard fields.count >= 2, fields[0].elementsEqual("VERSION".utf8) else {
            let reply = LineCodec.parseReply(version)
            let reason = reply?.attributes.first { $0.key == "reason" }?.value ?? "no greeting"
            throw Unreachable(description: "authd refused the connection: \(reason)")
        }
        guard fields[1].elementsEqual("1".utf8) else {
            throw Unreachable(
                description: "authd speaks line protocol version \(String(decoding: fields[1], as: UTF8.self)), not 1")
        }
        guard try readLine() != nil else { throw Unreachable(description: "connection closed after the greeting") }
    }

    /// Sends one request and returns its reply.
    public func exchange(_ request: LineRequest) throws(Unreachable) -> LineReply {
        try send([request])
        while let reply = try readReply() {
            if reply.id == request.id || reply.id == "*" { return reply }
        }
        throw Unreachable(description: "connection closed before a reply")
    }

    /// Writes the requests in one go (pipelined).
    public func send(_ requests: [LineRequest]) throws(Unreachable) {
        let bytes = requests.flatMap(LineCodec.encode)
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { throw Unreachable(description: "connection lost while sending") }
            sent += count
        }
    }

    /// The next reply line; nil when the server closed the connection.
    public func readReply() throws(Unreachable) -> LineReply? {
        while let line = try readLine() {
            if let reply = LineCodec.parseReply(line) { return reply }
        }
        return nil
    }

    /// False when the server has closed the connection (idle timeout, restart) or sent something
    /// nobody asked for, which a client that read every reply never sees: the connection is then
    /// not to be used again. Looks without waiting.
    public func isUsable() -> Bool {
        guard buffer.isEmpty else { return false }
        var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&probe, 1, 0) == 0
    }

    private func readLine() throws(Unreachable) -> [UInt8]? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            guard buffer.count <= LineCodec.maximumLineLength else {
                throw Unreachable(description: "reply line too long")
            }
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw Unreachable(description: "no reply in time") }
            if count == 0 { return nil }
            buffer += chunk.prefix(count)
        }
    }
}
