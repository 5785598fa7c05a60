public import AuthCore
import Hummingbird

/// Who the client of a request is when authd sits behind reverse proxies: the TCP peer, unless
/// that peer is a trusted proxy, in which case the forwarding header is read from the nearest hop
/// outwards and the first address that is not itself a trusted proxy is the client. Nobody
/// else's header is believed, so a client cannot pick its own address (and rate-limit or lockout
/// key) by sending one.
public struct ForwardedClient: Sendable {
    /// The header the proxies write; only that one is read (a proxy that sets one usually passes
    /// the other through from the client untouched).
    public enum Header: String, Sendable, CaseIterable {
        /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, most load balancers).
        case xForwardedFor = "x-forwarded-for"
        /// RFC 7239 `Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"`.
        case forwarded

        var fieldName: HTTPFields.Element.Name {
            switch self {
            case .xForwardedFor: HeaderName.xForwardedFor
            case .forwarded: HeaderName.forwarded
            }
        }
    }

    public var trustedProxies: [IPNetwork]
    public var header: Header

    public init(trustedProxies: [IPNetwork] = [], header: Header = .xForwardedFor) {
        self.trustedProxies = trustedProxies
        self.header = header
    }

    /// At most this many hops are looked at, from the nearest.
    static let maximumHops = 32

    /// The client's address for a request from `peer` with these header values (in order of
    /// appearance), normalised as `IPAddress` writes it; `peer` itself when it is not trusted.
    /// A hop that is not an address (`unknown`, an obfuscated name) ends the walk at the last
    /// trusted proxy: nothing unverifiable becomes the client.
    public func client(peer: String?, values: [String]) -> String? {
        guard let peer, var nearest = IPAddress(peer), isTrusted(nearest) else {
            return peer
        }
        for hop in hops(values).suffix(Self.maximumHops).reversed() {
            guard let address = IPAddress(hop) else { break }
            guard isTrusted(address) else { return address.description }
            nearest = address
        }
        return nearest.description
    }

    func isTrusted(_ address: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    /// The hop addresses of the header values, farthest (the original client) first, each without
    /// quotes, brackets or port.
    func hops(_ values: [String]) -> [Substring] {
        values.flatMap { $0.split(separator: ",") }.map { element in
            switch header {
            case .xForwardedFor: return Self.bareAddress(element)
            case .forwarded:
                let pair = element.split(separator: ";").first { pair in
                    pair.drop { $0 == " " }.prefix(4).lowercased() == "for="
                }
                return pair.map { Self.bareAddress($0.drop { $0 == " " }.dropFirst(4)) } ?? ""
            }
        }
    }

    /// `"[2001:db8::1]:4711"` → `2001:db8::1`, `192.0.2.1:80` → `192.0.2.1`; anything else trimmed.
    static func bareAddress(_ text: Substring) -> Substring {
        var value = text.drop { $0 == " " || $0 == "\t" }
        while let last = value.last, last == " " || last == "\t" { value = value.dropLast() }
        if value.first == "\"", value.last == "\"", value.count >= 2 { value = value.dropFirst().dropLast() }
        if value.first == "[", let close = value.firstIndex(of: "]") {
            return value[value.index(after: value.startIndex)..<close]
        }
        if value.filter({ $0 == ":" }).count == 1, let colon = value.firstIndex(of: ":") { return value[..<colon] }
        return value
    }
}
