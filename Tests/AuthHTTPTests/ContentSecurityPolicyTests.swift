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
