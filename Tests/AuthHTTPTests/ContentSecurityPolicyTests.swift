import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AuthHTTP

/// Security hardening, round 2, finding 10: the portal's Content-Security-Policy names the
/// client's origin in `form-action`; an origin that could write policy is left out.
@Suite("the portal's form-action origin")
struct ContentSecurityPolicyTests {
    @Test(
        "scheme://host[:port] or a native scheme; nil for anything holding ; , quotes or spaces",
        arguments: [
            ("https://rp.example.com/cb?x=1", "https://rp.example.com"),
            ("https://rp.example.com:8443/cb", "https://rp.example.com:8443"),
            ("http://[::1]:9000/cb", "http://[::1]:9000"),
            ("com.example.app:/oauth", "com.example.app:"), ("https://rp.example.com;script-src/cb", nil),
            ("https://rp.example.com,https://evil.example/", nil), ("https://rp.example.com'/", nil),
            ("https://rp.example.com /cb", nil), ("no colon", nil),
        ] as [(String, String?)])
    func origin(_ uri: String, _ expected: String?) {
        #expect(HTTPFrontEnd.origin(uri) == expected, "\(uri)")
    }
}

@Suite("security headers, set in one place for every answer")
struct SecurityHeadersTests {
    @Test(
        "JSON, an error, an unknown route, a redirect and a page: nosniff, DENY, no-referrer; no-store unless the route caches"
    )
    func everyAnswer() async throws {
        try await withServer { client in
            let answers = [
                ("/healthz", try await client.execute(uri: "/healthz", method: .get)),
                ("/protected", try await client.execute(uri: "/protected", method: .get)),
                ("/nowhere", try await client.execute(uri: "/nowhere", method: .get)),
                ("/ui/login", try await client.execute(uri: "/ui/login", method: .get)),
                ("/.well-known/jwks.json", try await client.execute(uri: "/.well-known/jwks.json", method: .get)),
            ]
            for (path, answer) in answers {
                #expect(answer.headers[SecurityHeaders.contentTypeOptions] == "nosniff", "\(path)")
                #expect(answer.headers[SecurityHeaders.frameOptions] == "DENY", "\(path)")
                #expect(answer.headers[SecurityHeaders.referrerPolicy] == "no-referrer", "\(path)")
            }
            #expect(answers.dropLast().allSatisfy { $0.1.headers[.cacheControl] == "no-store" })
            #expect(answers.last?.1.headers[.cacheControl] == "public, max-age=300", "the key set's own caching")
            let page = answers[3].1
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
        }
    }
}
