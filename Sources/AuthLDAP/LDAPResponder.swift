public import AuthCore
import AuthCrypto
public import Logging
import Metrics

/// What the LDAP front end answers, a thin mapping onto AuthCore: simple binds run the `ldap`
/// stack (`AuthService.authenticate`: password, optional appended one-time code, lockout, account
/// checks, rate limits), searches read through `DirectoryService` under its read policy.
public struct LDAPResponder: Sendable {
    public struct Configuration: Sendable {
        public var directory: LDAPDirectory
        /// The stack that decides binds (`ldap.service`).
        public var stack: String
        /// Entries one search returns at most (one page, with paging).
        public var sizeLimit: Int
        /// How long one search may take at most.
        public var timeLimit: Duration

        public init(
            directory: LDAPDirectory, stack: String = "ldap", sizeLimit: Int = 1000, timeLimit: Duration = .seconds(10)
        ) {
            self.directory = directory
            self.stack = stack
            self.sizeLimit = max(1, sizeLimit)
            self.timeLimit = timeLimit
        }
    }

    let auth: AuthService
    let reader: DirectoryService
    public let configuration: Configuration
    let logger: Logger

    public init(auth: AuthService, directory: DirectoryService, configuration: Configuration, logger: Logger) {
        self.auth = auth
        self.reader = directory
        self.configuration = configuration
        self.logger = logger
    }

    var directory: LDAPDirectory { configuration.directory }

    /// `authd_ldap_requests_total{operation}`, one counter per kind of request, made once.
    static let requests = Dictionary(
        uniqueKeysWithValues: ["bind", "search", "compare", "extended", "unbind", "abandon", "write", "malformed"].map {
            ($0, Counter(label: "authd_ldap_requests_total", dimensions: [("operation", $0)]))
        })
}

/// What one request leads to: the bytes to send, and whether the connection then closes or
/// starts TLS.
public struct LDAPStep: Sendable, Equatable {
    public var output: [UInt8] = []
    public var close = false
    public var startTLS = false
}

/// One connection's state: who is bound, and whether TLS is on.
public struct LDAPSession: Sendable {
    let responder: LDAPResponder
    let peer: String?
    /// Whether TLS is on (LDAPS, or after StartTLS).
    public private(set) var tls: Bool
    /// Whether StartTLS can be offered (a certificate is configured and TLS is not on yet).
    public private(set) var canStartTLS: Bool
    /// Whether binds with a password need TLS on.
    let requireTLS: Bool
    public private(set) var reader = DirectoryReader.anonymous
    public private(set) var boundName = ""

    public init(responder: LDAPResponder, peer: String?, tls: Bool = false, canStartTLS: Bool, requireTLS: Bool = false)
    {
        self.responder = responder
        self.peer = peer
        self.tls = tls
        self.canStartTLS = canStartTLS
        self.requireTLS = requireTLS
    }

    /// The answer to one whole BER message as the frame decoder cut it.
    public mutating func handle(_ message: ArraySlice<UInt8>) async -> LDAPStep {
        let request: LDAPRequest
        do {
            request = try LDAPRequest(ber: message)
            LDAPResponder.requests[request.operation.name]?.increment()
        } catch {
            LDAPResponder.requests["malformed"]?.increment()
            responder.logger.notice(
                "ldap: a message that is not an LDAPv3 request; disconnecting",
                metadata: ["peer": "\(peer ?? "-")", "error": "\(error)"])
            return LDAPStep(output: LDAPResponse.disconnection("malformed request"), close: true)
        }
        let id = request.messageID
        // RFC 4511 §4.1.11: a critical control authd does not know fails the operation (unbind and
        // abandon have no response to say so).
        if request.controls.contains(where: { $0.critical && $0.type != LDAPControl.pagedResults }),
            let tag = request.operation.responseTag
        {
            let result = LDAPResult(.unavailableCriticalExtension, "unsupported critical control")
            return LDAPStep(output: LDAPResponse.result(id, tag, result))
        }
        switch request.operation {
        case .bind(let version, let name, let password):
            return LDAPStep(output: await bind(id, version: version, name: name, password: password))
        case .saslBind:
            reset()
            return LDAPStep(
                output: LDAPResponse.result(
                    id, LDAPResponse.Tag.bind, LDAPResult(.authMethodNotSupported, "only simple binds are offered")))
        case .unbind:
            return LDAPStep(close: true)
        case .abandon:
            return LDAPStep()
        case .search(let search):
            return LDAPStep(output: await self.search(id, search, controls: request.controls))
        case .compare(let dn, let type, let value):
            return LDAPStep(
                output: LDAPResponse.result(id, LDAPResponse.Tag.compare, await compare(dn, type: type, value: value)))
        case .extended(let name, _):
            return extended(id, name: name)
        case .change(let tag):
            return LDAPStep(
                output: LDAPResponse.result(id, tag, LDAPResult(.unwillingToPerform, "the directory is read-only")))
        }
    }

