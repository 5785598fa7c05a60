import AuthCore
import AuthCrypto
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Pushed authorization requests (RFC 9126) over HTTP: push, then the browser with `request_uri`
/// alone; each refusal; the per-client and global requirement.
@Suite("pushed authorization requests (RFC 9126)")
struct PushedRequestTests {
    typealias Browser = PortalFlowTests.Browser

    /// The authorization request of `PortalFlowTests.authorizeURI`, as a form body.
    static let request =
        "response_type=code&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&scope=openid%20profile&state=pushed-1"
        + "&nonce=n-1&code_challenge=\(OAuthTests.challenge)&code_challenge_method=S256"

    static func push(_ client: any TestClientProtocol, _ rp: RegisteredClient, _ body: String = request)
        async throws -> TestResponse
    {
        try await client.execute(
            uri: "/oauth2/par", method: .post, headers: OAuthTests.basic(rp.client.id, try #require(rp.secret)),
            body: ByteBuffer(string: body))
    }

    static func authorize(_ clientID: String, _ requestURI: String) -> String {
        "/oauth2/authorize?client_id=\(clientID)&request_uri=\(URLEncoding.component(requestURI))"
    }

    @Test(
        "pushed once, used once: the browser carries client_id and request_uri alone, and gets the pushed request's code"
    )
    func pushedFlow() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (user, _) = try await stack.account()
        let rp = try await OAuthTests.relyingParty(stack)
        let other = try await OAuthTests.relyingParty(stack)
        let browser = Browser()
        try await withServer(stack: stack) { client in
            let pushed = try await Self.push(client, rp)
            #expect(pushed.status == .created && pushed.headers[.cacheControl] == "no-store", "\(pushed.bodyText)")
            let requestURI = try #require(pushed.json["request_uri"] as? String)
            #expect(
                requestURI.hasPrefix("urn:ietf:params:oauth:request_uri:") && pushed.json["expires_in"] as? Int == 60)

            let foreign = try await Browser().get(client, Self.authorize(other.client.id, requestURI))
            #expect(foreign.status == .badRequest, "another client's request_uri is an error page, never a redirect")
            let started = try await browser.get(client, Self.authorize(rp.client.id, requestURI))
            #expect(started.status == .seeOther, "the other client's try left it unused: \(started.bodyText)")
            let login = try await browser.get(client, try #require(started.headers[.location]))
            let (_, signedIn) = try await PortalFlowTests.signIn(browser, client, on: login, as: user)
            let allowed = try await PortalFlowTests.consent(browser, client, after: signedIn, "allow")
            let back = try await browser.get(client, try #require(allowed.headers[.location]))
            let answer = PortalFlowTests.query(back.headers[.location])
            #expect(answer["state"] == "pushed-1", "the state is the pushed request's")
            let token = try await OAuthTests.exchange(client, rp, code: try #require(answer["code"]))
            #expect(try stack.service.tokens.authorize(accessToken: token, for: .userInfo).subject == String(user.id))

            let reused = try await Browser().get(client, Self.authorize(rp.client.id, requestURI))
            #expect(reused.status == .badRequest && reused.bodyText.contains("already used"))
            let forged = try await Browser().get(
                client,
                Self.authorize(rp.client.id, "urn:ietf:params:oauth:request_uri:" + String(repeating: "A", count: 43)))
            #expect(forged.status == .badRequest)
        }
        await stack.shutdown()
    }

    @Test(
        "refusals: as the authorization endpoint's, in JSON; request_uri cannot be pushed; another client_id; no secret"
    )
    func refusals() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let rp = try await OAuthTests.relyingParty(stack)
        try await withServer(stack: stack) { client in
            for (body, error) in [
                (Self.request.replacingOccurrences(of: "rp.example.com", with: "evil.example"), "invalid_request"),
                (Self.request.replacingOccurrences(of: "openid%20profile", with: "admin"), "invalid_scope"),
                (
                    Self.request.replacingOccurrences(of: "response_type=code", with: "response_type=token"),
                    "unsupported_response_type"
                ),
                (Self.request + "&request=e30.e30.", "request_not_supported"),
                (Self.request + "&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax", "invalid_request"),
                (Self.request + "&client_id=someone-else", "invalid_request"),
                (
                    Self.request.replacingOccurrences(of: "&code_challenge=\(OAuthTests.challenge)", with: ""),
                    "invalid_request"
                ),
            ] {
                let refused = try await Self.push(client, rp, body)
                #expect(refused.status == .badRequest && refused.json["error"] as? String == error, "\(body)")
            }
            let anonymous = try await client.execute(
                uri: "/oauth2/par", method: .post, headers: OAuthTests.form,
                body: ByteBuffer(string: Self.request + "&client_id=\(rp.client.id)"))
            #expect(anonymous.status == .unauthorized && anonymous.json["error"] as? String == "invalid_client")
            let discovery = try await client.execute(uri: "/.well-known/openid-configuration", method: .get)
            #expect(
                discovery.json["pushed_authorization_request_endpoint"] as? String == "http://127.0.0.1:5000/oauth2/par"
            )
            #expect(discovery.json["require_pushed_authorization_requests"] as? Bool == false)
        }
        await stack.shutdown()
    }

    @Test(
        "a client held to PAR, or every client by oidc.require_pushed_authorization_requests, is refused a plain request"
    )
    func required() async throws {
        let stack = try await TestStack(backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes))
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        let rp = try await OAuthTests.relyingParty(stack)
        try await withServer(stack: stack) { client in
            let held = try await client.send(
                .patch, "/admin/clients/\(rp.client.id)", token: adminToken,
                json: #"{"require_pushed_authorization_requests":true}"#)
            #expect(held.json["require_pushed_authorization_requests"] as? Bool == true, "\(held.bodyText)")
            let plain = try await Browser().get(client, PortalFlowTests.authorizeURI(rp.client.id))
            #expect(plain.status == .found)
            let query = PortalFlowTests.query(plain.headers[.location])
            #expect(query["error"] == "invalid_request" && query["error_description"]?.contains("PAR") == true)
            let pushed = try await Self.push(client, rp)
            let requestURI = try #require(pushed.json["request_uri"] as? String)
            let started = try await Browser().get(client, Self.authorize(rp.client.id, requestURI))
            #expect(started.status == .seeOther && started.headers[.location]?.hasPrefix("/ui/login") == true)
        }
        await stack.shutdown()

        let strict = try await TestStack(
            backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes),
            portal: PortalPolicy(requirePushedRequests: true))
        let any = try await OAuthTests.relyingParty(strict)
        try await withServer(stack: strict) { client in
            let plain = try await Browser().get(client, PortalFlowTests.authorizeURI(any.client.id))
            #expect(PortalFlowTests.query(plain.headers[.location])["error"] == "invalid_request")
            let discovery = try await client.execute(uri: "/.well-known/openid-configuration", method: .get)
            #expect(discovery.json["require_pushed_authorization_requests"] as? Bool == true)
        }
        await strict.shutdown()
    }
}
