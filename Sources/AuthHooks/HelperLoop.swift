public import AuthLineProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// What one input line of a long-running helper asks for.
public enum HelperPlan {
    /// An answer at once (bad input, nothing to ask authd); `log` is written to standard error.
    case answer(String, log: String?)
    /// Requests for authd, and the answer to write once their replies (nil: none came) are in.
    case ask([LineRequest], answer: ([LineReply?]) -> String)
}

/// A helper's protocol: the plan for each request line its server sends.
public protocol HelperDialect {
    func plan(_ line: [UInt8]) -> HelperPlan
}

/// The loop of a helper its server keeps running (Squid, …): reads what the server has sent,
/// asks authd for all of it in one pipelined exchange, writes the answers in the order of the
/// requests, and repeats until standard input ends.
public struct HelperLoop {
    private let link: HelperLink
    private let log: (String) -> Void

    public init(link: HelperLink, log: @escaping (String) -> Void) {
        self.link = link
        self.log = log
    }

    public func run(_ dialect: some HelperDialect, maximumLineLength: Int) {
        var reader = LineReader(fd: 0, maximumLength: maximumLineLength)
        while let lines = reader.nextBatch() {
            let plans = lines.map(dialect.plan)
            let requests = plans.flatMap { plan -> [LineRequest] in
                if case .ask(let requests, _) = plan { return requests }
                return []
            }
            var replies = link.exchange(requests)[...]
            var output = ""
            for plan in plans {
                switch plan {
                case .answer(let text, let message):
                    if let message { log(message) }
                    output += text
                case .ask(let requests, let answer):
                    output += answer(Array(replies.prefix(requests.count)))
                    replies = replies.dropFirst(requests.count)
                }
            }
            guard write(all: Array(output.utf8)) else { return }
        }
    }

    private func write(all bytes: [UInt8]) -> Bool {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            written += count
        }
        return true
    }
}

/// Lines from a file descriptor, as many as one read brought. A line longer than `maximumLength`
/// comes as its first `maximumLength + 1` bytes (so the dialect sees it is too long and can still
/// read a channel ID from its start); the rest of it is skipped.
struct LineReader {
    let fd: Int32
    let maximumLength: Int
    private var buffer: [UInt8] = []
    private var skippingRest = false

    init(fd: Int32, maximumLength: Int) {
        self.fd = fd
        self.maximumLength = maximumLength
    }

    /// The complete lines available after at most one blocking read; nil at the end of input.
    mutating func nextBatch() -> [[UInt8]]? {
        while true {
            var lines: [[UInt8]] = []
            var start = 0
            for index in buffer.indices where buffer[index] == UInt8(ascii: "\n") {
                if skippingRest {
                    skippingRest = false
                } else {
                    lines.append(Array(buffer[start..<min(index, start + maximumLength + 1)]))
                }
                start = index + 1
            }
            buffer.removeFirst(start)
            if buffer.count > maximumLength {
                if !skippingRest { lines.append(Array(buffer.prefix(maximumLength + 1))) }
                skippingRest = true
                buffer.removeAll(keepingCapacity: true)
            }
            if !lines.isEmpty { return lines }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            buffer += chunk.prefix(count)
        }
    }
}
