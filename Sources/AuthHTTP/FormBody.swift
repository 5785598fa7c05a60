import AuthCore
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An `application/x-www-form-urlencoded` body as OAuth 2 reads it (RFC 6749 §3.2, Appendix B):
/// each of the route's parameters at most once, an empty value counts as absent (§3.1), any other
/// parameter is ignored (however often it comes). Bounded size; malformed percent-encoding or
/// UTF-8 is refused.
public struct FormBody: Sendable {
    private let values: [String: String]

    /// Why a body was refused; the OAuth routes answer `invalid_request` with it.
    public struct Refusal: Error {
        var status: HTTPResponse.Status = .badRequest
        var message: String
    }

    static func read(_ request: Request, limit: Int, parameters: Set<String>) async throws(Refusal) -> FormBody {
        guard let contentType = request.headers[.contentType], isForm(contentType) else {
            throw Refusal(message: "Content-Type must be application/x-www-form-urlencoded")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw Refusal(status: .contentTooLarge, message: "request body is too large")
        }
        return try parse(Array(buffer.readableBytesView), parameters: parameters)
    }

    /// Public for the fuzzer (`Fuzz/FuzzOAuthForm`).
    public static func parse(_ bytes: [UInt8], parameters: Set<String>) throws(Refusal) -> FormBody {
        var values: [String: String] = [:]
        var seen: Set<String> = []
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count == 2 ? parts[1] : []) else {
                throw Refusal(message: "the body is not valid form encoding")
            }
            guard parameters.contains(name) else { continue }
            guard seen.insert(name).inserted else {
                throw Refusal(message: "parameter \(printable(name)) is given more than once")
            }
            if !value.isEmpty { values[name] = value }
        }
        return FormBody(values: values)
    }

    public subscript(_ name: String) -> String? { values[name] }

    /// `+` is a space; `%XX` a byte; the result must be UTF-8.
    static func decode(_ bytes: some Collection<UInt8>) -> String? {
        URLEncoding.decode(bytes, plusIsSpace: true).flatMap { String(validating: $0, as: UTF8.self) }
    }

    static func isForm(_ contentType: String) -> Bool {
        contentType.split(separator: ";", maxSplits: 1).first?.trimmingSpaces.lowercased()
            == "application/x-www-form-urlencoded"
    }

    private static func printable(_ name: String) -> String {
        String(
            name.unicodeScalars.prefix(64).map {
                $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?"
            })
    }
}
