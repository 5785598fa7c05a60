public import AuthCore
import AuthCrypto
public import Logging

/// Maps requests to AuthService use cases and their results to replies. PING answers at once;
/// VERIFY, HASROLE, HASPERM (revocation and permission state) and AUTH (database, hashing pool)
/// are handed back as work to run off the event loop.
public struct LineCommands: Sendable {
    public enum Outcome: Sendable {
        case reply(LineReply)
        case deferred(@Sendable () async -> LineReply)
        /// Reply, then close the connection.
        case close(LineReply)
        /// A CLIENT handshake succeeded: remember the client, then reply.
        case authenticated(LineClientKey, LineReply)
    }

    let service: AuthService
    let logger: Logger
    let clients: [String: LineClientKey]
    let metrics = LineMetrics()
    /// CLIENT attempts per peer address, so keys cannot be guessed quickly and failures cannot
    /// flood the log.
    let clientAttempts: RateLimiter

    public static let commands = ["PING", "VERIFY", "HASROLE", "HASPERM", "HASSCOPE", "AUTH", "CLIENT", "QUIT"]

    /// `clientAttempts`: failed `CLIENT` attempts per address, by default ten at once, then one every
    /// two seconds.
    public init(
        service: AuthService, logger: Logger, clients: [LineClientKey] = [],
        clientAttempts: RateLimiter.Configuration = .init(burst: 10, perSecond: 0.5)
    ) {
        self.service = service
        self.clientAttempts = RateLimiter(configuration: clientAttempts)
        self.logger = logger
        self.clients = Dictionary(clients.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Runs one request and counts its reply per command and status.
    public func handle(_ request: LineRequest, session: LineSession = .init(requiresClient: false)) -> Outcome {
        let outcome = route(request, session: session)
        let metrics = self.metrics
        let command = request.command
        switch outcome {
        case .reply(let reply), .close(let reply), .authenticated(_, let reply):
            metrics.record(command: command, status: reply.status)
            return outcome
        case .deferred(let work):
            return .deferred {
                let reply = await work()
                metrics.record(command: command, status: reply.status)
                return reply
            }
        }
    }

    /// A line that did not parse (answered BAD by the connection).
    public func recordMalformed() { metrics.record(command: "", status: .bad) }

    private func route(_ request: LineRequest, session: LineSession) -> Outcome {
        let id = request.id
        if session.requiresClient, session.client == nil, !["CLIENT", "QUIT"].contains(request.command) {
            return .reply(.no(id, "client_auth_required"))
        }
        switch request.command {
        case "PING":
            return .reply(LineReply(.ok, id: id))
        case "QUIT":
            return .close(LineReply(.ok, id: id))
        case "VERIFY":
            guard (1...3).contains(request.fields.count) else { return .reply(.bad(id, "wrong_argument_count")) }
            return verify(
                id: id, token: request.fields[0], requiring: nil, extra: request.fields.dropFirst(), session: session)
        case "HASROLE", "HASPERM", "HASSCOPE":
            guard (2...4).contains(request.fields.count) else { return .reply(.bad(id, "wrong_argument_count")) }
            let name = request.fields[1]
            let requirement: Requirement
            switch request.command {
            case "HASROLE": requirement = .role(name)
            case "HASPERM":
                guard (try? Identity.validPermission(name)) != nil else {
                    return .reply(.bad(id, "malformed_argument"))
                }
                requirement = .permission(name)
            default:
                guard OAuthScope.isToken(name) else { return .reply(.bad(id, "malformed_argument")) }
                requirement = .scope(name)
            }
            return verify(
                id: id, token: request.fields[0], requiring: requirement, extra: request.fields.dropFirst(2),
                session: session)
        case "AUTH":
            return auth(request, session: session)
        case "CLIENT":
            return client(request, session: session)
        default:
            return .reply(.bad(id, "unknown_command"))
        }
    }

    /// VERIFY / HASROLE / HASPERM: the token, its revocation state and the requirement, through the
    /// same policy as the HTTP guards; with `service=S`, the service's account modules too (and
    /// `rip=` the end client's address they see).
    private func verify(
        id: String, token: String, requiring requirement: Requirement?, extra: ArraySlice<String>, session: LineSession
    ) -> Outcome {
        let arguments: [String: String]
        let source: String?
        do {
            arguments = try Self.arguments(extra, allowed: ["service", "rip"])
            source = try Self.source(arguments["rip"], session: session)
        } catch {
            return .reply(error.reply(id))
        }
        let serviceName = arguments["service"]
        if let serviceName, !Identity.isServiceName(serviceName) { return .reply(.bad(id, "bad_service")) }
        if serviceName == nil, arguments["rip"] != nil { return .reply(.bad(id, "unknown_argument")) }
        guard let serviceName else {
            // Answered from memory, synchronously: no reason to leave the event loop.
            do {
                let claims = try service.tokens.authorize(accessToken: token, for: .gateway, requiring: requirement)
                return .reply(Self.reply(id: id, claims: claims, answersRequirement: requirement != nil))
            } catch {
                return .reply(Self.reply(id: id, error: error, logger: logger))
            }
        }
        let authService = self.service
        let logger = self.logger
        return .deferred {
            do {
                let claims = try await authService.verify(
                    accessToken: token, service: serviceName, for: .gateway, requiring: requirement, source: source)
                return Self.reply(id: id, claims: claims, answersRequirement: requirement != nil)
            } catch {
                return Self.reply(id: id, error: error, logger: logger)
            }
        }
    }

    /// The one place AuthCore's errors become line-protocol replies. Bad credentials of any kind
    /// are one `auth_failed`; anything unexpected is logged and answered TEMP, never a crash.
    static func reply(id: String, error: any Error, logger: Logger) -> LineReply {
        let code = (error as? AuthError)?.code ?? .internal
        switch code {
        case .invalidToken: return .no(id, "invalid_token")
        case .tokenExpired: return .no(id, "expired")
        case .tokenRevoked: return .no(id, "revoked")
        case .invalidCredentials, .invalidInput: return .no(id, "auth_failed")
        case .accountDenied, .forbidden, .emailUnverified: return .no(id, "forbidden")
        case .unknownService: return .no(id, "unknown_service")
        case .busy: return .temp(id, "busy")
        case .unavailable, .mfaUnavailable: return .temp(id, "unavailable")
        case .rateLimited: return .temp(id, "rate_limited")
        // Use cases the line protocol does not call: a definite NO under the code's own name.
        case .usernameTaken, .emailTaken, .weakPassword, .invalidRefreshToken, .wrongPassword, .conflict,
            .invalidMFAToken, .invalidCode, .mfaAlreadyEnabled, .mfaNotEnabled, .mfaNotPending, .notFound,
            .unknownRole, .roleExists, .roleInUse, .builtinRole, .lastAdmin, .clientExists, .invalidClientMetadata,
            .invalidClient, .invalidGrant, .invalidScope, .unauthorizedClient, .unsupportedGrantType,
            .authorizationPending, .slowDown, .accessDenied, .expiredToken, .invalidDPoPProof, .useDPoPNonce,
            .invalidPasskey, .invalidResetToken, .mailUnavailable, .invalidVerificationToken, .invalidInvitation:
            return .no(id, code.rawValue)
        case .internal:
            logger.error("line request failed unexpectedly", metadata: ["error": "\(error)"])
            return .temp(id, "unavailable")
        }
    }

    private static func reply(id: String, claims: AccessTokenClaims, answersRequirement: Bool) -> LineReply {
        if answersRequirement { return LineReply(.ok, id: id) }
        if claims.kind == .client {
            return LineReply(
                .ok, id: id,
                [
                    ("client", claims.subject), ("scope", claims.scope ?? ""),
                    ("roles", claims.roles.joined(separator: ",")), ("exp", String(claims.expiresAt)),
                ])
        }
        return LineReply(
            .ok, id: id,
            [
                ("user", claims.name), ("uid", claims.subject), ("roles", claims.roles.joined(separator: ",")),
                ("exp", String(claims.expiresAt)), ("sid", claims.sessionID ?? ""),
            ])
    }

    /// `CLIENT\tID\tname=N\tkey=K`: unknown name and wrong key get the same answer, and close the
    /// connection; past the per-address limit the answer is TEMP without a look at the key.
    private func client(_ request: LineRequest, session: LineSession) -> Outcome {
        let id = request.id
        guard request.fields.count == 2, request.fields[0].hasPrefix("name="), request.fields[1].hasPrefix("key=")
        else {
            return .reply(.bad(id, "malformed_argument"))
        }
        // Only failed attempts are charged: a helper that opens a connection per login (Dovecot's
        // checkpassword, pam_exec) must not run out, while guessing keys still does.
        let peer = session.peer ?? ""
        guard clientAttempts.permits(peer) else { return .close(.temp(id, "rate_limited")) }
        let name = String(request.fields[0].dropFirst(5))
        let key = String(request.fields[1].dropFirst(4))
        guard let client = clients[name], client.matches(key: key) else {
            clientAttempts.charge(peer)
            logger.notice(
                "line client authentication failed",
                metadata: ["client": "\(name.prefix(64))", "peer": "\(session.peer ?? "")"])
            return .close(.no(id, "client_auth_failed"))
        }
        return .authenticated(client, LineReply(.ok, id: id))
    }

    /// `AUTH\tID\tservice=S\tuser=U[\totp=C][\trip=A]\tresp=<base64 password>`; resp must come last.
    private func auth(_ request: LineRequest, session: LineSession) -> Outcome {
        let id = request.id
        let arguments: [String: String]
        let source: String?
        do {
            arguments = try Self.arguments(request.fields, allowed: ["service", "user", "otp", "rip", "resp"])
            source = try Self.source(arguments["rip"], session: session)
        } catch {
            return .reply(error.reply(id))
        }
        guard let service = arguments["service"], let user = arguments["user"], let resp = arguments["resp"] else {
            return .reply(.bad(id, "missing_argument"))
        }
        guard request.fields.last?.hasPrefix("resp=") == true else { return .reply(.bad(id, "resp_not_last")) }
        guard Identity.isServiceName(service) else { return .reply(.bad(id, "bad_service")) }
        if let allowed = session.client?.services, !allowed.contains(service) {
            return .reply(.no(id, "service_not_allowed"))
        }
        guard let decoded = Base64.standard.decode(resp.trimmingPadding()),
            let password = String(validating: decoded, as: UTF8.self)
        else {
            return .reply(.bad(id, "bad_resp"))
        }
        let otp = arguments["otp"]
        let authService = self.service
        let logger = self.logger
        return .deferred {
            do {
                let account = try await authService.authenticate(
                    service: service, username: user, password: password, otp: otp, source: source)
                return LineReply(
                    .ok, id: id,
                    [
                        ("user", account.username), ("uid", String(account.id)),
                        ("roles", account.roles.joined(separator: ",")),
                    ])
            } catch {
                return Self.reply(id: id, error: error, logger: logger)
            }
        }
    }
}

extension LineCommands {
    /// A request's fields that failed `arguments` or `source`.
    struct ArgumentError: Error {
        let status: LineReply.Status
        let reason: String

        func reply(_ id: String) -> LineReply { LineReply(status, id: id, [("reason", reason)]) }
    }

    /// `key=value` fields, each key at most once and among `allowed`.
    static func arguments(_ fields: some Collection<String>, allowed: Set<String>) throws(ArgumentError)
        -> [String: String]
    {
        var arguments: [String: String] = [:]
        for field in fields {
            guard let equals = field.firstIndex(of: "=") else {
                throw ArgumentError(status: .bad, reason: "malformed_argument")
            }
            let key = String(field[..<equals])
            guard allowed.contains(key), arguments[key] == nil else {
                throw ArgumentError(status: .bad, reason: "unknown_argument")
            }
            arguments[key] = String(field[field.index(after: equals)...])
        }
        return arguments
    }

    /// The client address a stack sees: `rip=` (the end client of a server that asks for its
    /// users, as in Dovecot's auth protocol) only from a connection that proved it is a configured
    /// client; otherwise the connection's peer. Anyone else could pick the address, and with it
    /// the key of the per-address limits and lockouts, attempt by attempt.
    static func source(_ rip: String?, session: LineSession) throws(ArgumentError) -> String? {
        guard let rip else { return session.peer }
        guard session.client != nil else { throw ArgumentError(status: .no, reason: "client_auth_required") }
        guard let address = IPAddress(rip) else { throw ArgumentError(status: .bad, reason: "bad_rip") }
        return address.description
    }
}

extension String {
    /// Clients may send padded base64; authd's decoder wants it unpadded.
    fileprivate func trimmingPadding() -> Substring {
        var view = Substring(self)
        while view.hasSuffix("=") { view = view.dropLast() }
        return view
    }
}
