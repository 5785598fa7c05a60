public import AuthCore
import AuthCrypto
public import Logging
import Metrics
import Synchronization

/// A NAS (or VPN, Wi-Fi controller) allowed to ask: the addresses it sends from and the secret it
/// shares with authd.
public struct RadiusClient: Sendable {
    public var network: IPNetwork
    public var secret: [UInt8]
    /// False only for clients listed in `radius.legacy_clients`: gear that cannot send a
    /// Message-Authenticator (Debian 12's pam_radius_auth 2.0 is one). A request that carries one
    /// is checked all the same.
    public var requiresMessageAuthenticator: Bool

    public init(network: IPNetwork, secret: [UInt8], requiresMessageAuthenticator: Bool = true) {
        self.network = network
        self.secret = secret
        self.requiresMessageAuthenticator = requiresMessageAuthenticator
    }

    /// Every RadSec client: its certificate is what authenticates it; the secret is fixed.
    public static let radsec = RadiusClient(
        network: IPNetwork("0.0.0.0/0")!, secret: Array("radsec".utf8), requiresMessageAuthenticator: false)

    /// Shorter shared secrets are refused: the hidden password and the authenticators are only as
    /// strong as the secret (RFC 2865 §3 asks for at least 16 octets).
    public static let minimumSecretLength = 16
}

/// What the RADIUS front end answers, a thin mapping onto `AuthService.authenticate` with the
/// `radius` stack (password, lockout, account checks and rate limits as for every front end).
///
/// An Access-Request from a configured client with a valid Message-Authenticator gets an
/// Access-Accept (each of the user's roles as a `Class` or `Filter-Id` attribute, when
/// configured), an Access-Challenge when the stack's `totp` module asks for a one-time code (the
/// NAS sends it as the password of a second request carrying the challenge's State), or an
/// Access-Reject: the same reject, after the same work, for an unknown user, a
/// wrong password and an account that may not sign in. Everything else is dropped without an
/// answer, as RFC 2865 and RFC 3579 ask: packets from unknown addresses, malformed ones, a
/// missing or wrong Message-Authenticator (a wrong secret), Accounting-Requests on the
/// authentication port (they are recorded on `radius.accounting_addr`), and requests authd cannot decide now (rate limited,
/// the database away), which the NAS retries or sends to another server. A retransmission (same
/// client, identifier and authenticator) gets the first answer again without running the stack
/// twice.
public struct RadiusResponder: Sendable {
    public struct Configuration: Sendable {
        public var clients: [RadiusClient]
        /// The stack that decides (`radius.service`).
        public var stack: String
        /// The attribute each role is returned in; nil for none.
        public var roleAttribute: RadiusPacket.AttributeType?
        /// How long an answer is kept for retransmissions.
        public var duplicateWindow: Duration

        public init(
            clients: [RadiusClient], stack: String = "radius", roleAttribute: RadiusPacket.AttributeType? = .class,
            duplicateWindow: Duration = .seconds(30)
        ) {
            self.clients = clients
            self.stack = stack
            self.roleAttribute = roleAttribute
            self.duplicateWindow = duplicateWindow
        }

        /// The client a datagram from `address` belongs to: the most specific network holding it.
        func client(for address: String) -> RadiusClient? {
            guard let ip = IPAddress(address) else { return nil }
            return clients.filter { $0.network.contains(ip) }.max { $0.network.prefix < $1.network.prefix }
        }
    }

    let service: AuthService
    let configuration: Configuration
    let logger: Logger
    let duplicates: RadiusDuplicates
    let drops: RadiusDrops

    public init(service: AuthService, configuration: Configuration, logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.logger = logger
        self.duplicates = RadiusDuplicates(window: configuration.duplicateWindow)
        self.drops = RadiusDrops(logger: logger)
    }

    /// Where a request arrived: the UDP authentication port, the UDP accounting port, or a RadSec
    /// connection (RFC 6614: both kinds over TLS, the client known by its certificate).
    public enum Listener: Sendable {
        case authentication
        case accounting
        case radsec

        /// The requests it takes (Status-Server on every one).
        var codes: Set<RadiusPacket.Code> {
            switch self {
            case .authentication: [.accessRequest, .statusServer]
            case .accounting: [.accountingRequest, .statusServer]
            case .radsec: [.accessRequest, .accountingRequest, .statusServer]
            }
        }
    }

