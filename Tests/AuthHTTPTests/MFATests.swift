import AuthCore
import AuthCrypto
import AuthPostgres
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A fixed clock, so the tests choose exactly which time step each code belongs to.
let mfaNow: Int64 = 1_800_000_015
let step = mfaNow / 30

/// The `http` stack as shipped (lockout, password, active, totp for enrolled users).
func httpStackWithTOTP(attempts: Int) -> AuthService.StackSource {
    TestStack.stack(
        "http",
        """
        auth required lockout attempts=\(attempts) window=15m lock=15m
        auth required password
        auth required active
        auth required totp if=enrolled
        """)
}

func mfaStack(databaseURL: String? = nil, attempts: Int = 5) async throws -> TestStack {
    try await TestStack(
        backing: databaseURL == nil ? .memory : .postgres, clock: { mfaNow },
        stacks: httpStackWithTOTP(attempts: attempts), databaseURL: databaseURL)
}

extension TestClientProtocol {
    func bearerPost(_ uri: String, token: String, json: String? = nil) async throws -> TestResponse {
        try await send(.post, uri, token: token, json: json)
    }
}

@Suite("HTTP multi-factor authentication")
struct MFATests {
    /// A new user with MFA on; returns the name, a token, the secret and the recovery codes.
    static func enrolled(_ client: any TestClientProtocol) async throws -> (
        name: String, token: String, secret: [UInt8], recovery: [String]
    ) {
        let name = TestDatabase.uniqueName()
        #expect(try await client.register(name).status == .created)
        let token = try #require(try await client.login(name).json["access_token"] as? String)
        let setup = try await client.bearerPost("/mfa/totp/setup", token: token)
        #expect(setup.status == .ok, "\(setup.bodyText)")
        let text = try #require(setup.json["secret"] as? String)
        let secret = try #require(Base32.decode(text))
        let code = try OneTimePassword().totp(secret: secret, at: mfaNow)
        let confirmed = try await client.bearerPost("/mfa/totp/confirm", token: token, json: #"{"code":"\#(code)"}"#)
        #expect(confirmed.status == .ok, "\(confirmed.bodyText)")
        let recovery = try #require(confirmed.json["recovery_codes"] as? [String])
        return (name, token, secret, recovery)
    }

    static func code(_ secret: [UInt8], steps offset: Int64) throws -> String {
        try OneTimePassword().totp(secret: secret, at: mfaNow + offset * 30)
    }

    /// `POST /login` for an enrolled user: the mfa_token.
    static func challenge(_ client: any TestClientProtocol, _ name: String) async throws -> String {
        let login = try await client.login(name)
        #expect(login.status == .ok)
        #expect(login.json["mfa_required"] as? Bool == true)
        #expect(login.json["access_token"] == nil, "no access token before the second factor")
        return try #require(login.json["mfa_token"] as? String)
    }

    static func secondStep(_ client: any TestClientProtocol, _ challenge: String, _ code: String) async throws
        -> TestResponse
    {
        try await client.post("/login/mfa", json: #"{"mfa_token":"\#(challenge)","code":"\#(code)"}"#)
    }

    @Test(
        "enrolment: setup gives a base32 secret, an otpauth URI and its QR code; confirm turns MFA on with 10 recovery codes"
    )
    func enrolment() async throws {
        try await withServer(stack: try await mfaStack()) { client in
            let name = TestDatabase.uniqueName()
            #expect(try await client.register(name).status == .created)
            let token = try #require(try await client.login(name).json["access_token"] as? String)
            let setup = try await client.bearerPost("/mfa/totp/setup", token: token)
            let secret = try #require(setup.json["secret"] as? String)
            #expect(Base32.decode(secret)?.count == 20)
            let uri = try #require(setup.json["otpauth_uri"] as? String)
            #expect(
                uri == "otpauth://totp/authd:\(name)?secret=\(secret)&issuer=authd&algorithm=SHA1&digits=6&period=30")
            let svg = try #require(setup.json["qr_svg"] as? String)
            #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""), "the URI as a scannable QR code")

            let wrong = try await client.bearerPost("/mfa/totp/confirm", token: token, json: #"{"code":"000000"}"#)
            #expect(wrong.status == .forbidden)
            #expect(wrong.errorCode == "invalid_code")
            let decoded = try #require(Base32.decode(secret))
            let code = try OneTimePassword().totp(secret: decoded, at: mfaNow)
            let confirmed = try await client.bearerPost(
                "/mfa/totp/confirm", token: token, json: #"{"code":"\#(code)"}"#)
            let recovery = try #require(confirmed.json["recovery_codes"] as? [String])
            #expect(Set(recovery).count == 10)
            #expect(recovery.allSatisfy { $0.count == 19 && $0.split(separator: "-").count == 4 })
            #expect(try await client.get("/me", token: token).json["mfa_enabled"] as? Bool == true)
            #expect(try await client.bearerPost("/mfa/totp/setup", token: token).errorCode == "mfa_already_enabled")
            #expect(
                try await client.bearerPost("/mfa/totp/confirm", token: token, json: #"{"code":"\#(code)"}"#).errorCode
                    == "mfa_not_pending")
        }
    }

    @Test("login asks for the second factor; codes within ±1 step pass once each, ±2 never, on any instance")
    func login() async throws {
        let url = try TestDatabase.freshMigratedURL()
        let other = try await mfaStack(databaseURL: url)
        try await withServer(stack: try await mfaStack(databaseURL: url)) { client in
            let (name, _, secret, _) = try await Self.enrolled(client)
            let challenge = try await Self.challenge(client, name)

            let confirmedStep = try await Self.secondStep(client, challenge, try Self.code(secret, steps: 0))
            #expect(confirmedStep.status == .unauthorized, "the step used to confirm is spent")
            #expect(
                try await Self.secondStep(client, challenge, try Self.code(secret, steps: 2)).status == .unauthorized)
            #expect(
                try await Self.secondStep(client, challenge, try Self.code(secret, steps: -2)).status == .unauthorized)
            let passed = try await Self.secondStep(client, challenge, try Self.code(secret, steps: 1))
            #expect(passed.status == .ok, "\(passed.bodyText)")
            let access = try #require(passed.json["access_token"] as? String)
            #expect(passed.json["refresh_token"] is String)
            #expect(try await client.get("/protected", token: access).status == .ok)

            // The same code again, now at a second instance: refused, the step is spent everywhere.
            let replay = await #expect(throws: AuthError.self) {
                _ = try await other.service.completeLogin(challenge: challenge, code: try Self.code(secret, steps: 1))
            }
            #expect(replay?.code == .invalidCredentials)
            #expect(try await Self.secondStep(client, "not-a-token", "123456").errorCode == "invalid_mfa_token")
        }
        await other.shutdown()
    }

