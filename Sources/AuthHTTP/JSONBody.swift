import Foundation
import Hummingbird

/// A request's JSON object, read strictly: `application/json` only, bounded size and nesting,
/// an object at the top, no fields beyond the expected ones, each of the expected type.
struct JSONBody {
    private let object: [String: Any]

    /// Deeper nesting is refused before parsing, so a hostile body cannot exhaust the stack.
    static let maximumDepth = 32

    /// `allowedFields` nil takes any field (RFC 7591's metadata: a server ignores what it does not
    /// know); the expected ones are still checked for their types.
    static func read(_ request: Request, limit: Int, allowedFields: Set<String>?) async throws -> JSONBody {
        guard let contentType = request.headers[.contentType], Self.isJSON(contentType) else {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type", message: "Content-Type must be application/json")
        }
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        let bytes = Data(buffer.readableBytesView)
        guard Self.depth(of: bytes) <= maximumDepth,
            let parsed = try? JSONSerialization.jsonObject(with: bytes, options: [])
        else {
            throw APIError.badRequest("malformed_json", "request body is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else {
            throw APIError.badRequest("invalid_body", "request body must be a JSON object")
        }
        if let allowedFields, let unknown = object.keys.filter({ !allowedFields.contains($0) }).sorted().first {
            throw APIError.badRequest("unknown_field", "unknown field '\(Self.printable(unknown))'")
        }
        return JSONBody(object: object)
    }

    func string(_ field: String) throws -> String {
        try required(field, optionalString(field))
    }

    func optionalString(_ field: String) throws -> String? {
        try typed(field, "a string") { $0 as? String }
    }

    func optionalBool(_ field: String) throws -> Bool? {
        // JSONSerialization reads true/false as NSNumber, as it does 0 and 1; only the booleans
        // come back as the boolean subclass.
        try typed(field, "true or false") { value in
            guard let number = value as? NSNumber, type(of: number) == Self.booleanType else { return nil }
            return number.boolValue
        }
    }

    func optionalStrings(_ field: String) throws -> [String]? {
        try typed(field, "an array of strings") { value in
            guard let array = value as? [Any] else { return nil }
            let strings = array.compactMap { $0 as? String }
            return strings.count == array.count ? strings : nil
        }
    }

    /// Absent: nil; JSON `null`: `.some(nil)`; otherwise a whole number.
    func nullableInt(_ field: String) throws -> Int64?? {
        guard let value = object[field] else { return nil }
        if value is NSNull { return .some(nil) }
        return try typed(field, "an integer or null") { value -> Int64? in
            guard let number = value as? NSNumber, type(of: number) != Self.booleanType else { return nil }
            return Int64(exactly: number.doubleValue)
        }
    }

    /// Absent: nil; JSON `null`: `.some(nil)`; otherwise a string.
    func nullableString(_ field: String) throws -> String?? {
        guard let value = object[field] else { return nil }
        if value is NSNull { return .some(nil) }
        return try typed(field, "a string or null") { $0 as? String }
    }

    private static let booleanType = type(of: NSNumber(value: true))

    private func typed<T>(_ field: String, _ expected: String, _ cast: (Any) -> T?) throws -> T? {
        guard let value = object[field] else { return nil }
        guard let typed = cast(value) else {
            throw APIError.badRequest("wrong_type", "field '\(field)' must be \(expected)")
        }
        return typed
    }

    private func required<T>(_ field: String, _ value: T?) throws -> T {
        guard let value else { throw APIError.badRequest("missing_field", "field '\(field)' is required") }
        return value
    }

    /// `application/json`, optionally with parameters such as `charset=utf-8`.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }

    /// Maximum bracket nesting outside strings; unbalanced input is left to the parser to refuse.
    static func depth(of bytes: Data) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// Field names are echoed in errors; keep them short and printable.
    private static func printable(_ name: String) -> String {
        String(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(64).map(Character.init))
    }
}
