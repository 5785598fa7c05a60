import AuthCore
import AuthCrypto

/// Dovecot's authentication protocol, client side of the conversation as a server sees it
/// (Dovecot's developer manual, "Authentication protocol", version 1.2): TAB-separated lines,
/// values escaped with `\x01` (`\x011` for `\x01`, `\x01t` TAB, `\x01r` CR, `\x01n` LF).
public enum DovecotAuthProtocol {
    public static let majorVersion = 1
    public static let minorVersion = 2
    /// Dovecot's own limit for a client's line.
    public static let maximumLineLength = 16 * 1024

    public static let mechanisms: [Mechanism] = [.plain, .login, .oauthBearer, .xoauth2]

    public enum Mechanism: String, Sendable, CaseIterable {
        case plain = "PLAIN"
        case login = "LOGIN"
        case oauthBearer = "OAUTHBEARER"
        case xoauth2 = "XOAUTH2"

        /// The `MECH` line's flags: what Postfix and Exim read to offer a mechanism.
        var flags: [String] {
            switch self {
            case .plain, .login: ["plaintext"]
            case .oauthBearer, .xoauth2: []
            }
        }
    }

    /// `AUTH\t<id>\t<mechanism>\tservice=<service>[\t<parameter>…]`, values unescaped.
    public struct AuthRequest: Sendable, Equatable {
        public var id: UInt32
        public var mechanism: String
        public var service: String
        /// The end client's address (`rip=`), as the mail server saw it.
        public var remoteAddress: String?
        /// `resp=`: the initial response, base64-decoded; nil when none was sent.
        public var initialResponse: [UInt8]?
    }

    public struct ProtocolError: Error, Equatable, Sendable {
        public var message: String
        /// The request ID when one could be read: the error is then a `FAIL` for it, not a disconnect.
        public var id: UInt32?
    }

    /// The server's handshake: version, mechanisms, process and connection IDs, cookie, `DONE`.
    public static func handshake(processID: Int32, connectionID: UInt64, cookie: [UInt8]) -> String {
        var lines = ["VERSION\t\(majorVersion)\t\(minorVersion)"]
        for mechanism in mechanisms {
            lines.append((["MECH", mechanism.rawValue] + mechanism.flags).joined(separator: "\t"))
        }
        lines += ["SPID\t\(processID)", "CUID\t\(connectionID)", "COOKIE\t\(Hex.encode(cookie))", "DONE"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A line's fields, unescaped; nil when an escape is malformed or a field is not UTF-8.
    public static func fields(_ line: some Collection<UInt8>) -> [String]? {
        var fields: [String] = []
        for raw in line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false) {
            guard let bytes = unescape(raw), let field = String(validating: bytes, as: UTF8.self) else { return nil }
            fields.append(field)
        }
        return fields
    }

    static func unescape(_ raw: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var escaped = false
        for byte in raw {
            if escaped {
                switch byte {
                case UInt8(ascii: "1"): out.append(1)
                case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                default: return nil
                }
                escaped = false
            } else if byte == 1 {
                escaped = true
            } else {
                out.append(byte)
            }
        }
        return escaped ? nil : out
    }

    static let escapes = ASCIIEscapes(["\u{1}": "\u{1}1", "\t": "\u{1}t", "\r": "\u{1}r", "\n": "\u{1}n"])

    public static func escape(_ value: String) -> String { escapes.apply(value) }

    /// Reads an `AUTH` line's fields (after the command). Unknown parameters are ignored, as
    /// Dovecot does, so newer clients keep working.
    public static func authRequest(_ fields: ArraySlice<String>) -> Result<AuthRequest, ProtocolError> {
        guard let idField = fields.first, let id = UInt32(idField), id > 0 else {
            return .failure(ProtocolError(message: "AUTH without a valid ID", id: nil))
        }
        guard fields.count >= 3 else { return .failure(ProtocolError(message: "AUTH without a mechanism", id: id)) }
        var request = AuthRequest(id: id, mechanism: fields[fields.startIndex + 1], service: "")
        for parameter in fields.dropFirst(2) {
            let (key, value) = split(parameter)
            switch key {
            case "service": request.service = value ?? ""
            case "rip": request.remoteAddress = value
            case "resp":
                guard let value, let decoded = decodeBase64(value) else {
                    return .failure(ProtocolError(message: "AUTH with a malformed resp", id: id))
                }
                request.initialResponse = decoded
            default: continue
            }
        }
        guard !request.service.isEmpty else { return .failure(ProtocolError(message: "AUTH without service", id: id)) }
        return .success(request)
    }

    /// `key=value`, or a bare flag such as `nologin` (value nil).
    static func split(_ parameter: String) -> (String, String?) {
        guard let equals = parameter.firstIndex(of: "=") else { return (parameter, nil) }
        return (String(parameter[..<equals]), String(parameter[parameter.index(after: equals)...]))
    }

    /// Standard base64, padding optional; an empty string is an empty response.
    public static func decodeBase64(_ text: String) -> [UInt8]? {
        var view = Substring(text)
        while view.hasSuffix("=") { view = view.dropLast() }
        return Base64.standard.decode(view)
    }
}

/// What a SASL client's messages say, for the mechanisms authd serves.
public enum SASLMessage {
    public struct Credentials: Equatable, Sendable {
        public var user: String
        public var password: String
    }

