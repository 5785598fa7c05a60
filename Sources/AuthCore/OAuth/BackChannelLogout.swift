import AuthCrypto
public import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension OutboxMessage.Kind {
    /// A `BackChannelLogoutNotice`: a client to tell that an SSO session it was used in has ended.
    public static let backChannelLogout = OutboxMessage.Kind(rawValue: "backchannel-logout")
}

/// OpenID Connect Back-Channel Logout 1.0: that the SSO session `sid` of user `sub` has ended, for
/// client `client_id`. The store that ends the session queues one per client with a back-channel
/// URI that was issued a code in it, in the same transaction; `BackChannelLogoutDelivery` signs the
/// logout token when it sends it, so the token's short life starts then.
public struct BackChannelLogoutNotice: Codable, Hashable, Sendable {
    public var clientID: String
    public var subject: String
    public var sessionID: String

    /// `ssoSessionID` is the authd session behind the portal's cookie; the notice carries its `sid`.
    public init(clientID: String, userID: Int64, ssoSessionID: String) {
        self.clientID = clientID
        subject = String(userID)
        sessionID = SSOSession.sid(of: ssoSessionID)
    }

    public var message: OutboxMessage {
        let payload = (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return OutboxMessage(kind: .backChannelLogout, payload: payload)
    }

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", subject = "sub", sessionID = "sid"
    }
}

extension SSOSession {
    /// The `sid` relying parties see for the SSO session whose authd session is `sessionID`
    /// (ID tokens, logout tokens, front-channel logout): derived, so that the session's own id,
    /// which authd's tokens carry and its APIs take, never leaves for a client.
    public static func sid(of sessionID: String) -> String {
        let digest = (try? Digest.hash(.sha256, Array("authd-sid:\(sessionID)".utf8))) ?? []
        return Base64.url.encode(digest.prefix(16))
    }
}

/// Sends a logout token to a client's back-channel URI (Back-Channel Logout §2.5: `POST`,
/// `application/x-www-form-urlencoded`, `logout_token=…`) and says what became of it.
public protocol LogoutTokenTransport: Sendable {
    func post(logoutToken: String, to uri: String) async -> OutboxOutcome
}

/// Delivers `backchannel-logout` messages: reads the client as it stands now (a client deleted
/// or without a back-channel URI since is given up, with the reason kept), signs a logout token
/// with the client's ID-token pair, valid two minutes, and posts it. The outbox retries what
/// failed for a while with growing delays.
public struct BackChannelLogoutDelivery: OutboxHandler {
    let oauth: OAuthService
    let transport: any LogoutTokenTransport
    let logger: Logger

    /// Seconds a logout token is valid: long enough for clocks that drift, short enough that a
    /// captured one is soon worthless.
    public static let tokenLifetime: Int64 = 120

    public init(oauth: OAuthService, transport: any LogoutTokenTransport, logger: Logger) {
        self.oauth = oauth
        self.transport = transport
        self.logger = logger
    }

    public func deliver(_ item: OutboxItem) async -> OutboxOutcome {
        guard
            let notice = try? JSONDecoder().decode(BackChannelLogoutNotice.self, from: Data(item.message.payload.utf8))
        else { return .permanent("the payload is not a back-channel logout notice") }
        let client: OAuthClient?
        do {
            client = try await oauth.clients.client(id: notice.clientID)
        } catch {
            return .temporary("the client could not be read: \(error)")
        }
        guard let client, let uri = client.logout.backChannel else {
            return .permanent("the client no longer exists or has no backchannel_logout_uri")
        }
        guard let pair = oauth.tokens.codec.keyring.idTokenPair(for: client.idTokenAlgorithm) else {
            return .permanent("no key signs \(client.idTokenAlgorithm.rawValue) tokens for this client")
        }
        let now = oauth.tokens.clock()
        let token: String
        do {
            token = try LogoutToken.sign(
                LogoutTokenClaims(
                    issuer: oauth.issuer, subject: notice.subject, audience: client.id, issuedAt: now,
                    expiresAt: now + Self.tokenLifetime, tokenID: Base64.url.encode(try SecureRandom.bytes(16)),
                    sessionID: notice.sessionID),
                with: pair)
        } catch {
            return .temporary("the logout token could not be signed: \(error)")
        }
        return await transport.post(logoutToken: token, to: uri)
    }
}
