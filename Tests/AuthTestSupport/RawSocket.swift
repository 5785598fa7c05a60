internal import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP socket to a loopback port, for tests that must not read (or must write without
/// the client's own buffering): the kernel's buffers are all there is between it and the server.
public final class RawSocket: @unchecked Sendable {
    // Safe to share: the descriptor is only used by the one test that owns the socket, one call at
    // a time.
    public let descriptor: Int32

    /// `bufferSize` sets the socket's kernel buffers (both ways), before it connects.
    public init(port: Int, bufferSize: Int32? = nil) async throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = bufferSize {
            setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw SocketError(errno: errno) }
    }

    public struct SocketError: Error {
        public let errno: Int32
    }

    /// Writes as much of `bytes` as the kernel takes without blocking; the count written.
    public func writeNonBlocking(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
    }

    /// Whether the server still holds the connection: no EOF or reset waiting to be read.
    public func isOpen() -> Bool {
        var byte: UInt8 = 0
        let peeked = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if peeked > 0 { return !drainedToEOF() }
        return peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    /// Reads what is waiting; true when it ends in EOF or an error (the server closed).
    private func drainedToEOF() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count == 0 { return true }
            if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        }
    }

    /// Reads until `count` newline-terminated lines have arrived, the server closed, or nothing
    /// came for 10 s. Blocking reads run on NIO's thread pool, not the tasks' cooperative threads.
    public func readLines(_ count: Int) async throws -> [String] {
        try await NIOThreadPool.singleton.runIfActive { self.blockingReadLines(count) }
    }

    private func blockingReadLines(_ count: Int) -> [String] {
        var lines: [String] = []
        var current: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while lines.count < count {
            let read = recv(descriptor, &buffer, buffer.count, 0)
            guard read > 0 else { break }
            var start = 0
            while let newline = buffer[start..<read].firstIndex(of: UInt8(ascii: "\n")) {
                current += buffer[start..<newline]
                lines.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
                start = newline + 1
            }
            current += buffer[start..<read]
        }
        return lines
    }

    public func close() {
        _ = Glibc.close(descriptor)
    }
}

extension Sequence {
    public func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