    @Test("an mfa_token opens one session: a second good code with it is refused, here or elsewhere")
    func challengeSingleUse() async throws {
        let url = try TestDatabase.freshMigratedURL()
        let other = try await mfaStack(databaseURL: url)
        try await withServer(stack: try await mfaStack(databaseURL: url)) { client in
            let (name, _, _, recovery) = try await Self.enrolled(client)
            let challenge = try await Self.challenge(client, name)
            #expect(try await Self.secondStep(client, challenge, recovery[0]).status == .ok)
            let again = try await Self.secondStep(client, challenge, recovery[1])
            #expect(again.errorCode == "invalid_mfa_token")
            let elsewhere = await #expect(throws: AuthError.self) {
                _ = try await other.service.completeLogin(challenge: challenge, code: recovery[2])
            }
            #expect(elsewhere?.code == .invalidMFAToken)
            #expect(try await Self.secondStep(client, try Self.challenge(client, name), recovery[3]).status == .ok)
        }
        await other.shutdown()
    }

    @Test("a password change between the two steps voids the mfa_token")
    func challengeBoundToPassword() async throws {
        try await withServer(stack: try await mfaStack()) { client in
            let (name, token, _, recovery) = try await Self.enrolled(client)
            let challenge = try await Self.challenge(client, name)
            let changed = try await client.bearerPost(
                "/password", token: token,
                json: #"{"old_password":"long enough pw","new_password":"another long pw 2"}"#)
            #expect(changed.status == .noContent, "\(changed.bodyText)")
            #expect(try await Self.secondStep(client, challenge, recovery[0]).errorCode == "invalid_mfa_token")
        }
    }

    @Test("MFA management runs under the login lockout: wrong codes or passwords lock, then even right ones wait")
    func managementThrottled() async throws {
        try await withServer(stack: try await mfaStack(attempts: 3)) { client in
            let (name, token, secret, _) = try await Self.enrolled(client)
            for _ in 0..<2 {
                let wrong = try await client.bearerPost("/mfa/totp/disable", token: token, json: #"{"code":"000000"}"#)
                #expect(wrong.errorCode == "invalid_code")
            }
            let wrongPassword = try await client.bearerPost(
                "/mfa/recovery-codes", token: token, json: #"{"password":"not the password"}"#)
            #expect(wrongPassword.errorCode == "wrong_password")
            let locked = try await client.bearerPost(
                "/mfa/totp/disable", token: token, json: #"{"code":"\#(try Self.code(secret, steps: 1))"}"#)
            #expect(locked.status == .tooManyRequests, "\(locked.bodyText)")
            #expect(locked.errorCode == "rate_limited")
            let password = try await client.bearerPost(
                "/mfa/recovery-codes", token: token, json: #"{"password":"long enough pw"}"#)
            #expect(password.errorCode == "rate_limited", "the right password waits too")
            #expect(try await client.login(name).errorCode == "invalid_credentials", "and so does a login")
        }
    }

    @Test("each recovery code works exactly once")
    func recoveryCodes() async throws {
        try await withServer(stack: try await mfaStack()) { client in
            let (name, _, _, recovery) = try await Self.enrolled(client)
            for code in recovery.prefix(3) {
                let challenge = try await Self.challenge(client, name)
                #expect(try await Self.secondStep(client, challenge, code.uppercased()).status == .ok)
                #expect(try await Self.secondStep(client, challenge, code).status == .unauthorized)
            }
        }
    }

    @Test("failed second steps count towards the lockout; a good password in between does not reset it")
    func lockout() async throws {
        try await withServer(stack: try await mfaStack(attempts: 3)) { client in
            let (name, _, secret, _) = try await Self.enrolled(client)
            for _ in 0..<2 {
                let challenge = try await Self.challenge(client, name)
                #expect(try await Self.secondStep(client, challenge, "000000").status == .unauthorized)
            }
            let challenge = try await Self.challenge(client, name)
            #expect(try await Self.secondStep(client, challenge, "111111").status == .unauthorized)
            let locked = try await Self.secondStep(client, challenge, try Self.code(secret, steps: 1))
            #expect(locked.status == .unauthorized, "locked after 3 failed second steps: even a good code fails")
            #expect(try await client.login(name).errorCode == "invalid_credentials")
        }
    }

    @Test("disable needs a current code or the password; an admin can reset, audited")
    func disableAndReset() async throws {
        let stack = try await mfaStack()
        let (_, adminToken) = try await stack.account(roles: [Role.admin])
        try await withServer(stack: stack) { client in
            let (name, token, secret, _) = try await Self.enrolled(client)
            let wrong = try await client.bearerPost("/mfa/totp/disable", token: token, json: #"{"code":"000000"}"#)
            #expect(wrong.errorCode == "invalid_code")
            #expect(
                try await client.bearerPost("/mfa/totp/disable", token: token, json: #"{"password":"nope nope"}"#)
                    .errorCode == "wrong_password")
            #expect(try await client.bearerPost("/mfa/totp/disable", token: token, json: "{}").status == .badRequest)
            let regenerated = try await client.bearerPost(
                "/mfa/recovery-codes", token: token, json: #"{"code":"\#(try Self.code(secret, steps: 1))"}"#)
            #expect((regenerated.json["recovery_codes"] as? [String])?.count == 10)
            let disabled = try await client.bearerPost(
                "/mfa/totp/disable", token: token, json: #"{"password":"long enough pw"}"#)
            #expect(disabled.status == .noContent)
            #expect(try await client.login(name).json["access_token"] is String, "password alone again")

            let (other, _, _, _) = try await Self.enrolled(client)
            let user = try #require(try await stack.users.find(username: other))
            let reset = try await client.bearerPost("/admin/users/\(user.id)/mfa/reset", token: adminToken)
            #expect(reset.status == .noContent)
            #expect(try await client.login(other).json["access_token"] is String)
            #expect(
                try await client.bearerPost("/admin/users/\(user.id)/mfa/reset", token: adminToken).errorCode
                    == "mfa_not_enabled")
            let audit = try await client.get("/admin/audit?limit=5", token: adminToken)
            let entries = try #require(audit.json["entries"] as? [[String: Any]])
            #expect(
                entries.contains {
                    $0["action"] as? String == "user.mfa_reset" && $0["target"] as? String == "user:\(user.id)"
                })
        }
    }

    @Test("the stored secret is sealed: not the base32 text, and it opens only with the configured key")
    func sealedAtRest() async throws {
        let stack = try await mfaStack()
        try await withServer(stack: stack) { client in
            let (name, _, secret, _) = try await Self.enrolled(client)
            let user = try #require(try await stack.users.find(username: name))
            let enrolment = try #require(try await stack.mfa.enrolment(userID: user.id))
            let stored = enrolment.sealedSecret
            #expect(stored != secret && stored != Array(Base32.encode(secret).utf8))
            #expect(!String(decoding: stored, as: UTF8.self).contains(Base32.encode(secret)))
            let context = Array("totp:\(user.id)".utf8)
            let keyring = try SealingKeyring(current: TestStack.mfaKey)
            #expect(try keyring.open(stored, keyID: enrolment.keyID, context: context) == secret)
            let otherKey = try SealingKeyring(current: Array("another-mfa-key-0123456789-abcdefghijkl".utf8))
            #expect(throws: CryptoError.self) { try otherKey.open(stored, keyID: enrolment.keyID, context: context) }
            let rotated = try SealingKeyring(
                current: Array("another-mfa-key-0123456789-abcdefghijkl".utf8), previous: [TestStack.mfaKey])
            #expect(try rotated.open(stored, keyID: enrolment.keyID, context: context) == secret, "old keys still open")
        }
    }

    @Test("without an MFA key, enrolment is 503 mfa_unavailable")
    func unconfigured() async throws {
        let stack = try await TestStack(backing: .memory, secondFactor: false)
        try await withServer(stack: stack) { client in
            let (_, token) = try await stack.account()
            let setup = try await client.bearerPost("/mfa/totp/setup", token: token)
            #expect(setup.status == .serviceUnavailable)
            #expect(setup.errorCode == "mfa_unavailable")
        }
    }
}
