public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One JSON object per line: `time` (RFC 3339, UTC, milliseconds), `level`, `logger`, `message`,
/// then the metadata (the provider's, the logger's, the event's, later ones winning) and the
/// event's `error` unless the metadata has one.
/// Lines are written whole (see `LogSink`), so several threads never interleave them.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: LogSink

    /// A handler writing to standard error.
    public init(label: String, level: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, level: level, metadataProvider: metadataProvider, sink: .standardError)
    }

    init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider?, sink: LogSink) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        sink.write(
            Self.line(
                time: UnixClock.now(), level: event.level, label: label, message: event.message.description,
                metadata: merged(event.metadata), error: event.error.map { "\($0)" }),
            immediately: event.level >= .notice)
    }

    private func merged(_ extra: Logger.Metadata?) -> Logger.Metadata {
        Logger.Metadata.merging(metadataProvider?.get() ?? [:], metadata, extra ?? [:])
    }

    /// Keys of the fixed fields, compared directly rather than hashed: this runs for every key
    /// of every line.
    static func isReserved(_ key: String) -> Bool {
        key == "time" || key == "level" || key == "logger" || key == "message"
    }

    /// The JSON text of one event, newline-terminated. Metadata keys are sorted; one that would
    /// shadow a fixed field gets a leading underscore.
    static func line(
        time: (seconds: Int, milliseconds: Int), level: Logger.Level, label: String, message: String,
        metadata: Logger.Metadata, error: String?
    ) -> String {
        var json = JSONWriter()
        json.field("time", string: UnixClock.rfc3339(seconds: time.seconds, milliseconds: time.milliseconds))
        json.field("level", string: level.rawValue)
        json.field("logger", string: label)
        json.field("message", string: message)
        for (key, value) in metadata.map({ (isReserved($0) ? "_" + $0 : $0, $1) }).sorted(by: { $0.0 < $1.0 }) {
            json.key(key)
            json.value(value)
        }
        if let error, metadata["error"] == nil { json.field("error", string: error) }
        return String(decoding: json.finish(), as: UTF8.self)
    }
}

extension Logger.Metadata {
    /// The provider's, the handler's and the event's metadata, later ones winning. Merging
    /// copies, so it is skipped when only one source has any (a request event: only the event's).
    static func merging(_ provided: Self, _ handler: Self, _ event: Self) -> Self {
        let sources = [provided, handler, event].filter { !$0.isEmpty }
        guard var result = sources.first else { return [:] }
        for later in sources.dropFirst() { result.merge(later) { $1 } }
        return result
    }
}

/// Builds one JSON object by appending; strings are escaped per RFC 8259.
struct JSONWriter {
    private var text: [UInt8]
    private var first = true

    init() {
        text = [UInt8(ascii: "{")]
        text.reserveCapacity(384)
    }

    mutating func key(_ name: String) {
        if !first { text.append(UInt8(ascii: ",")) }
        first = false
        append(string: name)
        text.append(UInt8(ascii: ":"))
    }

    mutating func field(_ name: String, string: String) {
        key(name)
        append(string: string)
    }

    mutating func value(_ value: Logger.Metadata.Value) {
        switch value {
        case .string(let string): append(string: string)
        case .stringConvertible(let convertible): append(string: convertible.description)
        case .array(let values):
            text.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { text.append(UInt8(ascii: ",")) }
                self.value(element)
            }
            text.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            var nested = JSONWriter()
            for key in dictionary.keys.sorted() {
                nested.key(key)
                nested.value(dictionary[key]!)
            }
            text += nested.text + [UInt8(ascii: "}")]
        }
    }

    mutating func append(string: String) {
        JSONString.append(string, to: &text)
    }

    /// The object's UTF-8, newline-terminated.
    consuming func finish() -> [UInt8] { text + [UInt8(ascii: "}"), UInt8(ascii: "\n")] }
}

/// Where log lines go: a file descriptor. Lines below `notice` are gathered and written every
/// 50 ms (or at 64 KiB) in one `write(2)`, so a busy server does not make a system call per
/// request; `notice` and above flush at once, after what is pending, so order is kept and the
/// lines that matter are out before anything else happens. A SIGKILL can lose up to 50 ms of
/// info lines; a normal exit flushes (`Telemetry.flushLogs`).
final class LogSink: Sendable {
    static let standardError = LogSink(descriptor: 2)

    private let descriptor: Int32
    private let pending = Mutex<[UInt8]>([])
    /// Held while writing, so flushed batches reach the descriptor in order.
    private let writing = Mutex(())
    static let threshold = 64 * 1024

    init(descriptor: Int32) {
        self.descriptor = descriptor
        Task.detached { [self] in
            while true {
                try? await Task.sleep(for: .milliseconds(50))
                flush()
            }
        }
    }

    func write(_ line: String, immediately: Bool) {
        write(bytes: line.utf8, immediately: immediately)
    }

    func write(bytes line: some Collection<UInt8>, immediately: Bool) {
        let full = pending.withLock { buffer in
            buffer.append(contentsOf: line)
            return buffer.count >= Self.threshold
        }
        if immediately || full { flush() }
    }

    func flush() {
        writing.withLock { _ in
            var batch: [UInt8] = []
            pending.withLock { swap(&batch, &$0) }
            guard !batch.isEmpty else { return }
            batch.withUnsafeBufferPointer { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    offset += written
                }
            }
        }
    }
}

/// Wall-clock time for log lines, formatted without Foundation.
enum UnixClock {
    static func now() -> (seconds: Int, milliseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (spec.tv_sec, spec.tv_nsec / 1_000_000)
    }

    /// The `2026-11-25T10:13:19` part of the current second, formatted once per second.
    private static let cachedPrefix = Mutex((seconds: Int.min, text: ""))

    /// `2026-11-25T10:13:19.042Z`.
    static func rfc3339(seconds: Int, milliseconds: Int) -> String {
        let prefix = cachedPrefix.withLock { cache in
            if cache.seconds != seconds { cache = (seconds, dateAndTime(seconds: seconds)) }
            return cache.text
        }
        let digits = String(milliseconds)
        return prefix + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    private static func dateAndTime(seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(parts.tm_year + 1900, 4) + "-" + padded(parts.tm_mon + 1, 2) + "-" + padded(parts.tm_mday, 2)
            + "T" + padded(parts.tm_hour, 2) + ":" + padded(parts.tm_min, 2) + ":" + padded(parts.tm_sec, 2)
    }
}
