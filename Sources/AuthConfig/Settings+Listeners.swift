import AuthCore
import AuthCrypto
import AuthHTTP
import AuthHookServers
import AuthLineProtocol
import Configuration
import SystemPackage

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Settings {
    static func lineServer(_ config: ConfigReader) throws -> LineServer.Configuration {
        let defaults = LineServer.Configuration()
        let (host, port) = try address(
            config.string(forKey: "line.addr", default: "\(defaults.host):\(defaults.port)"), key: "line.addr")
        var clients: [LineClientKey] = []
        for entry in config.stringArray(forKey: "line.clients", isSecret: true, default: []) {
            guard let client = LineClientKey(configured: entry) else {
                throw ConfigurationError("line.clients entries are name:sha256-hex-of-key[:service+service…]")
            }
            clients.append(client)
        }
        let line = LineServer.Configuration(
            host: host, port: port,
            maximumInFlight: config.int(forKey: "line.max_inflight", default: defaults.maximumInFlight),
            idleTimeout: .seconds(
                Int64(
                    config.int(
                        forKey: "line.idle_timeout_seconds",
                        default: Int(defaults.idleTimeout.nanoseconds / 1_000_000_000)))),
            maximumConnections: config.int(forKey: "line.max_connections", default: defaults.maximumConnections),
            clients: clients,
            clientDeadline: .seconds(
                Int64(
                    config.int(
                        forKey: "line.client_timeout_seconds",
                        default: Int(defaults.clientDeadline.nanoseconds / 1_000_000_000)))),
            maximumUnauthenticated: config.int(
                forKey: "line.max_unauthenticated", default: defaults.maximumUnauthenticated))
        guard line.clientDeadline > .zero else {
            throw ConfigurationError("line.client_timeout_seconds must be positive")
        }
        // A listener others can reach must let nobody in without a client key.
        guard !line.requiresClient || !clients.isEmpty else {
            throw ConfigurationError("line.addr \(host) is not loopback: configure line.clients (client keys) first")
        }
        return line
    }

    /// `nginx_mail.backends`: `protocol=ip:port` entries (imap, pop3, smtp); `nginx_mail.proxies`:
    /// CIDRs of the nginx mail proxies whose `Client-IP` is believed.
    static func mailBackends(_ config: ConfigReader) throws -> MailBackends {
        var servers: [String: MailBackends.Backend] = [:]
        for entry in config.stringArray(forKey: "nginx_mail.backends", default: []) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, MailBackends.protocols.contains(parts[0]), let hostPort = HostPort(parts[1]),
                let address = IPAddress(hostPort.host), hostPort.port > 0, servers[parts[0]] == nil
            else {
                throw ConfigurationError(
                    "nginx_mail.backends entries are imap|pop3|smtp=<IP address>:<port>, once each, got \(entry)")
            }
            servers[parts[0]] = .init(address: address, port: hostPort.port)
        }
        let proxies = try config.stringArray(forKey: "nginx_mail.proxies", default: []).map { text in
            guard let network = IPNetwork(text) else {
                throw ConfigurationError("nginx_mail.proxies entries are IP addresses or CIDRs, got \(text.prefix(64))")
            }
            return network
        }
        return MailBackends(servers, proxies: proxies)
    }

    /// A hook listener's `<key>.path` (a unix socket with `<key>.mode`, octal, default 0660: the
    /// file's owner and group decide who may connect) or `<key>.addr` (loopback TCP: any local
    /// process may connect); neither: off. The servers on it are trusted to tell their clients'
    /// addresses (`rip=`, `client_address`), so only this host's may connect.
    static func hookListener(_ config: ConfigReader, key: String, maximumLineLength: Int) throws
        -> HookListener.Configuration?
    {
        let text = config.string(forKey: ConfigKey("\(key).addr"), default: "")
        let path = config.string(forKey: ConfigKey("\(key).path"), default: "")
        let address: HookListener.Configuration.Address
        switch (text.isEmpty, path.isEmpty) {
        case (true, true): return nil
        case (false, false): throw ConfigurationError("give \(key).path or \(key).addr, not both")
        case (true, false):
            address = .unix(path: try socketPath(path, key: "\(key).path"), mode: try socketMode(config, key: key))
        case (false, true):
            let (host, port) = try self.address(text, key: "\(key).addr")
            guard HostPort.isLoopback(host) else {
                throw ConfigurationError(
                    "\(key).addr must be a loopback address (the servers on it are trusted with rip=)")
            }
            address = .tcp(host: host, port: port)
        }
        var listener = HookListener.Configuration(address: address, framing: .lines(maximumLength: maximumLineLength))
        let idle = config.int(
            forKey: ConfigKey("\(key).idle_timeout_seconds"),
            default: Int(listener.idleTimeout.nanoseconds / 1_000_000_000))
        let connections = config.int(
            forKey: ConfigKey("\(key).max_connections"), default: listener.maximumConnections)
        guard idle > 0, connections > 0 else {
            throw ConfigurationError("\(key).idle_timeout_seconds and \(key).max_connections must be positive")
        }
        listener.idleTimeout = .seconds(Int64(idle))
        listener.maximumConnections = connections
        return listener
    }

    /// An absolute path under 100 bytes (a unix socket's address must fit `sun_path`).
    static func socketPath(_ path: String, key: String) throws -> String {
        guard path.hasPrefix("/"), path.utf8.count < 100 else {
            throw ConfigurationError("\(key) must be an absolute path under 100 bytes (a unix socket)")
        }
        return path
    }

    /// `<key>.mode`: octal permissions of the socket file, default 0660.
    static func socketMode(_ config: ConfigReader, key: String) throws -> UInt16 {
        let text = config.string(forKey: ConfigKey("\(key).mode"), default: "0660")
        guard let mode = UInt16(text, radix: 8), mode <= 0o777 else {
            throw ConfigurationError("\(key).mode must be octal permissions such as 0660")
        }
        return mode
    }

    /// `saslauthd.path` (empty: off), its `mode` (octal) and the `service` whose stack decides (empty:
    /// the one each request names).
    static func saslauthd(_ config: ConfigReader) throws -> Saslauthd? {
        let text = config.string(forKey: "saslauthd.path", default: "")
        guard !text.isEmpty else { return nil }
        let path = try socketPath(text, key: "saslauthd.path")
        let mode = try socketMode(config, key: "saslauthd")
        let stack = config.string(forKey: "saslauthd.service", default: "")
        guard stack.isEmpty || Identity.isServiceName(stack) else {
            throw ConfigurationError("saslauthd.service must be a stack name")
        }
        return Saslauthd(
            listener: .init(address: .unix(path: path, mode: mode), framing: .saslauthd, idleTimeout: .seconds(30)),
            stack: stack.isEmpty ? nil : stack)
    }

    /// `host:port`, `[v6]:port`; port 0 asks the system for a free one.
    static func address(_ text: String, key: String = "http.addr") throws -> (String, Int) {
        guard let address = HostPort(text) else {
            throw ConfigurationError("\(key) must be host:port or [v6]:port, got \(text)")
        }
        return (address.host, address.port)
    }
}
