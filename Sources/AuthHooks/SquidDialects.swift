import AuthCore
import AuthLineProtocol

/// `auth_param basic program authctl squid-basic`: `user password` (URL-escaped, after the channel
/// ID with `concurrency=N`), and, when the helper is a line client, the end client's address as a
/// third value (`key_extras "%>a"`). Asks `AUTH` of `service`'s stack.
public struct SquidBasicAuth: SquidDialect {
    public var service: String
    public var concurrent: Bool
    /// A third value is the client's address, passed on as `rip=` (needs a configured line client).
    public var forwardsClientAddress: Bool

    public init(service: String, concurrent: Bool, forwardsClientAddress: Bool) {
        self.service = service
        self.concurrent = concurrent
        self.forwardsClientAddress = forwardsClientAddress
    }

    public func plan(_ request: SquidHelper.Request) -> HelperPlan {
        let channel = request.channel
        let most = forwardsClientAddress ? 3 : 2
        guard (2...most).contains(request.values.count) else {
            let wanted = forwardsClientAddress ? "user, password and client address" : "user and password"
            return .refused(
                SquidHelper.Refusal(channel: channel, message: "expected \(wanted), got \(request.values.count) values")
            )
        }
        guard let user = String(validating: request.values[0], as: UTF8.self) else {
            return .answer(SquidHelper.reply(channel: channel, .err, [("message", "authentication failed")]), log: nil)
        }
        var address: String?
        if request.values.count == 3 {
            address = String(validating: request.values[2], as: UTF8.self)
            guard let address, IPAddress(address) != nil else {
                return .refused(
                    SquidHelper.Refusal(channel: channel, message: "the client address is not an IP address"))
            }
        }
        let auth = LineRequest.auth(service: service, user: user, remoteAddress: address, password: request.values[1])
        return .ask([auth]) { replies in
            let (result, pairs) = Self.answer(replies[0])
            return SquidHelper.reply(channel: channel, result, pairs)
        }
    }

    static func answer(_ reply: LineReply?) -> (SquidHelper.Result, [(String, String)]) {
        guard let reply else { return (.bh, [("message", "authd is unreachable")]) }
        switch (reply.status, reply.reason) {
        case (.ok, _): return (.ok, [("user", reply["user"] ?? "")])
        case (.no, "auth_failed"): return (.err, [("message", "authentication failed")])
        case (.no, "forbidden"): return (.err, [("message", "not allowed to use this proxy")])
        case (.no, let reason), (.temp, let reason), (.bad, let reason):
            return (.bh, [("message", "authd: \(reason ?? reply.status.rawValue)")])
        }
    }
}

/// `external_acl_type … %>{Proxy-Authorization} authctl squid-acl [--role R]`: the first value is a
/// bearer token (`Bearer ` optional, `-` when the header is missing); the next, when the `acl` line
/// gives one (Squid's `%DATA`), is the role to require instead of `--role`.
public struct SquidTokenACL: SquidDialect {
    public var role: String?
    public var concurrent: Bool

    public init(role: String?, concurrent: Bool) {
        self.role = role
        self.concurrent = concurrent
    }

    public func plan(_ request: SquidHelper.Request) -> HelperPlan {
        let channel = request.channel
        guard (1...2).contains(request.values.count) else {
            return .refused(
                SquidHelper.Refusal(
                    channel: channel, message: "expected a token and at most a role, got \(request.values.count) values"
                ))
        }
        guard let token = Self.bearer(request.values[0]) else {
            return .answer(SquidHelper.reply(channel: channel, .err, [("message", "no bearer token")]), log: nil)
        }
        var role = role
        if request.values.count == 2, request.values[1] != Array("-".utf8) {
            guard let named = String(validating: request.values[1], as: UTF8.self), !named.isEmpty else {
                return .refused(SquidHelper.Refusal(channel: channel, message: "the acl's role is not UTF-8"))
            }
            role = named
        }
        var requests = [LineRequest(command: "VERIFY", id: "1", fields: [token])]
        if let role { requests.append(LineRequest(command: "HASROLE", id: "1", fields: [token, role])) }
        return .ask(requests) { replies in
            let (result, pairs) = Self.answer(verify: replies[0], role: role, hasRole: replies.dropFirst().first ?? nil)
            return SquidHelper.reply(channel: channel, result, pairs)
        }
    }

    /// The token of `Bearer <token>` or of a bare token; nil for `-`, empty or non-UTF-8 values.
    static func bearer(_ value: [UInt8]) -> String? {
        guard var text = String(validating: value, as: UTF8.self) else { return nil }
        if text.prefix(7).lowercased() == "bearer " { text = String(text.dropFirst(7)) }
        text = String(text.drop { $0 == " " })
        guard !text.isEmpty, text != "-" else { return nil }
        return text
    }

    static func answer(verify: LineReply?, role: String?, hasRole: LineReply?) -> (
        SquidHelper.Result, [(String, String)]
    ) {
        let unreachable: (SquidHelper.Result, [(String, String)]) = (.bh, [("message", "authd is unreachable")])
        guard let verify else { return unreachable }
        switch (verify.status, verify.reason) {
        case (.ok, _): break
        case (.no, let reason): return (.err, [("message", "token \(reason ?? "refused")")])
        case (.temp, let reason), (.bad, let reason):
            return (.bh, [("message", "authd: \(reason ?? verify.status.rawValue)")])
        }
        let user = verify["user"] ?? verify["client"] ?? ""
        if let role {
            guard let hasRole else { return unreachable }
            switch (hasRole.status, hasRole.reason) {
            case (.ok, _): break
            case (.no, "forbidden"): return (.err, [("message", "role \(role) required"), ("user", user)])
            case (.no, let reason): return (.err, [("message", "token \(reason ?? "refused")")])
            case (.temp, let reason), (.bad, let reason):
                return (.bh, [("message", "authd: \(reason ?? hasRole.status.rawValue)")])
            }
        }
        return (.ok, [("user", user)])
    }
}

/// A Squid helper's decisions, on requests its lines were parsed into.
public protocol SquidDialect: HelperDialect {
    /// Whether lines start with a channel ID (Squid's `concurrency=N`, N > 0).
    var concurrent: Bool { get }
    func plan(_ request: SquidHelper.Request) -> HelperPlan
}

extension SquidDialect {
    public func plan(_ line: [UInt8]) -> HelperPlan {
        switch SquidHelper.parse(line, concurrent: concurrent) {
        case .success(let request): plan(request)
        case .failure(let refusal): .refused(refusal)
        }
    }
}

extension HelperPlan {
    /// `BH` with the refusal's message, which is also logged.
    static func refused(_ refusal: SquidHelper.Refusal) -> HelperPlan {
        .answer(SquidHelper.reply(channel: refusal.channel, .bh, [("message", refusal.message)]), log: refusal.message)
    }
}

extension LineReply {
    var reason: String? { self["reason"] }

    subscript(_ key: String) -> String? { attributes.first { $0.key == key }?.value }
}
