import AuthCore
import AuthCrypto
import AuthPostgres
import AuthTestSupport
import Testing

@Suite("AuthService against PostgreSQL")
struct AuthServiceTests {
    @Test("login re-hashes a password stored with older scrypt parameters")
    func rehashOnParameterChange() async throws {
        let old = try await TestStack(scrypt: .init(logN: 10, r: 8, p: 1))
        let name = TestDatabase.uniqueName()
        _ = try await old.service.register(username: name, email: "\(name)@example.com", password: "long enough pw")
        let before = try #require(try await old.users.find(username: name)).passwordHash
        #expect(before.hasPrefix("$scrypt$ln=10,r=8,p=1$"))

        let current = try await TestStack(scrypt: .init(logN: 11, r: 8, p: 2))
        _ = try await current.service.login(username: name, password: "long enough pw")
        let after = try #require(try await current.users.find(username: name)).passwordHash
        #expect(after.hasPrefix("$scrypt$ln=11,r=8,p=2$"))
        _ = try await current.service.login(username: name, password: "long enough pw")
        #expect(try await current.users.find(username: name)?.passwordHash == after, "no second re-hash")
        await old.shutdown()
        await current.shutdown()
    }

    @Test("a werkzeug hash logs in, is replaced by authd's scrypt at the first match; a wrong password fails as usual")
    func importedHashRehashedOnLogin() async throws {
        let stack = try await TestStack()
        // Python's hashlib.pbkdf2_hmac and hashlib.scrypt made these, for "correct horse battery".
        for imported in [
            "pbkdf2:sha256:1000$NaCl4salt$7209ce2ea3c9c41e49d53858c54c309a768c24a375e62ac7a368afd686cd6c8d",
            "scrypt:1024:8:1$Rf8cbG7p$21d03715625589cb4006f6e056c0111e08a3482c55e917fed1b223588ceffcc7adcbdb71135607b3"
                + "411de70c9a99f4c6075d51d57a9fd92555595e78f54bc2c3",
        ] {
            let name = TestDatabase.uniqueName("imp")
            _ = try await stack.users.create(
                NewUser(username: name, email: "\(name)@example.com", passwordHash: imported, roles: [Role.user]))
            #expect(
                await TestStack.outcome { try await stack.service.login(username: name, password: "correct horse") }
                    == "invalid_credentials")
            #expect(try await stack.users.find(username: name)?.passwordHash == imported, "a failure changes nothing")
            _ = try await stack.service.login(username: name, password: "correct horse battery").tokens
            let after = try #require(try await stack.users.find(username: name)).passwordHash
            #expect(after.hasPrefix("$scrypt$ln=10,r=8,p=1$"), "\(imported.prefix(7)) rehashed")
            _ = try await stack.service.login(username: name, password: "correct horse battery").tokens
        }
        await stack.shutdown()
    }

    @Test("unknown user, wrong password and disabled account give the same error")
    func noEnumeration() async throws {
        let stack = try await TestStack()
        let name = TestDatabase.uniqueName()
        _ = try await stack.service.register(username: name, email: "\(name)@example.com", password: "long enough pw")
        var errors: [AuthError] = []
        for (user, password) in [(name, "wrong password"), ("nobody-\(name)", "long enough pw")] {
            do {
                _ = try await stack.service.login(username: user, password: password)
            } catch let error as AuthError {
                errors.append(error)
            }
        }
        _ = try await stack.pool.withConnection { connection in
            try connection.query("UPDATE users SET disabled = true WHERE username = $1", [name])
        }
        do {
            _ = try await stack.service.login(username: name, password: "long enough pw")
        } catch let error as AuthError {
            errors.append(error)
        }
        #expect(errors.count == 3)
        #expect(Set(errors).count == 1)
        #expect(errors.first?.code == .invalidCredentials)
        await stack.shutdown()
    }

    @Test("login is case-insensitive in the username and the token names the user")
    func tokenClaims() async throws {
        let stack = try await TestStack()
        let name = TestDatabase.uniqueName("Mixed")
        let profile = try await stack.service.register(
            username: name, email: "\(name)@Example.com", password: "long enough pw")
        #expect(profile.email == "\(name.lowercased())@example.com")
        let issued = try await stack.service.login(username: name.uppercased(), password: "long enough pw")
        let claims = try stack.service.tokens.authorize(accessToken: issued.accessToken)
        #expect(claims.subject == String(profile.id))
        #expect(claims.name == name)
        #expect(claims.roles == ["user"])
        #expect(claims.expiresAt - claims.issuedAt == 900)
        #expect(try await stack.service.profile(accessToken: issued.accessToken) == profile)
        await stack.shutdown()
    }

    @Test("an expired token is reported as expired")
    func expired() async throws {
        let stack = try await TestStack(clock: { 1_000_000 })
        let name = TestDatabase.uniqueName()
        _ = try await stack.service.register(username: name, email: "\(name)@example.com", password: "long enough pw")
        let token = try await stack.service.login(username: name, password: "long enough pw").accessToken
        let later = try await TestStack(clock: { 1_000_000 + 900 + 31 })
        #expect(throws: AuthError(.tokenExpired, "access token expired")) {
            try later.service.tokens.authorize(accessToken: token)
        }
        #expect(throws: AuthError(.invalidToken, "access token is invalid")) {
            try later.service.tokens.authorize(accessToken: token + "x")
        }
        await stack.shutdown()
        await later.shutdown()
    }
}
