public import Logging

/// `2026-11-25T10:13:19.042Z notice authd: key=value key="two words" message`, one line per event,
/// for a developer's terminal. Every value (and the message) is escaped: a newline, CR, tab, quote,
/// backslash or other control character in a client-provided value cannot start a forged line or
/// blur where a field ends. Values with spaces or `=` are quoted.
public struct TextLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: LogSink

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
        var all = Logger.Metadata.merging(metadataProvider?.get() ?? [:], metadata, event.metadata ?? [:])
        if let error = event.error, all["error"] == nil { all["error"] = .string("\(error)") }
        sink.write(
            Self.line(
                time: UnixClock.now(), level: event.level, label: label, message: event.message.description,
                metadata: all),
            immediately: event.level >= .notice)
    }

    static func line(
        time: (seconds: Int, milliseconds: Int), level: Logger.Level, label: String, message: String,
        metadata: Logger.Metadata
    ) -> String {
        var line = UnixClock.rfc3339(seconds: time.seconds, milliseconds: time.milliseconds)
        line += " \(level.rawValue) \(Self.escaped(label, quoting: true)):"
        for key in metadata.keys.sorted() {
            line += " " + escaped(key, quoting: false) + "=" + escaped(flat(metadata[key]!), quoting: true)
        }
        return line + " " + escaped(message, quoting: false) + "\n"
    }

    private static func flat(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(flat).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            "{" + dictionary.keys.sorted().map { "\($0):\(flat(dictionary[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// Control characters, DEL, U+2028/2029, `"` and `\` as escapes; with `quoting`, the whole
    /// value in quotes when it is empty or holds a space, `=` or anything escaped.
    static func escaped(_ text: String, quoting: Bool) -> String {
        var out = ""
        var needsQuotes = quoting && text.isEmpty
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{00}"..."\u{1F}", "\u{7F}", "\u{85}", "\u{2028}", "\u{2029}":
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                if scalar == " " || scalar == "=" { needsQuotes = quoting }
                out.unicodeScalars.append(scalar)
                continue
            }
            needsQuotes = quoting
        }
        return needsQuotes ? "\"" + out + "\"" : out
    }
}
