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

    @Test("an imported hash of each scheme logs in, is tagged, and is replaced by authd's scrypt at the first match")
    func importedHashRehashedOnLogin() async throws {
        let stack = try await TestStack()
        // Made by Python's hashlib (werkzeug's layouts, "correct horse battery") and by mkpasswd,
        // htpasswd -B and argon2-cffi ("correct horse"); see ImportedCryptHashTests.
        let werkzeug = ImportedHashVectors.werkzeug.map { ($0, "correct horse battery") }
        let crypt = ImportedHashVectors.crypt.map { ($0.hash, "correct horse") }
        for (imported, password) in werkzeug + crypt {
            let name = TestDatabase.uniqueName("imp")
            _ = try await stack.users.create(
                NewUser(username: name, email: "\(name)@example.com", passwordHash: imported, roles: [Role.user]))
            #expect(try await stack.scheme(of: name) == ImportedHash.scheme(of: imported)?.name, "sql/0010's tag")
            #expect(
                await TestStack.outcome { try await stack.service.login(username: name, password: password + "!") }
                    == "invalid_credentials")
            #expect(try await stack.users.find(username: name)?.passwordHash == imported, "a failure changes nothing")
            _ = try await stack.service.login(username: name, password: password).tokens
            let after = try #require(try await stack.users.find(username: name)).passwordHash
            #expect(after.hasPrefix("$scrypt$ln=10,r=8,p=1$"), "\(imported.prefix(7)) rehashed")
            #expect(try await stack.scheme(of: name) == "scrypt")
            _ = try await stack.service.login(username: name, password: password).tokens
        }
        await #expect(throws: PostgresError.self, "a format authd cannot verify is not stored") {
            _ = try await stack.users.create(
                NewUser(
                    username: TestDatabase.uniqueName("imp"), email: "\(TestDatabase.uniqueName())@example.com",
                    passwordHash: "$1$saltsalt$hashhashhashhashhashha", roles: [Role.user]))
        }
        await stack.shutdown()
    }

    @Test(
        "an imported hash below password.imported_floor refuses even the right password, as a wrong one; one above logs in"
    )
    func importedFloor() async throws {
        let stack = try await TestStack(importedFloor: ImportedHashFloor(["werkzeug-pbkdf2": 100_000, "bcrypt": 5]))
        let weak = ImportedHashVectors.werkzeug[1]  // pbkdf2:sha256 at 1,000 iterations
        let enough = ImportedHashVectors.crypt.first { $0.hash.hasPrefix("$2b$05$") }!.hash
        let weakName = TestDatabase.uniqueName("floor")
        let enoughName = TestDatabase.uniqueName("floor")
        for (name, hash) in [(weakName, weak), (enoughName, enough)] {
            _ = try await stack.users.create(
                NewUser(username: name, email: "\(name)@example.com", passwordHash: hash, roles: [Role.user]))
        }
        #expect(
            await TestStack.outcome {
                try await stack.service.login(username: weakName, password: "correct horse battery")
            }
                == "invalid_credentials")
        #expect(try await stack.users.find(username: weakName)?.passwordHash == weak, "not rehashed either")
        _ = try await stack.service.login(username: enoughName, password: "correct horse").tokens
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
        let claims = try stack.service.tokens.authorize(accessToken: issued.accessToken, for: .account)
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
            try later.service.tokens.authorize(accessToken: token, for: .account)
        }
        #expect(throws: AuthError(.invalidToken, "access token is invalid")) {
            try later.service.tokens.authorize(accessToken: token + "x", for: .account)
        }
        await stack.shutdown()
        await later.shutdown()
    }
}

extension TestStack {
    /// `users.password_scheme`, the tag sql/0010 computes from the stored hash.
    fileprivate func scheme(of username: String) async throws -> String? {
        try await pool.withConnection { connection in
            try connection.query("SELECT password_scheme FROM users WHERE username = $1", [username]).single().string(
                "password_scheme")
        }
    }
}
