import NIOCore

/// An IPv4 or IPv6 address as its bytes (4 or 16). An IPv4-mapped IPv6 address
/// (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4 client) is the IPv4 one.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Parses a literal address without port or brackets; nil for anything else.
    public init?(_ text: some StringProtocol) {
        guard text.utf8.count <= 64, let address = try? SocketAddress(ipAddress: String(text), port: 0) else {
            return nil
        }
        switch address {
        case .v4(let v4): bytes = withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6):
            let all = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            bytes = all.prefix(12) == Self.mappedPrefix ? Array(all.suffix(4)) : all
        default: return nil
        }
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private static let mappedPrefix: ArraySlice<UInt8> = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]

    public var isIPv6: Bool { bytes.count == 16 }

    /// The address with every bit after the first `prefix` cleared.
    func masked(to prefix: Int) -> IPAddress {
        var remaining = prefix
        return IPAddress(
            bytes: bytes.map { byte in
                let bits = min(8, max(0, remaining))
                remaining -= 8
                return byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            })
    }

    /// The conventional text form (`192.0.2.1`, `2001:db8::1`).
    public var description: String {
        (try? SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: 0))?.ipAddress ?? "?"
    }
}

/// An address range in CIDR notation: `10.0.0.0/8`, `2001:db8::/32`, or one address alone.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefix: Int

    /// Parses `address[/prefix]`; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(parts[0]) else { return nil }
        // A mapped IPv6 network (`::ffff:10.0.0.0/104`) is the IPv4 network it maps.
        let mapped = address.bytes.count == 4 && parts[0].contains(":")
        let bits = mapped ? 128 : address.bytes.count * 8
        guard let written = parts.count == 2 ? Int(parts[1]) : bits, (0...bits).contains(written) else { return nil }
        let adjusted = mapped ? written - 96 : written
        guard adjusted >= 0 else { return nil }
        self.address = address.masked(to: adjusted)
        self.prefix = adjusted
    }

    public func contains(_ other: IPAddress) -> Bool {
        other.bytes.count == address.bytes.count && other.masked(to: prefix) == address
    }

    public var description: String { "\(address)/\(prefix)" }
}

/// How per-address limits and lockouts group client addresses: an IPv4 address alone, an IPv6
/// address by its network, since one host or subscriber is usually given a whole /64 and could
/// otherwise take a fresh key for every attempt.
public struct AddressGrouping: Sendable, Equatable {
    /// The IPv6 prefix length that makes one key (1–128; 128 keys every address alone).
    public var ipv6Prefix: Int

    public init(ipv6Prefix: Int = 64) {
        self.ipv6Prefix = min(128, max(1, ipv6Prefix))
    }

    /// `2001:db8:1:2::/64` for any address in that /64, an IPv4 address as it is; text that is
    /// not an address (a test's label, say) is its own key.
    public func key(_ source: String) -> String {
        guard let address = IPAddress(source) else { return source }
        guard address.isIPv6 else { return address.description }
        return ipv6Prefix == 128 ? address.description : "\(address.masked(to: ipv6Prefix))/\(ipv6Prefix)"
    }
}
