import Testing

@testable import AuthCrypto

@Suite("HashCostCeiling: what one stored hash may cost a login")
struct HashCostCeilingTests {
    let ceiling = HashCostCeiling()

    @Test("scrypt, both formats: memory at most 128 MiB and N·r·p at most four times authd's default")
    func scrypt() throws {
        #expect(ceiling.excess(.scrypt(.default, scheme: "scrypt")) == nil, "authd's own default fits")
        #expect(ceiling.excess(.scrypt(ScryptParameters(logN: 16, r: 8, p: 1), scheme: "scrypt")) == nil)
        let memory = try #require(ceiling.excess(.scrypt(ScryptParameters(logN: 17, r: 8, p: 1), scheme: "scrypt")))
        #expect(memory.contains("MiB"))
        let work = try #require(ceiling.excess(.scrypt(ScryptParameters(logN: 15, r: 8, p: 16), scheme: "scrypt")))
        #expect(work.contains("N·r·p"))
        let werkzeug = try WerkzeugScrypt(parsing: "scrypt:1048576:8:1$salt$" + String(repeating: "ab", count: 64))
        #expect(ceiling.excess(werkzeug.cost) != nil, "1 GiB")
        let usual = try WerkzeugScrypt(parsing: "scrypt:32768:8:1$salt$" + String(repeating: "ab", count: 64))
        #expect(ceiling.excess(usual.cost) == nil, "werkzeug's default")
    }

    @Test("the other schemes by their work factors, at the default maximums and one past them")
    func others() throws {
        func pbkdf2(_ iterations: Int) throws -> HashCost {
            try WerkzeugPBKDF2(parsing: "pbkdf2:sha256:\(iterations)$salt$" + String(repeating: "ab", count: 32)).cost
        }
        #expect(ceiling.excess(try pbkdf2(2_400_000)) == nil)
        #expect(ceiling.excess(try pbkdf2(2_400_001)) != nil)
        let bcrypt = { (cost: Int) in HashCost(scheme: Bcrypt.name, work: cost, unit: "cost") }
        #expect(ceiling.excess(bcrypt(14)) == nil && ceiling.excess(bcrypt(15)) != nil)
        let argon2 = { (m: Int, t: Int) throws -> HashCost in
            try Argon2(parsing: "$argon2id$v=19$m=\(m),t=\(t),p=4$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA").cost
        }
        #expect(ceiling.excess(try argon2(65536, 3)) == nil, "argon2-cffi's defaults")
        #expect(ceiling.excess(try argon2(65536, 13)) != nil)
        #expect(ceiling.excess(HashCost(scheme: Yescrypt.name, work: 1 << 20, unit: "N", memory: 256 << 20)) != nil)
    }

    @Test("a configured ceiling authd's own parameters do not fit under is refused when the hasher is made")
    func ownParametersFit() {
        #expect(throws: CryptoError.self) {
            _ = try PasswordHasher(parameters: .default, ceiling: HashCostCeiling(memory: 16 << 20))
        }
        #expect(throws: Never.self) { _ = try PasswordHasher(parameters: .default) }
    }
}