    private mutating func reset() {
        reader = .anonymous
        boundName = ""
    }

    // MARK: Bind

    private mutating func bind(_ id: Int64, version: Int64, name: String, password: [UInt8]) async -> [UInt8] {
        func answer(_ result: LDAPResult) -> [UInt8] { LDAPResponse.result(id, LDAPResponse.Tag.bind, result) }
        reset()
        guard version == 3 else { return answer(LDAPResult(.protocolError, "only LDAPv3 is spoken")) }
        if name.isEmpty && password.isEmpty { return answer(LDAPResult(.success)) }
        // RFC 4513 §5.1.2: a name without a password is an unauthenticated bind, never a success.
        guard !password.isEmpty else {
            return answer(LDAPResult(.unwillingToPerform, "unauthenticated binds are not allowed"))
        }
        guard tls || !requireTLS else {
            return answer(LDAPResult(.confidentialityRequired, "use StartTLS or LDAPS before binding"))
        }
        let invalid = LDAPResult(.invalidCredentials, "invalid credentials")
        // A name authd does not publish costs what a wrong password costs.
        let username = responder.directory.username(bindName: name) ?? ""
        guard let text = String(validating: password, as: UTF8.self) else { return answer(invalid) }
        do {
            let user = try await responder.auth.authenticate(
                service: responder.configuration.stack, username: username, password: text, source: peer)
            reader = .user(id: user.id)
            boundName = responder.directory.userDN(user.username)
            responder.logger.info("ldap: bound", metadata: ["user_id": "\(user.id)", "peer": "\(peer ?? "-")"])
            return answer(LDAPResult(.success))
        } catch let error as AuthError {
            switch error.code {
            case .rateLimited, .busy: return answer(LDAPResult(.busy, "too many attempts, retry later"))
            case .unavailable: return answer(LDAPResult(.unavailable, "try again later"))
            case .unknownService:
                responder.logger.error("ldap: no stack named \(responder.configuration.stack); every bind fails")
                return answer(LDAPResult(.unavailable, "binds are not configured"))
            default: return answer(invalid)
            }
        } catch {
            responder.logger.error("ldap: a bind failed", metadata: ["error": "\(error)"])
            return answer(LDAPResult(.unavailable, "try again later"))
        }
    }

    // MARK: Extended operations

    private mutating func extended(_ id: Int64, name: String) -> LDAPStep {
        let tag = LDAPResponse.Tag.extended
        switch name {
        case LDAPDirectory.whoAmI:
            let identity = boundName.isEmpty ? "" : "dn:" + boundName
            return LDAPStep(output: LDAPResponse.result(id, tag, LDAPResult(.success), value: Array(identity.utf8)))
        case LDAPDirectory.startTLS where canStartTLS:
            canStartTLS = false
            tls = true
            return LDAPStep(
                output: LDAPResponse.result(id, tag, LDAPResult(.success), name: LDAPDirectory.startTLS), startTLS: true
            )
        case LDAPDirectory.startTLS:
            return LDAPStep(
                output: LDAPResponse.result(
                    id, tag, LDAPResult(.operationsError, "TLS is not available here or already on")))
        default:
            return LDAPStep(
                output: LDAPResponse.result(id, tag, LDAPResult(.protocolError, "unsupported extended operation")))
        }
    }
}
