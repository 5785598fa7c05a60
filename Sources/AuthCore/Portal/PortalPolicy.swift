/// The portal's `oidc.*` settings: when consent is asked, and where a browser may be sent back to
/// after signing in for an application behind nginx `auth_request` (the portal flow).
public struct PortalPolicy: Hashable, Sendable {
    /// `oidc.consent`.
    public enum ConsentMode: String, Hashable, Sendable, CaseIterable {
        /// Ask once per user, client and scope; remember the answer (revocable).
        case remember
        /// Ask at every authorization.
        case always
        /// Never ask (every client is the operator's own); `prompt=consent` still asks.
        case implicit
    }

    public var consent: ConsentMode
    /// `oidc.cookie_domain`: the domain of the `access_token` cookie the portal sets for
    /// applications behind nginx (e.g. `example.com` for `app.example.com`); nil for host-only.
    public var cookieDomain: String?
    /// `oidc.return_hosts`: hosts `rd=` may name. `app.example.com` is that host only;
    /// `.example.com` is any host under it (not `example.com` itself).
    public var returnHosts: [String]
    /// `oidc.sso_idle_timeout_seconds`: an SSO session unused this long has ended (sign in again).
    public var ssoIdleTimeout: Int64
    /// `oidc.self_registration`: the sign-in page offers "Create an account" (`/ui/register`).
    public var selfRegistration: Bool
    /// `oidc.require_pushed_authorization_requests`: every client's authorization requests must
    /// come through `/oauth2/par` (RFC 9126); a client can also be held to it on its own.
    public var requirePushedRequests: Bool

    public init(
        consent: ConsentMode = .remember, cookieDomain: String? = nil, returnHosts: [String] = [],
        ssoIdleTimeout: Int64 = 1800, selfRegistration: Bool = false, requirePushedRequests: Bool = false
    ) {
        self.selfRegistration = selfRegistration
        self.requirePushedRequests = requirePushedRequests
        self.consent = consent
        self.cookieDomain = cookieDomain
        self.returnHosts = returnHosts.map { $0.lowercased() }
        self.ssoIdleTimeout = ssoIdleTimeout
    }

    public static let maximumReturnURLLength = 2048

    /// `candidate` when it is an absolute http(s) URL on an allowed host; nil for anything else
    /// (relative, another scheme, user info, backslashes, controls, spaces, non-ASCII, a host not
    /// listed), so the portal never redirects anywhere it was not told to.
    public func returnURL(_ candidate: String) -> String? {
        guard let host = Self.host(of: candidate) else { return nil }
        let allowed = returnHosts.contains { entry in
            entry.hasPrefix(".") ? host.hasSuffix(entry) && host.count > entry.count : host == entry
        }
        return allowed ? candidate : nil
    }

    /// The lower-cased host of a strict absolute http(s) URL, without the port.
    public static func host(of url: String) -> String? {
        let bytes = Array(url.utf8)
        guard bytes.count <= Self.maximumReturnURLLength,
            bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") })
        else { return nil }
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            rest = lower.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            rest = lower.dropFirst(7)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return nil }
        var host = authority
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            guard after.isEmpty || Self.isPort(after) else { return nil }
            host = host[...close]
        } else if let colon = host.firstIndex(of: ":") {
            guard Self.isPort(host[colon...]) else { return nil }
            host = host[..<colon]
        }
        guard !host.isEmpty, !host.hasSuffix(".") else { return nil }
        return String(host)
    }

    /// `:` and 1 to 5 digits.
    private static func isPort(_ text: Substring) -> Bool {
        let digits = text.dropFirst()
        return text.first == ":" && (1...5).contains(digits.count) && digits.allSatisfy(\.isASCIIDigit)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
