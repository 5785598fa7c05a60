import AuthCore
import AuthCrypto
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// RFC 8628 end to end over HTTP: a device asks for codes and polls; a browser signs in on
/// `/ui/device`, sees the request and answers it.
@Suite("device authorization grant (RFC 8628)")
struct DeviceFlowTests {
    typealias Browser = PortalFlowTests.Browser
    static let grant = "urn:ietf:params:oauth:grant-type:device_code"

    /// A client of the device grant: confidential unless `public`.
    static func device(_ stack: TestStack, public isPublic: Bool = false) async throws -> RegisteredClient {
        try await stack.admin.createClient(
            NewClient(
                id: TestDatabase.uniqueName("tv"), name: "Living room TV", type: isPublic ? .public : .confidential,
                grantTypes: [.deviceCode, .refreshToken], scopes: Array(OAuthTests.openIDScopes)),
            by: TestStack.testOperator)
    }

    static func post(_ client: any TestClientProtocol, _ path: String, _ device: RegisteredClient, _ body: String)
        async throws -> TestResponse
    {
        if let secret = device.secret {
            return try await client.execute(
                uri: path, method: .post, headers: OAuthTests.basic(device.client.id, secret),
                body: ByteBuffer(string: body))
        }
        return try await client.execute(
            uri: path, method: .post, headers: OAuthTests.form,
            body: ByteBuffer(string: body + "&client_id=\(device.client.id)"))
    }

    static func poll(_ client: any TestClientProtocol, _ device: RegisteredClient, _ code: String) async throws
        -> TestResponse
    {
        try await post(client, "/oauth2/token", device, "grant_type=\(grant)&device_code=\(code)")
    }

