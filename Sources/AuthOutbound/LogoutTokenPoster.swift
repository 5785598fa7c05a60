import AsyncHTTPClient
public import AuthCore
import NIOCore

/// OpenID Connect Back-Channel Logout §2.5 and §2.8 over async-http-client: the logout token
/// POSTed form-encoded to the client's URI, no redirect followed, the whole exchange within
/// `timeout`. 200 or 204 is delivered; 5xx, no answer or no connection is tried again later (the
/// outbox's backoff); any other answer (400: the client refused the token) is given up, since
/// sending the same token again would be refused again.
public struct LogoutTokenPoster: LogoutTokenTransport {
    public var timeout: Duration

    public init(timeout: Duration = .seconds(5)) {
        self.timeout = timeout
    }

    public func post(logoutToken: String, to uri: String) async -> OutboxOutcome {
        var request = HTTPClientRequest(url: uri)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "User-Agent", value: "authd")
        request.body = .bytes(ByteBuffer(string: "logout_token=" + logoutToken))
        do {
            let response = try await outboundClient.execute(request, deadline: .now() + TimeAmount(timeout))
            // Only the status matters; a little of the body is read so the connection can be reused.
            _ = try? await response.body.collect(upTo: 4096)
            switch response.status.code {
            case 200, 204: return .delivered
            case 500...599: return .temporary("the client answered \(response.status.code)")
            default: return .permanent("the client answered \(response.status.code)")
            }
        } catch {
            return .temporary("the client could not be reached: \(error)")
        }
    }
}
