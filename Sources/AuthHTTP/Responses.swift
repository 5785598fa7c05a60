public import AuthCore
import AuthTelemetry
public import Hummingbird

struct ProfileResponse: ResponseEncodable {
    let id: Int64
    let username: String
    let email: String
    let roles: [String]
    let mfaEnabled: Bool
    let createdAt: Int64
    let emailVerified: Bool

    init(_ profile: UserProfile) {
        id = profile.id
        username = profile.username
        email = profile.email
        roles = profile.roles
        mfaEnabled = profile.mfaEnabled
        createdAt = profile.createdAt
        emailVerified = profile.emailVerified
    }

    enum CodingKeys: String, CodingKey {
        case id, username, email, roles
        case mfaEnabled = "mfa_enabled"
        case createdAt = "created_at"
        case emailVerified = "email_verified"
    }
}

struct RegisteredResponse: ResponseEncodable {
    let message = "User registered successfully"
    let user: ProfileResponse
}

/// The seed's `{"access_token": …}`, plus the OAuth-style type, lifetime and refresh token.
struct TokenResponse: ResponseEncodable {
    let accessToken: String
    let tokenType: String
    let expiresIn: Int64
    let refreshToken: String

    init(_ tokens: SessionTokens) {
        accessToken = tokens.accessToken
        tokenType = tokens.tokenType
        expiresIn = tokens.expiresIn
        refreshToken = tokens.refreshToken
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
    }
}

/// `POST /login` for an account whose `http` stack wants a second factor.
struct MFARequiredResponse: ResponseEncodable {
    let mfaRequired = true
    let mfaToken: String
    let expiresIn: Int64

    enum CodingKeys: String, CodingKey {
        case mfaRequired = "mfa_required"
        case mfaToken = "mfa_token"
        case expiresIn = "expires_in"
    }
}

/// Either answer of `POST /login`, encoded as itself.
enum LoginResponse: ResponseEncodable {
    case tokens(TokenResponse)
    case secondFactor(MFARequiredResponse)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .tokens(let tokens): try tokens.encode(to: encoder)
        case .secondFactor(let challenge): try challenge.encode(to: encoder)
        }
    }
}

struct TOTPSetupResponse: ResponseEncodable {
    let secret: String
    let otpauthURI: String
    /// The URI as a QR code, a standalone SVG document, for people who would rather scan.
    let qrSVG: String?

    enum CodingKeys: String, CodingKey {
        case secret
        case otpauthURI = "otpauth_uri"
        case qrSVG = "qr_svg"
    }
}

struct RecoveryCodesResponse: ResponseEncodable {
    let recoveryCodes: [String]

    enum CodingKeys: String, CodingKey {
        case recoveryCodes = "recovery_codes"
    }
}

struct SessionResponse: ResponseEncodable {
    let id: String
    let createdAt: Int64
    let lastUsedAt: Int64
    let expiresAt: Int64
    let clientAddress: String
    let userAgent: String
    let current: Bool

    init(_ session: Session, current: Bool) {
        id = session.id
        createdAt = session.createdAt
        lastUsedAt = session.lastUsedAt
        expiresAt = session.expiresAt
        clientAddress = session.clientAddress
        userAgent = session.userAgent
        self.current = current
    }

    enum CodingKeys: String, CodingKey {
        case id, current
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
        case expiresAt = "expires_at"
        case clientAddress = "client_address"
        case userAgent = "user_agent"
    }
}

struct SessionListResponse: ResponseEncodable {
    let sessions: [SessionResponse]
}

/// `GET /protected`, the route every client service calls: written straight to bytes (keys in
/// sorted order, the same bytes the sorted-keys JSONEncoder gives, tested) instead of through a
/// generic encoder and its containers on every request.
struct ProtectedResponse: ResponseGenerator {
    let loggedInAs: String
    let userID: Int64
    let roles: [String]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var json: [UInt8] = []
        json.reserveCapacity(96)
        json.append(contentsOf: #"{"logged_in_as":"#.utf8)
        JSONString.append(loggedInAs, to: &json)
        json.append(contentsOf: #","roles":"#.utf8)
        JSONString.append(array: roles, to: &json)
        json.append(contentsOf: #","user_id":"#.utf8)
        json.append(contentsOf: String(userID).utf8)
        json.append(UInt8(ascii: "}"))
        let buffer = ByteBuffer(bytes: json)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes)],
            body: .init(byteBuffer: buffer))
    }
}

struct StatusResponse: ResponseEncodable {
    let status: String
}

/// An account as the admin API (and `authctl --json`) shows it.
public struct AdminUserResponse: ResponseEncodable, Sendable {
    let id: Int64
    let username: String
    let email: String
    let roles: [String]
    let disabled: Bool
    let mfaEnabled: Bool
    let createdAt: Int64
    let passwordScheme: String
    let emailVerified: Bool

    public init(_ user: User) {
        emailVerified = user.emailVerified
        id = user.id
        username = user.username
        email = user.email
        roles = user.roles
        disabled = user.disabled
        mfaEnabled = user.mfaEnabled
        createdAt = user.createdAt
        passwordScheme = user.passwordScheme
    }

    enum CodingKeys: String, CodingKey {
        case id, username, email, roles, disabled
        case mfaEnabled = "mfa_enabled"
        case createdAt = "created_at"
        case passwordScheme = "password_scheme"
        case emailVerified = "email_verified"
    }
}

struct UserListResponse: ResponseEncodable {
    let users: [AdminUserResponse]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case users
        case nextCursor = "next_cursor"
    }

    /// `next_cursor` is always present: null on the last page.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(users, forKey: .users)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

/// A role as the admin API (and `authctl --json`) shows it.
public struct RoleResponse: ResponseEncodable, Sendable {
    let name: String
    let description: String
    let builtin: Bool
    let permissions: [String]

    public init(_ role: RoleInfo) {
        name = role.name
        description = role.description
        builtin = role.builtin
        permissions = role.permissions
    }
}

struct RoleListResponse: ResponseEncodable {
    let roles: [RoleResponse]
}

struct AuditEntryResponse: ResponseEncodable {
    let id: Int64
    let at: Int64
    let actorID: Int64?
    let actor: String
    let source: String
    let action: String
    let target: String
    let details: [String: String]

    init(_ entry: AuditEntry) {
        id = entry.id
        at = entry.at
        actorID = entry.actorID
        actor = entry.actor
        source = entry.source
        action = entry.action
        target = entry.target
        details = entry.details
    }

    enum CodingKeys: String, CodingKey {
        case id, at, actor, source, action, target, details
        case actorID = "actor_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(at, forKey: .at)
        try container.encode(actorID, forKey: .actorID)
        try container.encode(actor, forKey: .actor)
        try container.encode(source, forKey: .source)
        try container.encode(action, forKey: .action)
        try container.encode(target, forKey: .target)
        try container.encode(details, forKey: .details)
    }
}

struct AuditListResponse: ResponseEncodable {
    let entries: [AuditEntryResponse]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case entries
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entries, forKey: .entries)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}
