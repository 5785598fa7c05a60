import AuthCrypto

/// A client allowed on a non-loopback listener: its name, the SHA-256 of its key (keys are long
/// random strings, so a fast hash is enough and the configuration holds no usable secret), and
/// the services it may run AUTH for (nil: any).
public struct LineClientKey: Sendable, Hashable {
    public let name: String
    let keyHash: [UInt8]
    public let services: Set<String>?

    /// Parses `name:sha256-hex[:service+service…]`, as configured in `line.clients` (services are
    /// joined by `+` because environment variables separate list entries with commas).
    public init?(configured text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), !parts[0].isEmpty, parts[1].count == 64,
            let hash = Hex.decode(parts[1])
        else { return nil }
        name = String(parts[0])
        keyHash = hash
        services = parts.count == 3 ? Set(parts[2].split(separator: "+").map(String.init)) : nil
    }

    public init(name: String, key: String, services: Set<String>? = nil) throws {
        self.name = name
        self.keyHash = try Digest.hash(.sha256, Array(key.utf8))
        self.services = services
    }

    func matches(key: String) -> Bool {
        guard let hash = try? Digest.hash(.sha256, Array(key.utf8)) else { return false }
        return ConstantTime.equals(hash, keyHash)
    }
}

/// What a connection has established about its peer.
public struct LineSession: Sendable {
    /// True on non-loopback listeners: nothing but CLIENT and QUIT before a CLIENT succeeds.
    public var requiresClient: Bool
    public var client: LineClientKey?
    /// The peer's IP address, for the `source` and `lockout` modules.
    public var peer: String?

    public init(requiresClient: Bool, client: LineClientKey? = nil, peer: String? = nil) {
        self.requiresClient = requiresClient
        self.client = client
        self.peer = peer
    }
}