    /// The reply to one datagram from `address` (an IP address, without the port), or nil to drop
    /// it. UDP clients are known by their address; RadSec's by the TLS handshake, sharing the
    /// secret "radsec" (RFC 6614 §2.3) and exempt from the Message-Authenticator, which TLS makes
    /// moot.
    public func respond(to datagram: [UInt8], from address: String, port: Int, on listener: Listener = .authentication)
        async -> [UInt8]?
    {
        let client: RadiusClient
        if listener == .radsec {
            client = RadiusClient.radsec
        } else if let known = configuration.client(for: address) {
            client = known
        } else {
            drops.record(.unknownClient, "a datagram from an address that is not a client", peer: address)
            return nil
        }
        guard let request = RadiusPacket(bytes: datagram) else {
            drops.record(.malformed, "a malformed packet", peer: address)
            return nil
        }
        guard listener.codes.contains(request.code) else {
            drops.record(.wrongPort, "a packet this port does not take (code \(request.code.rawValue))", peer: address)
            return nil
        }
        if request.code == .accountingRequest {
            guard RadiusSecurity.isAuthenticAccountingRequest(request, secret: client.secret) else {
                drops.record(
                    .badAuthenticator, "an Accounting-Request with a wrong authenticator (wrong secret?)", peer: address
                )
                return nil
            }
        } else {
            // Status-Server always needs one (RFC 5997 §3); legacy clients are excused on Access-Requests only.
            let legacy =
                !client.requiresMessageAuthenticator && request.code == .accessRequest
                && request.count(.messageAuthenticator) == 0
            guard legacy || RadiusSecurity.hasValidMessageAuthenticator(request, secret: client.secret) else {
                drops.record(
                    .badAuthenticator, "a request without a valid Message-Authenticator (wrong secret?)", peer: address)
                return nil
            }
        }
        let key = RadiusDuplicates.Key(
            address: address, port: port, identifier: request.identifier, authenticator: request.authenticator)
        switch duplicates.begin(key) {
        case .answered(let reply): return reply
        case .inFlight: return nil
        case .new: break
        }
        let reply: [UInt8]?
        switch request.code {
        case .statusServer:
            // RFC 5997 §4.3: alive, answered as the port's own kind of reply.
            let code: RadiusPacket.Code = listener == .accounting ? .accountingResponse : .accessAccept
            reply = sign(
                RadiusPacket(code: code, identifier: request.identifier, authenticator: []), for: request, client)
        case .accountingRequest:
            reply = record(request, client: client, address: address)
        default:
            reply = await decide(request, client: client, address: address)
        }
        duplicates.finish(key, reply: reply)
        return reply
    }

    /// An accounting record (RFC 2866), written to the log (`radius accounting`) and counted in
    /// `authd_radius_accounting_total{status}`, then acknowledged; one without Acct-Status-Type is
    /// dropped.
    private func record(_ request: RadiusPacket, client: RadiusClient, address: String) -> [UInt8]? {
        guard let status = request.first(.acctStatusType).flatMap(Self.integer) else {
            logger.notice(
                "radius: an Accounting-Request without Acct-Status-Type was dropped", metadata: ["peer": "\(address)"])
            return nil
        }
        let name = Self.statusNames[status] ?? "other"
        var metadata: Logger.Metadata = ["peer": "\(address)", "status": "\(name)"]
        for (type, key) in Self.recordedText {
            if let value = request.first(type), let text = String(validating: value.prefix(128), as: UTF8.self) {
                metadata[key] = "\(text)"
            }
        }
        for (type, key) in Self.recordedNumbers {
            if let value = request.first(type).flatMap(Self.integer) { metadata[key] = "\(value)" }
        }
        for (type, key) in [(RadiusPacket.AttributeType.nasIPAddress, "nas_ip"), (.framedIPAddress, "framed_ip")] {
            if let value = request.first(type), value.count == 4 {
                metadata[key] = "\(value.map(String.init).joined(separator: "."))"
            }
        }
        logger.info("radius accounting", metadata: metadata)
        Self.accountingCounters[name]?.increment()
        return try? RadiusSecurity.signed(
            reply: RadiusPacket(code: .accountingResponse, identifier: request.identifier, authenticator: []),
            requestAuthenticator: request.authenticator, secret: client.secret, messageAuthenticator: false)
    }

