import HTTPTypes

/// The one place authd's security headers are decided. Every answer (JSON, pages, redirects,
/// errors) gets the defaults from `RequestMiddleware`: not cached unless its route says so, not
/// sniffed, not framed, no referrer. A portal page adds its Content-Security-Policy, which
/// allows no script (but the form_post page's one, by its hash) and posts forms only to authd
/// itself (and the client it redirects to).
enum SecurityHeaders {
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    /// What every response carries; a route's own Cache-Control (the public well-known
    /// documents) stays. No route sets the other three, so they are appended (fields built once)
    /// rather than looked up and replaced: this runs on every answer.
    static func applyDefaults(to headers: inout HTTPFields) {
        if !headers.contains(.cacheControl) { headers.append(noStore) }
        headers.append(contentsOf: everyAnswer)
    }

    private static let noStore = HTTPField(name: .cacheControl, value: "no-store")
    private static let everyAnswer = [
        HTTPField(name: contentTypeOptions, value: "nosniff"), HTTPField(name: frameOptions, value: "DENY"),
        HTTPField(name: referrerPolicy, value: "no-referrer"),
    ]

    /// A page's policy: nothing but authd's own styles and images, forms to `formAction` only, and
    /// no script but the one whose SHA-256 is `scriptHash` (base64) when a page has one.
    /// `frames`: the only pages it may load in frames (the signed-out page's front-channel
    /// logout URIs), as CSP sources of their path without the query.
    static func contentSecurityPolicy(formAction: [String], scriptHash: String? = nil, frames: [String] = []) -> String
    {
        let frameSources = frames.compactMap(frameSource)
        return
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action \(formAction.joined(separator: " ")); "
            + (scriptHash.map { "script-src 'sha256-\($0)'; " } ?? "")
            + (frameSources.isEmpty ? "" : "frame-src \(frameSources.joined(separator: " ")); ")
            + "frame-ancestors 'none'; base-uri 'none'"
    }

    /// A URI's scheme, authority and path as a CSP source (which matches that path exactly); nil
    /// for anything that could write policy (`;`, `,`, quotes, white space).
    static func frameSource(_ uri: String) -> String? {
        let source = String(uri.prefix { $0 != "?" && $0 != "#" })
        guard source.hasPrefix("https://") || source.hasPrefix("http://"),
            source.utf8.allSatisfy({ (0x21...0x7E).contains($0) && !";,'\"\\".utf8.contains($0) })
        else { return nil }
        return source
    }
}
