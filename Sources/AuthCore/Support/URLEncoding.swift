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

    /// The bytes `%XX` escapes stand for, `+` read as a space when `plusIsSpace` (HTML forms);
    /// nil for a `%` without two hex digits after it.
    public static func decode(_ bytes: some Collection<UInt8>, plusIsSpace: Bool) -> [UInt8]? {
        // Called across modules, so unspecialised: one witness call for contiguous bytes (every
        // caller's), then a loop over a buffer, instead of one per byte.
        if let decoded = bytes.withContiguousStorageIfAvailable({ decode(buffer: $0, plusIsSpace: plusIsSpace) }) {
            return decoded
        }
        return Array(bytes).withUnsafeBufferPointer { decode(buffer: $0, plusIsSpace: plusIsSpace) }
    }

    private static func decode(buffer bytes: UnsafeBufferPointer<UInt8>, plusIsSpace: Bool) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "+") where plusIsSpace: out.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index + 2 < bytes.count, let h = hexValue(bytes[index + 1]), let l = hexValue(bytes[index + 2])
                else { return nil }
                out.append(h << 4 | l)
                index += 2
            default: out.append(byte)
            }
            index += 1
        }
        return out
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
