import HTTPTypes

/// The one place authd's security headers are decided. Every answer (JSON, pages, redirects,
/// errors) gets the defaults from `RequestMiddleware`: not cached unless its route says so, not
/// sniffed, not framed, no referrer. A portal page adds its Content-Security-Policy, which
/// allows no script and posts forms only to authd itself (and the client it redirects to).
enum SecurityHeaders {
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    /// What every response carries; a route's own Cache-Control (the public well-known
    /// documents) stays.
    static func applyDefaults(to headers: inout HTTPFields) {
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
        headers[contentTypeOptions] = "nosniff"
        headers[frameOptions] = "DENY"
        headers[referrerPolicy] = "no-referrer"
    }

    /// A page's policy: nothing but authd's own styles and images, forms to `formAction` only.
    static func contentSecurityPolicy(formAction: [String]) -> String {
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action \(formAction.joined(separator: " ")); "
            + "frame-ancestors 'none'; base-uri 'none'"
    }
}
