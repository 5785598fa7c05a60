public import AuthCore
import Hummingbird

/// nginx's mail proxy (`auth_http`): `GET /mail/auth` with the login in headers, answered 200 with
/// `Auth-Status: OK` and the backend to proxy to, or an error text nginx shows the mail client.
/// The password is checked by the stack named after `Auth-Protocol` (imap, pop3, smtp) with the
/// mail client's address: `Client-IP`, believed only from the TCP peer of an nginx mail proxy
/// (`nginx_mail.proxies`), else the peer itself; the per-address limits and lockouts count it.
public struct MailBackends: Sendable, Equatable {
    /// The protocols nginx's mail proxy asks about (`Auth-Protocol`), each a stack's name.
    public static let protocols: Set<String> = ["imap", "pop3", "smtp"]

    /// Protocol (lower case) to backend; nginx wants the backend as an IP address.
    public var servers: [String: Backend]
    /// `nginx_mail.proxies`: the nginx mail proxies whose `Client-IP` names the mail client. Not
    /// `http.trusted_proxies`: a web proxy in front of authd may not speak for mail clients.
    public var proxies: [IPNetwork]

    public struct Backend: Sendable, Equatable {
        public var address: IPAddress
        public var port: Int

        public init(address: IPAddress, port: Int) {
            self.address = address
            self.port = port
        }
    }

    public init(_ servers: [String: Backend] = [:], proxies: [IPNetwork] = []) {
        self.servers = servers
        self.proxies = proxies
    }
}

extension HTTPFrontEnd {
    static let invalidLogin = "Invalid login or password"
    static let temporaryProblem = "Temporary server problem, try again later"

    func addMailAuthRoute(to router: MethodTable) {
        guard !configuration.mailBackends.servers.isEmpty else { return }
        router.get("/mail/auth") { request, context in
            try await mailAuth(request, peer: context.peer)
        }
    }

    func mailAuth(_ request: Request, peer: String?) async throws -> Response {
        let headers = request.headers
        guard let method = headers[MailHeader.method], let rawUser = headers[MailHeader.user],
            let rawPassword = headers[MailHeader.password], let proto = headers[MailHeader.protocolName]?.lowercased()
        else {
            throw AuthError(.invalidInput, "Auth-Method, Auth-User, Auth-Pass and Auth-Protocol are required")
        }
        guard MailBackends.protocols.contains(proto),
            ["plain", "apop", "cram-md5", "external", "none"].contains(method.lowercased())
        else {
            throw AuthError(.invalidInput, "Auth-Protocol must be imap, pop3 or smtp, Auth-Method one nginx sends")
        }
        guard let backend = configuration.mailBackends.servers[proto] else {
            logger.error(
                "nginx mail: no backend for this protocol (nginx_mail.backends)",
                metadata: ["protocol": "\(proto.prefix(16))"])
            return Self.mailFailure(Self.temporaryProblem, protocolName: proto, temporary: true)
        }
        guard method.lowercased() == "plain" else {
            return Self.mailFailure("Unsupported authentication method", protocolName: proto, temporary: false)
        }
        // nginx URL-escapes the login and password it passes on.
        guard
            let user = URLEncoding.decode(rawUser.utf8, plusIsSpace: false).flatMap({
                String(validating: $0, as: UTF8.self)
            }),
            let password = URLEncoding.decode(rawPassword.utf8, plusIsSpace: false).flatMap({
                String(validating: $0, as: UTF8.self)
            })
        else {
            return Self.mailFailure(Self.invalidLogin, protocolName: proto, temporary: false)
        }
        let source = ForwardedClient(trustedProxies: configuration.mailBackends.proxies).client(
            peer: peer, values: headers[values: MailHeader.clientIP])
        do {
            _ = try await service.authenticate(service: proto, username: user, password: password, source: source)
        } catch {
            let verdict = HookVerdict(error)
            if verdict == .misconfigured {
                logger.error("nginx mail: the login could not be checked", metadata: ["error": "\(error)"])
            }
            let temporary = verdict != .refused
            return Self.mailFailure(
                temporary ? Self.temporaryProblem : Self.invalidLogin, protocolName: proto, temporary: temporary)
        }
        var fields = HTTPFields()
        fields[MailHeader.status] = "OK"
        fields[MailHeader.server] = backend.address.description
        fields[MailHeader.port] = String(backend.port)
        return Response(status: .ok, headers: fields)
    }

    /// The error nginx passes to the mail client; `Auth-Wait` lets the client try again on the same
    /// connection after that many seconds, `Auth-Error-Code` is SMTP's reply code.
    static func mailFailure(_ text: String, protocolName: String, temporary: Bool) -> Response {
        var fields = HTTPFields()
        fields[MailHeader.status] = text
        fields[MailHeader.wait] = temporary ? "5" : "3"
        if protocolName == "smtp" { fields[MailHeader.errorCode] = temporary ? "451 4.3.0" : "535 5.7.8" }
        return Response(status: .ok, headers: fields)
    }
}

/// The headers of nginx's mail `auth_http` protocol.
enum MailHeader {
    static let method = HTTPFields.Element.Name("Auth-Method")!
    static let user = HTTPFields.Element.Name("Auth-User")!
    static let password = HTTPFields.Element.Name("Auth-Pass")!
    static let protocolName = HTTPFields.Element.Name("Auth-Protocol")!
    static let clientIP = HTTPFields.Element.Name("Client-IP")!
    static let status = HTTPFields.Element.Name("Auth-Status")!
    static let server = HTTPFields.Element.Name("Auth-Server")!
    static let port = HTTPFields.Element.Name("Auth-Port")!
    static let wait = HTTPFields.Element.Name("Auth-Wait")!
    static let errorCode = HTTPFields.Element.Name("Auth-Error-Code")!
}
