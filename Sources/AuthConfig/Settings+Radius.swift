import AuthCore
public import AuthRADIUS
import Configuration
import NIOSSL

extension Settings {
    /// The RADIUS front end (`radius.addr`); nil when off.
    public struct Radius: Sendable {
        public var server: RadiusServer.Configuration
        public var responder: RadiusResponder.Configuration
        /// RADIUS over TLS (`radius.radsec_addr`); nil when off.
        public var radsec: RadSecServer.Configuration?
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
        return Radius(server: server, responder: responder, radsec: try radsec(config))
    }

    /// `radius.radsec_addr` (empty: off) with `radius.radsec_cert_file`, `radius.radsec_key_file`
    /// (PEM) and `radius.radsec_client_ca_file`: the CA whose client certificates may connect
    /// (RFC 6614 asks for mutual authentication; there is no RadSec without it).
    static func radsec(_ config: ConfigReader) throws -> RadSecServer.Configuration? {
        let text = config.string(forKey: "radius.radsec_addr", default: "")
        let certificate = config.string(forKey: "radius.radsec_cert_file", default: "")
        let key = config.string(forKey: "radius.radsec_key_file", default: "")
        let authority = config.string(forKey: "radius.radsec_client_ca_file", default: "")
        guard !text.isEmpty else { return nil }
        guard !certificate.isEmpty, !key.isEmpty, !authority.isEmpty else {
            throw ConfigurationError(
                "radius.radsec_addr needs radius.radsec_cert_file, radius.radsec_key_file and radius.radsec_client_ca_file"
            )
        }
        let (host, port) = try address(text, key: "radius.radsec_addr")
        do {
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            tls.minimumTLSVersion = .tlsv12
            tls.certificateVerification = .noHostnameVerification
            tls.trustRoots = .file(authority)
            return RadSecServer.Configuration(host: host, port: port, tls: try NIOSSLContext(configuration: tls))
        } catch {
            throw ConfigurationError("radius.radsec_*_file cannot be read as PEM: \(error)")
        }
    }
}
