public import AuthCore
public import AuthLDAP
import Configuration
import NIOSSL

extension Settings {
    /// The LDAP front end (`ldap.addr`); nil when off.
    public struct LDAP: Sendable {
        public var server: LDAPServer.Configuration
        public var responder: LDAPResponder.Configuration
        public var policy: DirectoryReadPolicy
    }

    /// `ldap.addr` (empty: off), `ldap.base_dn`, `ldap.domain` (binds as NAME@DOMAIN; empty: the
    /// base DN's dc parts), `ldap.service` (the stack), `ldap.anonymous_search`, `ldap.size_limit`,
    /// `ldap.max_connections`, `ldap.uid_number_base`, `ldap.login_shell`, and TLS (`tls`).
    static func ldap(_ config: ConfigReader) throws -> LDAP? {
        let text = config.string(forKey: "ldap.addr", default: "")
        guard !text.isEmpty else { return nil }
        let (host, port) = try address(text, key: "ldap.addr")
        let domain = config.string(forKey: "ldap.domain", default: "")
        var directory: LDAPDirectory
        do {
            directory = try LDAPDirectory(
                base: config.string(forKey: "ldap.base_dn", default: "dc=authd,dc=local"),
                domain: domain.isEmpty ? nil : domain)
        } catch {
            throw ConfigurationError("ldap.base_dn must be a distinguished name such as dc=example,dc=com")
        }
        directory.uidNumberBase = Int64(
            config.int(forKey: "ldap.uid_number_base", default: Int(directory.uidNumberBase)))
        guard (1000...1_000_000_000).contains(directory.uidNumberBase) else {
            throw ConfigurationError("ldap.uid_number_base must be 1000 to 1000000000")
        }
        directory.loginShell = config.string(forKey: "ldap.login_shell", default: directory.loginShell)
        guard directory.loginShell.hasPrefix("/") else { throw ConfigurationError("ldap.login_shell must be a path") }
        var responder = LDAPResponder.Configuration(directory: directory)
        responder.stack = config.string(forKey: "ldap.service", default: responder.stack)
        guard Identity.isServiceName(responder.stack) else {
            throw ConfigurationError("ldap.service must be a stack name")
        }
        responder.sizeLimit = config.int(forKey: "ldap.size_limit", default: responder.sizeLimit)
        guard (1...100_000).contains(responder.sizeLimit) else {
            throw ConfigurationError("ldap.size_limit must be 1 to 100000")
        }
        var server = LDAPServer.Configuration(host: host, port: port)
        server.maximumConnections = config.int(forKey: "ldap.max_connections", default: server.maximumConnections)
        guard server.maximumConnections > 0 else { throw ConfigurationError("ldap.max_connections must be positive") }
        try tls(config, &server)
        let policy = DirectoryReadPolicy(
            anonymousReadsAll: config.bool(forKey: "ldap.anonymous_search", default: false))
        return LDAP(server: server, responder: responder, policy: policy)
    }

    /// `ldap.tls_cert_file` and `ldap.tls_key_file` (PEM): StartTLS, and LDAPS on `ldap.ldaps_addr`
    /// when set. `ldap.require_tls` (by default on exactly when `ldap.addr` is not loopback):
    /// binds with a password need TLS first, so a certificate is required.
    static func tls(_ config: ConfigReader, _ server: inout LDAPServer.Configuration) throws {
        let certificate = config.string(forKey: "ldap.tls_cert_file", default: "")
        let key = config.string(forKey: "ldap.tls_key_file", default: "")
        let ldaps = config.string(forKey: "ldap.ldaps_addr", default: "")
        server.requireTLS = config.bool(
            forKey: "ldap.require_tls", default: !HostPort.isLoopback(server.host))
        guard !certificate.isEmpty || !key.isEmpty else {
            guard ldaps.isEmpty, !server.requireTLS else {
                throw ConfigurationError(
                    "ldap.ldaps_addr and ldap.require_tls (on by default off loopback) need ldap.tls_cert_file and ldap.tls_key_file"
                )
            }
            return
        }
        guard !certificate.isEmpty, !key.isEmpty else {
            throw ConfigurationError("ldap.tls_cert_file and ldap.tls_key_file go together")
        }
        do {
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            tls.minimumTLSVersion = .tlsv12
            server.tls = try NIOSSLContext(configuration: tls)
        } catch {
            throw ConfigurationError("ldap.tls_cert_file or ldap.tls_key_file cannot be read as PEM: \(error)")
        }
        if !ldaps.isEmpty { server.ldaps = try address(ldaps, key: "ldap.ldaps_addr") }
    }
}
