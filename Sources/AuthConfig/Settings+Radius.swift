import AuthCore
public import AuthRADIUS
import Configuration

extension Settings {
    /// The RADIUS front end (`radius.addr`); nil when off.
    public struct Radius: Sendable {
        public var server: RadiusServer.Configuration
        public var responder: RadiusResponder.Configuration
    }

    /// `radius.addr` (empty: off), `radius.clients` (`CIDR=secret` entries, secrets of at least
    /// 16 bytes), `radius.legacy_clients` (networks of those entries that may leave out the
    /// Message-Authenticator), `radius.service` (the stack), `radius.role_attribute` (`class`, `filter_id` or
    /// `none`), `radius.max_in_flight` and `radius.accounting_addr` (empty: no accounting).
    static func radius(_ config: ConfigReader) throws -> Radius? {
        let text = config.string(forKey: "radius.addr", default: "")
        guard !text.isEmpty else { return nil }
        let (host, port) = try address(text, key: "radius.addr")
        var clients: [RadiusClient] = []
        for entry in config.stringArray(forKey: "radius.clients", isSecret: true, default: []) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let network = IPNetwork(parts[0]) else {
                throw ConfigurationError("radius.clients entries are CIDR=shared-secret (e.g. 10.0.0.0/24=…)")
            }
            guard parts[1].utf8.count >= RadiusClient.minimumSecretLength else {
                throw ConfigurationError(
                    "radius.clients: the secret for \(network) is shorter than \(RadiusClient.minimumSecretLength) bytes"
                )
            }
            clients.append(RadiusClient(network: network, secret: Array(parts[1].utf8)))
        }
        guard !clients.isEmpty else {
            throw ConfigurationError("radius.addr is set: configure radius.clients (CIDR=shared-secret) too")
        }
        for text in config.stringArray(forKey: "radius.legacy_clients", default: []) where !text.isEmpty {
            guard let network = IPNetwork(text), let index = clients.firstIndex(where: { $0.network == network }) else {
                throw ConfigurationError(
                    "radius.legacy_clients: '\(text.prefix(64))' is not the network of an entry in radius.clients")
            }
            clients[index].requiresMessageAuthenticator = false
        }
        var responder = RadiusResponder.Configuration(clients: clients)
        responder.stack = config.string(forKey: "radius.service", default: responder.stack)
        guard Identity.isServiceName(responder.stack) else {
            throw ConfigurationError("radius.service must be a stack name")
        }
        switch config.string(forKey: "radius.role_attribute", default: "class") {
        case "class": responder.roleAttribute = .class
        case "filter_id": responder.roleAttribute = .filterID
        case "none": responder.roleAttribute = nil
        default: throw ConfigurationError("radius.role_attribute must be class, filter_id or none")
        }
        var server = RadiusServer.Configuration(host: host, port: port)
        server.maximumInFlight = config.int(forKey: "radius.max_in_flight", default: server.maximumInFlight)
        guard server.maximumInFlight > 0 else { throw ConfigurationError("radius.max_in_flight must be positive") }
        let accounting = config.string(forKey: "radius.accounting_addr", default: "")
        if !accounting.isEmpty { server.accounting = try address(accounting, key: "radius.accounting_addr") }
        return Radius(server: server, responder: responder)
    }
}