    /// Signs `browser` in from the device page's redirect and returns the page it comes back to.
    static func signIn(_ browser: Browser, _ client: any TestClientProtocol, at page: String, as user: User)
        async throws -> TestResponse
    {
        let bounced = try await browser.get(client, page)
        #expect(bounced.status == .seeOther)
        let login = try await browser.get(client, try #require(bounced.headers[.location]))
        let signedIn = try await browser.post(
            client, "/ui/login",
            [
                ("csrf", try #require(PortalFlowTests.hidden("csrf", in: login))),
                ("rd", try #require(PortalFlowTests.hidden("rd", in: login))), ("username", user.username),
                ("password", TestStack.password),
            ])
        let back = try #require(signedIn.headers[.location])
        #expect(back.hasPrefix("/ui/device"), "the sign-in returns to the device page: \(back)")
        return try await browser.get(client, back)
    }

    @Test(
        "codes, authorization_pending, slow_down; sign in on the page, allow; tokens once, with an ID token of the SSO session"
    )
    func allowed() async throws {
        let time = TestClock()
        let stack = try await TestStack(
            backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes), time: time)
        let (user, _) = try await stack.account()
        let tv = try await Self.device(stack)
        let browser = Browser()
        try await withServer(stack: stack) { client in
            let started = try await Self.post(client, "/oauth2/device_authorization", tv, "scope=openid%20profile")
            #expect(started.status == .ok && started.headers[.cacheControl] == "no-store", "\(started.bodyText)")
            let deviceCode = try #require(started.json["device_code"] as? String)
            let userCode = try #require(started.json["user_code"] as? String)
            #expect(
                userCode.range(of: "^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$", options: .regularExpression)
                    != nil)
            #expect(started.json["verification_uri"] as? String == "http://127.0.0.1:5000/ui/device")
            let plain = userCode.replacingOccurrences(of: "-", with: "")
            #expect(
                started.json["verification_uri_complete"] as? String
                    == "http://127.0.0.1:5000/ui/device?user_code=\(plain)")
            #expect(started.json["expires_in"] as? Int == 600 && started.json["interval"] as? Int == 5)

            let pending = try await Self.poll(client, tv, deviceCode)
            #expect(pending.status == .badRequest && pending.json["error"] as? String == "authorization_pending")
            let hasty = try await Self.poll(client, tv, deviceCode)
            #expect(hasty.json["error"] as? String == "slow_down")
            time.advance(by: .seconds(6))
            let stillHasty = try await Self.poll(client, tv, deviceCode)
            #expect(stillHasty.json["error"] as? String == "slow_down", "the interval grew to 10 s")
            time.advance(by: .seconds(16))
            let patient = try await Self.poll(client, tv, deviceCode)
            #expect(patient.json["error"] as? String == "authorization_pending", "15 s later is soon enough")
            time.advance(by: .seconds(16))

            // The person types the code with a space and in lower case; signed out, the page goes
            // to the sign-in and back.
            let typed = userCode.lowercased().replacingOccurrences(of: "-", with: " ")
            let confirm = try await Self.signIn(
                browser, client, at: "/ui/device?user_code=\(typed.replacingOccurrences(of: " ", with: "%20"))",
                as: user)
            #expect(confirm.status == .ok && confirm.bodyText.contains("Living room TV"), "\(confirm.bodyText)")
            #expect(confirm.bodyText.contains(userCode), "the code is shown to compare with the device")
            #expect(confirm.bodyText.contains("See your username"))
            let allowed = try await browser.post(
                client, "/ui/device",
                [
                    ("csrf", try #require(PortalFlowTests.hidden("csrf", in: confirm))), ("user_code", plain),
                    ("decision", "allow"),
                ])
            #expect(allowed.status == .ok && allowed.bodyText.contains("Device connected"))
            let again = try await browser.post(
                client, "/ui/device",
                [
                    ("csrf", try #require(PortalFlowTests.hidden("csrf", in: confirm))), ("user_code", plain),
                    ("decision", "deny"),
                ])
            #expect(again.status == .badRequest, "answered once")

            let tokens = try await Self.poll(client, tv, deviceCode)
            #expect(tokens.status == .ok, "\(tokens.bodyText)")
            #expect(tokens.json["scope"] as? String == "openid profile" && tokens.json["refresh_token"] is String)
            let idToken = try #require(tokens.json["id_token"] as? String)
            let claims = try LogoutChannelTests.parts(idToken).claims
            #expect(claims["aud"] as? String == tv.client.id && claims["sub"] as? String == String(user.id))
            #expect(claims["sid"] is String && claims["nonce"] == nil)
            let spent = try await Self.poll(client, tv, deviceCode)
            #expect(spent.json["error"] as? String == "invalid_grant", "one poll gets the tokens")

            // Signing out of authd signs the device out: its session was the SSO session's child.
            _ = try await browser.post(
                client, "/ui/logout", [("csrf", try await PortalFlowTests.freshCSRF(browser, client))])
            let refresh = try await Self.post(
                client, "/oauth2/token", tv,
                "grant_type=refresh_token&refresh_token=\(try #require(tokens.json["refresh_token"]))")
            #expect(refresh.json["error"] as? String == "invalid_grant")
        }
        await stack.shutdown()
    }

    @Test("denied is access_denied; expired is expired_token; a public client polls with its id alone")
    func deniedAndExpired() async throws {
        let time = TestClock()
        let stack = try await TestStack(
            backing: .memory, configuration: .init(scopes: OAuthTests.openIDScopes), time: time)
        let (user, _) = try await stack.account()
        let tv = try await Self.device(stack, public: true)
        let browser = Browser()
        try await withServer(stack: stack) { client in
            let started = try await Self.post(client, "/oauth2/device_authorization", tv, "scope=openid")
            let deviceCode = try #require(started.json["device_code"] as? String)
            let userCode = try #require(started.json["user_code"] as? String)
            let confirm = try await Self.signIn(browser, client, at: "/ui/device?user_code=\(userCode)", as: user)
            _ = try await browser.post(
                client, "/ui/device",
                [
                    ("csrf", try #require(PortalFlowTests.hidden("csrf", in: confirm))),
                    ("user_code", userCode), ("decision", "deny"),
                ])
            let denied = try await Self.poll(client, tv, deviceCode)
            #expect(denied.status == .badRequest && denied.json["error"] as? String == "access_denied")

            let second = try await Self.post(client, "/oauth2/device_authorization", tv, "")
            time.advance(by: .seconds(601))
            let expired = try await Self.poll(client, tv, try #require(second.json["device_code"] as? String))
            #expect(expired.json["error"] as? String == "expired_token")
            let page = try await browser.get(
                client, "/ui/device?user_code=\(try #require(second.json["user_code"] as? String))")
            #expect(page.status == .badRequest && page.bodyText.contains("not valid, or it has expired"))
        }
        await stack.shutdown()
    }

    @Test("a client without the grant is unauthorized_client; guessing codes on the page is rate-limited")
    func refusals() async throws {
        let stack = try await TestStack(
            backing: .memory,
            configuration: .init(accountLimit: .init(burst: 5, perSecond: 0.001), scopes: OAuthTests.openIDScopes))
        let (user, _) = try await stack.account()
        let rp = try await OAuthTests.relyingParty(stack)
        let tv = try await Self.device(stack)
        let browser = Browser()
        try await withServer(stack: stack) { client in
            let unauthorized = try await Self.post(client, "/oauth2/device_authorization", rp, "")
            #expect(
                unauthorized.status == .badRequest && unauthorized.json["error"] as? String == "unauthorized_client")
            let badScope = try await Self.post(client, "/oauth2/device_authorization", tv, "scope=admin")
            #expect(badScope.json["error"] as? String == "invalid_scope")
            let forged = try await Self.poll(client, tv, String(repeating: "A", count: 43))
            #expect(forged.json["error"] as? String == "invalid_grant")

            let first = try await Self.signIn(browser, client, at: "/ui/device", as: user)
            #expect(first.status == .ok && first.bodyText.contains("Enter the code your device shows"))
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<12 {
                statuses.append(try await browser.get(client, "/ui/device?user_code=BCDFGHJK").status)
            }
            #expect(
                statuses == Array(repeating: .badRequest, count: 5) + Array(repeating: .tooManyRequests, count: 7),
                "five wrong guesses, then none: \(statuses.map(\.code))")
            let discovery = try await client.execute(uri: "/.well-known/openid-configuration", method: .get)
            #expect(
                discovery.json["device_authorization_endpoint"] as? String
                    == "http://127.0.0.1:5000/oauth2/device_authorization")
            #expect((discovery.json["grant_types_supported"] as? [String])?.contains(Self.grant) == true)
        }
        await stack.shutdown()
    }
}