    private static let statusNames: [UInt32: String] = [
        1: "start", 2: "stop", 3: "interim_update", 7: "accounting_on", 8: "accounting_off",
    ]
    private static let recordedText: [(RadiusPacket.AttributeType, String)] = [
        (.userName, "user"), (.acctSessionID, "session"), (.nasIdentifier, "nas"),
        (.callingStationID, "calling_station"),
    ]
    private static let recordedNumbers: [(RadiusPacket.AttributeType, String)] = [
        (.acctSessionTime, "session_time"), (.acctInputOctets, "input_octets"), (.acctOutputOctets, "output_octets"),
        (.acctTerminateCause, "terminate_cause"),
    ]
    private static let accountingCounters = Dictionary(
        uniqueKeysWithValues: (Array(statusNames.values) + ["other"]).map {
            ($0, Counter(label: "authd_radius_accounting_total", dimensions: [("status", $0)]))
        })

    /// A RADIUS integer: four octets, big-endian.
    private static func integer(_ value: [UInt8]) -> UInt32? {
        value.count == 4 ? value.reduce(0) { $0 << 8 | UInt32($1) } : nil
    }

    private func decide(_ request: RadiusPacket, client: RadiusClient, address: String) async -> [UInt8]? {
        let reject = RadiusPacket(code: .accessReject, identifier: request.identifier, authenticator: [])
        guard let name = request.first(.userName), let username = String(validating: name, as: UTF8.self),
            let hidden = request.first(.userPassword),
            let password = try? RadiusSecurity.revealPassword(
                hidden, secret: client.secret, authenticator: request.authenticator),
            let text = String(validating: password, as: UTF8.self)
        else {
            logger.info(
                "radius: an Access-Request without a PAP user name and password was rejected",
                metadata: ["peer": "\(address)"])
            return sign(reject, for: request, client)
        }
        do {
            let user: User
            if let state = request.first(.state) {
                // The second round: the password field holds the one-time code.
                user = try await service.completeSecondStep(
                    service: configuration.stack, challenge: Base64.url.encode(state), code: text, source: address)
            } else {
                switch try await service.authenticateInSteps(
                    service: configuration.stack, username: username, password: text, source: address)
                {
                case .authenticated(let authenticated): user = authenticated
                case .secondFactorRequired(let challenge, _):
                    return self.challenge(challenge, for: request, client, address: address)
                }
            }
            var accept = RadiusPacket(code: .accessAccept, identifier: request.identifier, authenticator: [])
            if let type = configuration.roleAttribute {
                accept.attributes = Self.roleAttributes(user.roles, type)
                if accept.attributes.count < user.roles.count {
                    logger.warning(
                        "radius: roles left out of an Access-Accept, which would pass 4,096 bytes",
                        metadata: ["user_id": "\(user.id)", "sent": "\(accept.attributes.count)"])
                }
            }
            return sign(accept, for: request, client)
        } catch let error as AuthError {
            switch error.code {
            case .rateLimited, .busy, .unavailable:
                logger.notice(
                    "radius: a request could not be decided now and was dropped",
                    metadata: ["code": "\(error.code.rawValue)"])
                return nil
            case .unknownService:
                logger.error("radius: no stack named \(configuration.stack); every request is rejected")
                return sign(reject, for: request, client)
            default:
                return sign(reject, for: request, client)
            }
        } catch {
            logger.error("radius: a request failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// An Access-Challenge asking for the one-time code: the sealed challenge as State (RFC 2865
    /// §5.24, echoed by the NAS in the next request), a Reply-Message for the user.
    private func challenge(_ challenge: String, for request: RadiusPacket, _ client: RadiusClient, address: String)
        -> [UInt8]?
    {
        guard let state = Base64.url.decode(challenge), state.count <= RadiusPacket.maximumValueLength else {
            logger.notice(
                "radius: a challenge too long for State (a very long user name); rejected",
                metadata: ["peer": "\(address)"])
            return sign(
                RadiusPacket(code: .accessReject, identifier: request.identifier, authenticator: []), for: request,
                client)
        }
        let packet = RadiusPacket(
            code: .accessChallenge, identifier: request.identifier, authenticator: [],
            attributes: [.init(.replyMessage, Array(Self.codePrompt.utf8)), .init(.state, state)])
        return sign(packet, for: request, client)
    }

    /// One attribute per role, in name order, as many as fit in a packet beside the
    /// Message-Authenticator (RADIUS packets are at most 4,096 bytes).
    static func roleAttributes(_ roles: [String], _ type: RadiusPacket.AttributeType) -> [RadiusPacket.Attribute] {
        var room = RadiusPacket.maximumLength - RadiusPacket.minimumLength - 18
        var attributes: [RadiusPacket.Attribute] = []
        for role in roles.sorted() {
            let value = Array(role.utf8.prefix(RadiusPacket.maximumValueLength))
            guard value.count + 2 <= room else { break }
            room -= value.count + 2
            attributes.append(.init(type, value))
        }
        return attributes
    }

    /// The Reply-Message of an Access-Challenge.
    public static let codePrompt = "Enter your one-time code"

    private func sign(_ reply: RadiusPacket, for request: RadiusPacket, _ client: RadiusClient) -> [UInt8]? {
        try? RadiusSecurity.signed(reply: reply, requestAuthenticator: request.authenticator, secret: client.secret)
    }
}

/// Answers kept for retransmissions (RFC 5080 §2.2.2), bounded: a request seen again while it is
/// being decided is dropped (its answer is on the way); once answered, the same answer is sent.
final class RadiusDuplicates: Sendable {
    struct Key: Hashable, Sendable {
        var address: String
        var port: Int
        var identifier: UInt8
        var authenticator: [UInt8]
    }

    enum Seen {
        case new
        case inFlight
        case answered([UInt8])
    }

    private struct Entry {
        var reply: [UInt8]?
        var at: ContinuousClock.Instant
    }

    private let window: Duration
    private let capacity: Int
    private let entries = Mutex<[Key: Entry]>([:])

    init(window: Duration, capacity: Int = 16_384) {
        self.window = window
        self.capacity = capacity
    }

    /// `.new` also when the cache is full of answers younger than the window: that request is
    /// decided without being remembered, so memory stays bounded under a flood.
    func begin(_ key: Key) -> Seen {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            if let entry = entries[key], now - entry.at < window {
                return entry.reply.map { .answered($0) } ?? .inFlight
            }
            if entries.count >= capacity { entries = entries.filter { now - $0.value.at < window } }
            if entries.count < capacity { entries[key] = Entry(reply: nil, at: now) }
            return .new
        }
    }

    /// Keeps the answer of a request `begin` remembered; a dropped request (nil) is forgotten, so
    /// its retransmission is decided anew.
    func finish(_ key: Key, reply: [UInt8]?) {
        entries.withLock { entries in
            guard entries[key] != nil else { return }
            entries[key] = reply.map { Entry(reply: $0, at: ContinuousClock.now) }
        }
    }

    var count: Int { entries.withLock { $0.count } }
}

/// Packets dropped without an answer: each counted in `authd_radius_dropped_total{reason}`, and
/// logged as a warning, at most `perWindow` of them in ten seconds; a flood of forged packets then
/// costs one line saying how many more there were, not a line each.
final class RadiusDrops: Sendable {
    enum Reason: String, CaseIterable {
        case unknownClient = "unknown_client"
        case malformed
        case wrongPort = "wrong_port"
        case badAuthenticator = "bad_authenticator"
    }

    private struct Window {
        var start: ContinuousClock.Instant
        var logged = 0
        var suppressed = 0
    }

    private let logger: Logger
    private let perWindow: Int
    private let window = Mutex(Window(start: .now))
    private let counters = Dictionary(
        uniqueKeysWithValues: Reason.allCases.map {
            ($0, Counter(label: "authd_radius_dropped_total", dimensions: [("reason", $0.rawValue)]))
        })

    init(logger: Logger, perWindow: Int = 20) {
        self.logger = logger
        self.perWindow = perWindow
    }

    func record(_ reason: Reason, _ what: String, peer: String) {
        counters[reason]?.increment()
        let now = ContinuousClock.now
        let (log, suppressed) = window.withLock { window -> (Bool, Int) in
            var suppressed = 0
            if now - window.start >= .seconds(10) {
                suppressed = window.suppressed
                window = Window(start: now)
            }
            window.logged += 1
            if window.logged > perWindow { window.suppressed += 1 }
            return (window.logged <= perWindow, suppressed)
        }
        if suppressed > 0 { logger.warning("radius: \(suppressed) more dropped packets were not logged") }
        if log { logger.warning("radius: \(what) was dropped", metadata: ["peer": "\(peer)"]) }
    }
}
