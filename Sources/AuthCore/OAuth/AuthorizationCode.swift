/// What an authorization code stands for (RFC 6749 §4.1.2): who authorized which client, for what,
/// and the parts of the request the token request must match. Times are Unix seconds.
public struct AuthorizationGrant: Hashable, Sendable {
    public var clientID: String
    public var userID: Int64
    public var redirectURI: String
    public var scopes: [String]
    public var nonce: String?
    /// RFC 7636's S256 challenge, when the request carried one.
    public var codeChallenge: String?
    /// When the user last authenticated (OpenID Connect's `auth_time`).
    public var authTime: Int64
    /// How (RFC 8176): `pwd`, and `otp` after a second factor.
    public var methods: [String]
    /// The SSO session it was authorized in (the authd session behind the portal's cookie): the
    /// session the code opens is its child, and ends with it.
    public var ssoSessionID: String?

    public init(
        clientID: String, userID: Int64, redirectURI: String, scopes: [String], nonce: String?, codeChallenge: String?,
        authTime: Int64, methods: [String], ssoSessionID: String? = nil
    ) {
        self.clientID = clientID
        self.userID = userID
        self.redirectURI = redirectURI
        self.scopes = scopes
        self.nonce = nonce
        self.codeChallenge = codeChallenge
        self.authTime = authTime
        self.methods = methods
        self.ssoSessionID = ssoSessionID
    }
}

/// What presenting a code found.
public enum CodeRedemption: Hashable, Sendable {
    /// First use: the code is spent, by this presentation and no other, on every instance.
    case redeemed(AuthorizationGrant)
    /// Spent before (RFC 6749 §4.1.2: a replay). The session its first use opened, when there is
    /// one, is for the caller to end.
    case replayed(sessionID: String?, userID: Int64)
    /// Unknown, expired, or issued to another client (which leaves it unspent).
    case invalid
}

/// What waits between the front channel and the token endpoint, each stored as its SHA-256:
/// authorization codes, device codes (RFC 8628) and pushed authorization requests (RFC 9126).
public protocol AuthorizationCodeStore: Sendable {
    func save(codeHash: String, grant: AuthorizationGrant, lifetime: Int64) async throws
    /// Spends the code of `clientID` with one conditional statement, so that of any number of
    /// presentations on any number of instances exactly one redeems it.
    func redeem(codeHash: String, clientID: String) async throws -> CodeRedemption
    /// Records the session the code's redemption opened, unless a replay came in between (false:
    /// the caller ends that session too).
    func attach(sessionID: String, toCodeHash codeHash: String) async throws -> Bool

    /// Stores a device's pending request; false when `userCode` is taken by another one (the
    /// caller draws again).
    func saveDevice(
        codeHash: String, userCode: String, clientID: String, scopes: [String], lifetime: Int64, interval: Int64
    ) async throws -> Bool
    /// The request waiting for an answer under `userCode`; nil when there is none, or it expired
    /// or was answered.
    func deviceRequest(userCode: String) async throws -> DeviceRequest?
    /// Answers the request waiting under `userCode`: allowed by `approval`, or refused (nil).
    /// False when it was no longer waiting (answered, expired, unknown).
    func decideDevice(userCode: String, approval: DeviceApproval?) async throws -> Bool
    /// A poll by `clientID` of the device code with this hash, as RFC 8628 §3.5 answers it,
    /// holding the row: sooner than the interval after the last poll is `slowDown` (and the
    /// interval grows by 5 s); an allowed request is spent by the poll that finds it.
    func pollDevice(codeHash: String, clientID: String) async throws -> DevicePoll

    /// Stores a pushed authorization request (its parameters as JSON) for `lifetime` seconds.
    func savePushed(uriHash: String, clientID: String, parameters: String, lifetime: Int64) async throws
    /// The parameters pushed under this hash by `clientID`, taken once by one conditional
    /// statement: nil when unknown, expired, taken before or another client's (which leaves it).
    func takePushed(uriHash: String, clientID: String) async throws -> String?
}
