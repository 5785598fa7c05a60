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
    static func contentSecurityPolicy(formAction: [String], scriptHash: String? = nil) -> String {
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action \(formAction.joined(separator: " ")); "
            + (scriptHash.map { "script-src 'sha256-\($0)'; " } ?? "") + "frame-ancestors 'none'; base-uri 'none'"
    }
}
