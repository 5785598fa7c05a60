public import AuthCore
import AuthCrypto
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One mail server's connection to authd's Dovecot-protocol listener (Postfix with
/// `smtpd_sasl_type = dovecot`, Exim's `dovecot` authenticator): the handshake, then `AUTH` and
/// `CONT` answered by the stack named by the request's `service=` (passwords) or by token
/// verification (OAUTHBEARER, XOAUTH2). Requests on one connection are answered in order.
public struct DovecotAuthConversation: HookConversation {
    /// Multi-step requests waiting for a `CONT`, at most this many per connection.
    static let maximumPending = 32

    enum Pending {
        case plain(DovecotAuthProtocol.AuthRequest)
        case loginUser(DovecotAuthProtocol.AuthRequest)
        case loginPassword(DovecotAuthProtocol.AuthRequest, user: String)
        case bearer(DovecotAuthProtocol.AuthRequest, DovecotAuthProtocol.Mechanism)
    }

    let service: AuthService
    let logger: Logger
    let peer: String?
    let connectionID: UInt64
    /// The stacks a request's `service=` may name (`dovecot_auth.services`).
    let services: Set<String>
    private var handshaken = false
    private var pending: [UInt32: Pending] = [:]

    public init(
        service: AuthService, logger: Logger, peer: String?, connectionID: UInt64, services: Set<String> = ["smtp"]
    ) {
        self.service = service
        self.logger = logger
        self.peer = peer
        self.connectionID = connectionID
        self.services = services
    }

    public func greeting() -> [UInt8] {
        let cookie = (try? SecureRandom.bytes(16)) ?? [UInt8](repeating: 0, count: 16)
        return Array(
            DovecotAuthProtocol.handshake(processID: getpid(), connectionID: connectionID, cookie: cookie).utf8)
    }

    public mutating func handle(_ line: [UInt8]) async -> HookStep {
        guard let fields = DovecotAuthProtocol.fields(line), let command = fields.first else {
            return disconnect("a line that is not valid UTF-8 or has a malformed escape")
        }
        switch command {
        case "VERSION":
            guard fields.count >= 3, fields[1] == String(DovecotAuthProtocol.majorVersion) else {
                return disconnect("protocol version \(fields.dropFirst().joined(separator: ".")) (authd speaks 1)")
            }
            handshaken = true
            return HookStep()
        case "CPID":
            return handshaken ? HookStep() : disconnect("CPID before VERSION")
        case "AUTH":
            guard handshaken else { return disconnect("AUTH before VERSION") }
            switch DovecotAuthProtocol.authRequest(fields.dropFirst()) {
            case .success(let request): return await start(request)
            case .failure(let error):
                guard let id = error.id else { return disconnect(error.message) }
                return fail(id, reason: error.message)
            }
        case "CONT":
            guard handshaken else { return disconnect("CONT before VERSION") }
            guard fields.count >= 2, let id = UInt32(fields[1]), let waiting = pending.removeValue(forKey: id) else {
                return disconnect("CONT for no request in progress")
            }
            guard let data = DovecotAuthProtocol.decodeBase64(fields.count >= 3 ? fields[2] : "") else {
                return fail(id, reason: "malformed response")
            }
            return await proceed(waiting, data)
        default:
            return disconnect("unknown command \(command.prefix(32))")
        }
    }

    private mutating func start(_ request: DovecotAuthProtocol.AuthRequest) async -> HookStep {
        guard pending[request.id] == nil else { return disconnect("AUTH with an ID already in use") }
        guard let mechanism = DovecotAuthProtocol.Mechanism(rawValue: request.mechanism.uppercased()) else {
            return fail(request.id, reason: "Unsupported authentication mechanism")
        }
        // The caller names the stack: only those configured for this listener, so none can pick a
        // stack without the second factor (or without the lockout) that another service has.
        guard services.contains(request.service) else {
            return fail(request.id, reason: "service \(request.service.prefix(32)) is not served here")
        }
        let waiting: Pending
        switch mechanism {
        case .plain: waiting = .plain(request)
        case .login: waiting = .loginUser(request)
        case .oauthBearer, .xoauth2: waiting = .bearer(request, mechanism)
        }
        if let initial = request.initialResponse { return await proceed(waiting, initial) }
        return ask(waiting, challenge: mechanism == .login ? "Username:" : "")
    }

    private mutating func proceed(_ waiting: Pending, _ data: [UInt8]) async -> HookStep {
        switch waiting {
        case .plain(let request):
            guard let credentials = SASLMessage.plain(data) else { return fail(request.id, reason: "malformed PLAIN") }
            return await authenticate(request, user: credentials.user, password: credentials.password)
        case .loginUser(let request):
            guard let user = String(validating: data, as: UTF8.self), !user.isEmpty else {
                return fail(request.id, reason: "malformed LOGIN user")
            }
            return ask(.loginPassword(request, user: user), challenge: "Password:")
        case .loginPassword(let request, let user):
            guard let password = String(validating: data, as: UTF8.self) else { return failed(request.id) }
            return await authenticate(request, user: user, password: password)
        case .bearer(let request, let mechanism):
            let bearer = mechanism == .xoauth2 ? SASLMessage.xoauth2(data) : SASLMessage.oauthBearer(data)
            guard let bearer else { return fail(request.id, reason: "malformed \(mechanism.rawValue)") }
            return await verify(request, bearer)
        }
    }

    private mutating func ask(_ waiting: Pending, challenge: String) -> HookStep {
        let id = waiting.request.id
        guard pending.count < Self.maximumPending else { return fail(id, reason: "too many requests in progress") }
        pending[id] = waiting
        return HookStep("CONT\t\(id)\t\(Base64.standard.encode(Array(challenge.utf8)))\n")
    }

    private func authenticate(_ request: DovecotAuthProtocol.AuthRequest, user: String, password: String) async
        -> HookStep
    {
        guard Identity.isServiceName(request.service) else { return fail(request.id, reason: "malformed service name") }
        do {
            let account = try await service.authenticate(
                service: request.service, username: user, password: password, source: source(request))
            return HookStep("OK\t\(request.id)\tuser=\(DovecotAuthProtocol.escape(account.username))\n")
        } catch {
            return failed(request.id, error)
        }
    }

    private func verify(_ request: DovecotAuthProtocol.AuthRequest, _ bearer: SASLMessage.Bearer) async -> HookStep {
        guard Identity.isServiceName(request.service) else { return fail(request.id, reason: "malformed service name") }
        do {
            let claims = try await service.verify(
                accessToken: bearer.token, service: request.service, for: .mail, source: source(request))
            guard claims.kind != .client, bearer.user == nil || bearer.user == claims.name else {
                return failed(request.id)
            }
            return HookStep("OK\t\(request.id)\tuser=\(DovecotAuthProtocol.escape(claims.name))\n")
        } catch {
            return failed(request.id, error)
        }
    }

    /// The mail client's address when the mail server gave a valid one, else the server's own.
    private func source(_ request: DovecotAuthProtocol.AuthRequest) -> String? {
        request.remoteAddress.flatMap(IPAddress.init).map(\.description) ?? peer
    }

    /// The one place AuthCore's outcomes become `FAIL`s: a definite no is a bare `FAIL` (unknown
    /// user, wrong password, locked and disabled alike); anything the client may retry is `temp`.
    private func failed(_ id: UInt32, _ error: (any Error)? = nil) -> HookStep {
        guard let error else { return HookStep("FAIL\t\(id)\n") }
        switch HookVerdict(error) {
        case .refused: return HookStep("FAIL\t\(id)\n")
        case .temporary: return HookStep("FAIL\t\(id)\ttemp\n")
        case .misconfigured:
            logger.error("dovecot auth: the request could not be checked", metadata: ["error": "\(error)"])
            return HookStep("FAIL\t\(id)\ttemp\n")
        }
    }

    /// A malformed request: `FAIL` with a reason for the client's log, and one line in ours.
    private func fail(_ id: UInt32, reason: String) -> HookStep {
        logger.notice("dovecot auth: \(reason)", metadata: ["peer": "\(peer ?? "")"])
        return HookStep("FAIL\t\(id)\treason=\(DovecotAuthProtocol.escape(reason))\n")
    }

    /// A protocol violation: logged, and the connection closed, as Dovecot's own server does.
    private func disconnect(_ reason: String) -> HookStep {
        logger.notice("dovecot auth: closing a connection: \(reason)", metadata: ["peer": "\(peer ?? "")"])
        return HookStep(close: true)
    }
}

extension DovecotAuthConversation.Pending {
    var request: DovecotAuthProtocol.AuthRequest {
        switch self {
        case .plain(let request), .loginUser(let request), .loginPassword(let request, _), .bearer(let request, _):
            request
        }
    }
}