    public struct Bearer: Equatable, Sendable {
        /// The user the client says it is (may be absent in OAUTHBEARER's GS2 header).
        public var user: String?
        public var token: String
    }

    /// RFC 4616: `[authzid] NUL authcid NUL passwd`. An authorization identity other than the
    /// authentication identity (acting as someone else) is refused.
    public static func plain(_ message: [UInt8]) -> Credentials? {
        let parts = message.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3, let authzid = String(validating: parts[0], as: UTF8.self),
            let user = String(validating: parts[1], as: UTF8.self),
            let password = String(validating: parts[2], as: UTF8.self), !user.isEmpty
        else { return nil }
        guard authzid.isEmpty || authzid == user else { return nil }
        return Credentials(user: user, password: password)
    }

    /// Google's XOAUTH2: `user=<user>\x01auth=Bearer <token>\x01\x01`.
    public static func xoauth2(_ message: [UInt8]) -> Bearer? {
        guard let text = String(validating: message, as: UTF8.self) else { return nil }
        let pairs = keyValues(text.split(separator: "\u{1}", omittingEmptySubsequences: true))
        guard let user = pairs["user"], !user.isEmpty, let token = bearerToken(pairs["auth"]) else { return nil }
        return Bearer(user: user, token: token)
    }

    /// RFC 7628: `n,a=<user>,\x01host=…\x01port=…\x01auth=Bearer <token>\x01\x01` (GS2 header first;
    /// channel binding is not supported, so `p=` is refused).
    public static func oauthBearer(_ message: [UInt8]) -> Bearer? {
        guard let text = String(validating: message, as: UTF8.self) else { return nil }
        let parts = text.split(separator: "\u{1}", omittingEmptySubsequences: true)
        guard let header = parts.first else { return nil }
        let gs2 = header.split(separator: ",", omittingEmptySubsequences: false)
        guard gs2.count >= 2, gs2[0] == "n" || gs2[0] == "y" else { return nil }
        var user: String?
        if gs2[1].hasPrefix("a=") {
            user = String(gs2[1].dropFirst(2)).replacing("=2C", with: ",").replacing("=3D", with: "=")
        } else if !gs2[1].isEmpty {
            return nil
        }
        guard let token = bearerToken(keyValues(parts.dropFirst())["auth"]) else { return nil }
        return Bearer(user: user, token: token)
    }

    private static func keyValues(_ parts: some Sequence<Substring>) -> [String: String] {
        var pairs: [String: String] = [:]
        for part in parts {
            guard let equals = part.firstIndex(of: "=") else { continue }
            pairs[String(part[..<equals])] = String(part[part.index(after: equals)...])
        }
        return pairs
    }

    private static func bearerToken(_ auth: String?) -> String? {
        guard let auth, auth.prefix(7).lowercased() == "bearer " else { return nil }
        let token = auth.dropFirst(7)
        return token.isEmpty ? nil : String(token)
    }
}
