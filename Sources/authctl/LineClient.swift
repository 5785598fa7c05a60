import AuthCore
import AuthLineProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking line-protocol client for the command line: one request, one reply.
struct LineClient {
    struct Unreachable: Error, CustomStringConvertible {
        let description: String
    }

    let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to `host:port` (IPv4 or IPv6 literal, or a name) with a timeout for every read.
    init(address: String, timeoutSeconds: Int = 10) throws {
        guard let parsed = HostPort(address) else {
            throw Unreachable(description: "address must be host:port or [v6]:port, got \(address)")
        }
        let (host, port) = (parsed.host, parsed.port)
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw Unreachable(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(results) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    self.fd = fd
                    return
                }
                _ = Glibc.close(fd)
            }
            candidate = info.pointee.ai_next
        }
        throw Unreachable(description: "cannot connect to \(address)")
    }

    /// Sends one request and returns its reply, skipping the greeting.
    mutating func exchange(_ request: LineRequest) throws -> LineReply {
        let bytes = LineCodec.encode(request)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw Unreachable(description: "connection lost while sending")
        }
        while let line = try readLine() {
            if let reply = LineCodec.parseReply(line), reply.id == request.id || reply.id == "*" { return reply }
        }
        throw Unreachable(description: "connection closed before a reply")
    }

    private mutating func readLine() throws -> [UInt8]? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw Unreachable(description: "no reply in time") }
            if count == 0 { return nil }
            buffer += chunk.prefix(count)
        }
    }

    func close() { _ = Glibc.close(fd) }
}
