/// Percent-encoding for URLs authd builds (otpauth URIs, redirects to clients).
public enum URLEncoding {
    /// RFC 3986 unreserved characters stay, every other byte is %XX.
    public static func component(_ text: String) -> String {
        text.utf8.map { byte -> String in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                String(UnicodeScalar(byte))
            default:
                "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }.joined()
    }

    /// `uri` with `parameters` added to its query (after `?`, or `&` when it has one already).
    public static func adding(_ parameters: [(String, String)], to uri: String) -> String {
        let query = parameters.map { component($0.0) + "=" + component($0.1) }.joined(separator: "&")
        return uri + (uri.contains("?") ? "&" : "?") + query
    }
}
