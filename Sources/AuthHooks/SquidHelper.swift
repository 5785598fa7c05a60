import AuthCore

/// Squid's helper protocol (squid.conf, `auth_param` and `external_acl_type`): one request per line,
/// `[channel-ID ]value value…`, each value URL-escaped; one reply per line,
/// `[channel-ID ]OK|ERR|BH[ key=value…]`.
public enum SquidHelper {
    /// Longest request line read; Squid's own helper buffer is 32 KiB.
    public static let maximumLineLength = 32 * 1024

    public enum Result: String, Sendable {
        case ok = "OK"
        /// A definite no (wrong password, no such role).
        case err = "ERR"
        /// "Broken helper": no answer could be given (authd away, bad input, configuration).
        case bh = "BH"
    }

    public struct Request: Sendable, Equatable {
        /// Echoed back first on the reply line when Squid runs the helper with `concurrency=N`.
        public var channel: String?
        /// The values, URL-unescaped.
        public var values: [[UInt8]]
    }

    public struct Refusal: Error, Equatable, Sendable {
        /// The channel when one could be read, so the `BH` still reaches the right request.
        public var channel: String?
        public var message: String
    }

    /// Reads one request line (without its newline). With `concurrent`, the first value is the
    /// channel ID: decimal digits, as Squid sends.
    public static func parse(_ line: some Collection<UInt8>, concurrent: Bool) -> Swift.Result<Request, Refusal> {
        var tokens = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)[...]
        var channel: String?
        if concurrent {
            guard let first = tokens.popFirst(), first.count <= 10, first.allSatisfy(isDigit) else {
                return .failure(Refusal(channel: nil, message: "no channel ID (is concurrency= set in squid.conf?)"))
            }
            channel = String(decoding: first, as: UTF8.self)
        }
        guard line.count <= maximumLineLength else {
            return .failure(Refusal(channel: channel, message: "line too long"))
        }
        guard !line.contains(0), !line.contains(UInt8(ascii: "\r")) else {
            return .failure(Refusal(channel: channel, message: "control characters in the request"))
        }
        var values: [[UInt8]] = []
        for token in tokens {
            guard let value = URLEncoding.decode(token, plusIsSpace: false) else {
                return .failure(Refusal(channel: channel, message: "malformed URL escape"))
            }
            values.append(value)
        }
        return .success(Request(channel: channel, values: values))
    }

    /// One reply line, newline included. Values are quoted, `"` and `\` escaped, and CR and LF
    /// written as `\r` and `\n`, so nothing a value holds can end the line early.
    public static func reply(channel: String?, _ result: Result, _ pairs: [(String, String)] = []) -> String {
        var line = channel.map { $0 + " " } ?? ""
        line += result.rawValue
        for (key, value) in pairs { line += " \(key)=\(quoted(value))" }
        return line + "\n"
    }

    static let escapes = ASCIIEscapes(["\"": "\\\"", "\\": "\\\\", "\r": "\\r", "\n": "\\n"])

    static func quoted(_ value: String) -> String { "\"" + escapes.apply(value) + "\"" }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
