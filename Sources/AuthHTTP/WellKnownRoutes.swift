import AuthCore
import AuthCrypto
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `GET /.well-known/jwks.json`: the JWK Set (RFC 7517 §5) of the public keys that verify access
/// tokens. The keys are fixed for the life of the process, so the body is rendered once, with an
/// ETag (a conditional GET answers 304) and a max-age short enough that a key published in the
/// first step of a rotation reaches every verifier before the second step signs with it.
extension HTTPFrontEnd {
    /// Seconds a verifier may cache the key set; the README's rotation waits at least this long
    /// between its two steps.
    static let keySetMaxAge = 300

    func addWellKnownRoutes(to router: MethodTable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings only: encoding cannot fail, nor can SHA-256 of a buffer.
        let body = (try? encoder.encode(["keys": service.tokens.publicKeys])) ?? Data(#"{"keys":[]}"#.utf8)
        let tag = "\"" + Base64.url.encode((try? Digest.hash(.sha256, Array(body)).prefix(16)) ?? []) + "\""
        let headers: HTTPFields = [
            .contentType: "application/jwk-set+json", .cacheControl: "public, max-age=\(Self.keySetMaxAge)",
            .eTag: tag,
        ]
        router.get("/.well-known/jwks.json") { request, _ in
            let cached = request.headers[values: .ifNoneMatch].flatMap { $0.split(separator: ",") }
                .contains { $0.trimmingSpaces == tag || $0.trimmingSpaces == "*" }
            return cached
                ? Response(status: .notModified, headers: headers)
                : Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
