import AuthCore
import Hummingbird

struct ProfileResponse: ResponseEncodable {
    let id: Int64
    let username: String
    let email: String
    let roles: [String]
    let mfaEnabled: Bool
    let createdAt: Int64

    init(_ profile: UserProfile) {
        id = profile.id
        username = profile.username
        email = profile.email
        roles = profile.roles
        mfaEnabled = profile.mfaEnabled
        createdAt = profile.createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, username, email, roles
        case mfaEnabled = "mfa_enabled"
        case createdAt = "created_at"
    }
}

struct RegisteredResponse: ResponseEncodable {
    let message = "User registered successfully"
    let user: ProfileResponse
}

struct TokenResponse: ResponseEncodable {
    let accessToken: String
    let tokenType = "Bearer"
    let expiresIn: Int64

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
    }
}

struct ProtectedResponse: ResponseEncodable {
    let loggedInAs: String
    let userID: Int64
    let roles: [String]

    enum CodingKeys: String, CodingKey {
        case loggedInAs = "logged_in_as"
        case userID = "user_id"
        case roles
    }
}

struct StatusResponse: ResponseEncodable {
    let status: String
}
