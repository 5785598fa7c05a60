import AuthCrypto

/// OAuth 2.0 Device Authorization Grant (RFC 8628): a device without a browser (a TV, a command
/// line) asks for a pair of codes, shows the short one to its user, and polls the token endpoint
/// with the long one while the user enters the short one on `/ui/device` elsewhere, signs in and
/// allows it.
public enum DeviceCode {
    /// RFC 8628 §6.1: twenty consonants, no vowels (no words), no look-alikes; eight of them are
    /// 20⁸ ≈ 2³⁴·⁶ codes, shown as `BCDF-GHJK`.
    static let alphabet = Array("BCDFGHJKLMNPQRSTVWXZ".utf8)
    static let length = 8
    /// Seconds a pair lives, and the polling interval it starts with (§3.2).
    public static let lifetime: Int64 = 600
    public static let interval: Int64 = 5

    static func newUserCode() throws -> String {
        // Bytes below 240 (twelve times twenty) map evenly onto the alphabet; the rest are drawn
        // again, so each letter is equally likely.
        var code: [UInt8] = []
        while code.count < length {
            for byte in try SecureRandom.bytes(16) where byte < 240 && code.count < length {
                code.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return String(decoding: code, as: UTF8.self)
    }

    /// What a person typed, as stored: letters upper-cased, dashes and spaces dropped; nil unless
    /// eight letters of the alphabet remain.
    public static func normalized(_ typed: String) -> String? {
        let letters = typed.uppercased().utf8.filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: " ") }
        guard letters.count == length, letters.allSatisfy(alphabet.contains) else { return nil }
        return String(decoding: letters, as: UTF8.self)
    }

    /// `BCDF-GHJK`, as the device shows it.
    public static func display(_ code: String) -> String {
        String(code.prefix(4)) + "-" + String(code.dropFirst(4))
    }
}

/// What the device authorization endpoint answers (RFC 8628 §3.2).
public struct DeviceAuthorizationResponse: Hashable, Sendable {
    public var deviceCode: String
    /// As stored (eight letters); shown with a dash.
    public var userCode: String
    public var expiresIn: Int64
    public var interval: Int64
}

/// A device's request as the page shows it to the person who entered its code.
public struct DeviceRequest: Hashable, Sendable {
    public var clientID: String
    public var scopes: [String]
    public var userCode: String
    public var expiresAt: Int64

    public init(clientID: String, scopes: [String], userCode: String, expiresAt: Int64) {
        self.clientID = clientID
        self.scopes = scopes
        self.userCode = userCode
        self.expiresAt = expiresAt
    }
}

/// Who allowed a device, and how they had signed in.
public struct DeviceApproval: Hashable, Sendable {
    public var userID: Int64
    public var authTime: Int64
    public var methods: [String]
    public var ssoSessionID: String?

    public init(userID: Int64, authTime: Int64, methods: [String], ssoSessionID: String?) {
        self.userID = userID
        self.authTime = authTime
        self.methods = methods
        self.ssoSessionID = ssoSessionID
    }
}

/// What a poll found (RFC 8628 §3.5).
public enum DevicePoll: Hashable, Sendable {
    /// Not answered yet.
    case pending
    /// Polled sooner than the interval allows: the interval grows by five seconds.
    case slowDown
    /// Allowed, and spent by this poll: of any number of polls on any number of instances
    /// exactly one gets it.
    case approved(AuthorizationGrant)
    case denied
    case expired
    /// Unknown, another client's, or spent.
    case invalid
}

extension OAuthService {
    /// RFC 8628 §3.1–3.2: a new pair for `client` (which must have the device grant), for the
    /// scopes it asks (all it may have when it names none). The device code is 256 random bits,
    /// stored as its SHA-256; the user code is drawn again on the rare clash with a live one.
    public func authorizeDevice(client: OAuthClient, scope: String?) async throws -> DeviceAuthorizationResponse {
        guard client.grantTypes.contains(.deviceCode) else {
            throw AuthError(.unauthorizedClient, "this client may not use the device authorization grant")
        }
        let scopes = try OAuthScope.granted(scope, allowed: Set(client.scopes).intersection(self.scopes))
        let deviceCode = Base64.url.encode(try SecureRandom.bytes(32))
        let hash = try Digest.sha256Hex(Array(deviceCode.utf8))
        for _ in 0..<5 {
            let userCode = try DeviceCode.newUserCode()
            if try await codes.saveDevice(
                codeHash: hash, userCode: userCode, clientID: client.id, scopes: scopes, lifetime: DeviceCode.lifetime,
                interval: DeviceCode.interval)
            {
                logger.info("device authorization started", metadata: ["client_id": "\(client.id)"])
                return DeviceAuthorizationResponse(
                    deviceCode: deviceCode, userCode: userCode, expiresIn: DeviceCode.lifetime,
                    interval: DeviceCode.interval)
            }
        }
        throw AuthError(.unavailable, "no free user code; try again")
    }

    /// RFC 8628 §3.4–3.5: the token request of a polling device. `authorization_pending`,
    /// `slow_down`, `access_denied` and `expired_token` until the user answered; then, once, the
    /// tokens (a session of the client, the SSO session's child, with an ID token for `openid`),
    /// made as a code exchange makes them.
    public func exchange(deviceCode: String?, for client: OAuthClient, source: String? = nil, userAgent: String? = nil)
        async throws -> CodeExchange
    {
        guard client.grantTypes.contains(.deviceCode) else {
            throw AuthError(.unauthorizedClient, "this client may not use the device authorization grant")
        }
        let refused = AuthError(.invalidGrant, "the device code is invalid, used or another client's")
        guard let deviceCode, Identity.isBase64URL(deviceCode, lengths: 43...43) else { throw refused }
        switch try await codes.pollDevice(codeHash: try Digest.sha256Hex(Array(deviceCode.utf8)), clientID: client.id) {
        case .pending: throw AuthError(.authorizationPending, "the user has not answered yet")
        case .slowDown: throw AuthError(.slowDown, "poll less often: the interval grew by 5 seconds")
        case .denied: throw AuthError(.accessDenied, "the user did not allow this device")
        case .expired: throw AuthError(.expiredToken, "the device code expired: start again")
        case .invalid: throw refused
        case .approved(let grant):
            return try await open(grant, client: client, source: source, userAgent: userAgent, refused: refused)
        }
    }
}
