import AuthCrypto
import Testing

func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var iterator = text.filter { !$0.isWhitespace }.makeIterator()
    while let high = iterator.next(), let low = iterator.next() {
        bytes.append(UInt8(String([high, low]), radix: 16)!)
    }
    return bytes
}

@Suite("scrypt and PHC password hashes")
struct ScryptTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let password: String
        let salt: String
        let parameters: ScryptParameters
        let expected: String
        var testDescription: String { "P=\"\(password)\" S=\"\(salt)\" \(parameters)" }
    }

    /// RFC 7914 §12 (the fourth vector needs 1 GiB and is left out).
    static let vectors = [
        Vector(
            password: "", salt: "", parameters: .init(logN: 4, r: 1, p: 1),
            expected: """
                77 d6 57 62 38 65 7b 20 3b 19 ca 42 c1 8a 04 97 f1 6b 48 44 e3 07 4a e8 df df fa 3f ed e2 14 42
                fc d0 06 9d ed 09 48 f8 32 6a 75 3a 0f c8 1f 17 e8 d3 e0 fb 2e 0d 36 28 cf 35 e2 0c 38 d1 89 06
                """),
        Vector(
            password: "password", salt: "NaCl", parameters: .init(logN: 10, r: 8, p: 16),
            expected: """
                fd ba be 1c 9d 34 72 00 78 56 e7 19 0d 01 e9 fe 7c 6a d7 cb c8 23 78 30 e7 73 76 63 4b 37 31 62
                2e af 30 d9 2e 22 a3 88 6f f1 09 27 9d 98 30 da c7 27 af b9 4a 83 ee 6d 83 60 cb df a2 cc 06 40
                """),
        Vector(
            password: "pleaseletmein", salt: "SodiumChloride", parameters: .init(logN: 14, r: 8, p: 1),
            expected: """
                70 23 bd cb 3a fd 73 48 46 1c 06 cd 81 fd 38 eb fd a8 fb ba 90 4f 8e 3e a9 b5 43 f6 54 5d a1 f2
                d5 43 29 55 61 3f 0f cf 62 d4 97 05 24 2a 9a f9 e6 1e 85 dc 0d 65 1e 40 df cf 01 7b 45 57 58 87
                """),
    ]

    @Test("RFC 7914 test vectors", arguments: vectors)
    func rfcVectors(_ vector: Vector) throws {
        let derived = try Scrypt.derive(
            password: Array(vector.password.utf8), salt: Array(vector.salt.utf8), parameters: vector.parameters,
            length: 64)
        #expect(derived == hex(vector.expected))
    }

    @Test("a PHC string round-trips through parse and print")
    func phcRoundTrip() throws {
        let hasher = try PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
        let stored = try hasher.hash(Array("correct horse".utf8))
        #expect(stored.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        let parsed = try PHCString(parsing: stored)
        #expect(parsed.description == stored)
        #expect(parsed.salt.count == 16)
        #expect(parsed.hash.count == 32)
    }

    @Test(
        "malformed PHC strings are refused",
        arguments: [
            "", "scrypt", "$scrypt$", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=10,r=8$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$r=8,ln=10,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=010,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=-1,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=99,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=10,r=0,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0=$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=10,r=8,p=1$c2Fs$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
            "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA$extra",
            "$scrypt$ln=10,r=8,p=1$c2FsdHNh bHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFza_",
        ])
    func malformedPHC(_ text: String) {
        #expect(throws: CryptoError.self) { try PHCString(parsing: text) }
    }

    @Test("verify accepts the password and refuses others")
    func verify() throws {
        let hasher = try PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
        let stored = try hasher.hash(Array("correct horse".utf8))
        #expect(try hasher.verify(Array("correct horse".utf8), against: stored))
        #expect(try !hasher.verify(Array("correct horsE".utf8), against: stored))
        #expect(try !hasher.verify([], against: stored))
        #expect(try hasher.hash(Array("correct horse".utf8)) != stored, "salts are random")
    }

    @Test("a hash with other parameters needs re-hashing")
    func needsRehash() throws {
        let old = try PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
        let current = try PasswordHasher(parameters: .init(logN: 11, r: 8, p: 1))
        let stored = try old.hash(Array("pw".utf8))
        #expect(current.needsRehash(stored))
        #expect(!old.needsRehash(stored))
        #expect(try current.verify(Array("pw".utf8), against: stored), "old hashes still verify")
        #expect(current.needsRehash("garbage"))
    }

    @Test("the default cost is OWASP's ln=15,r=8,p=3 and verifies")
    func defaultCost() throws {
        let hasher = try PasswordHasher()
        let stored = try hasher.hash(Array("a real password".utf8))
        #expect(stored.hasPrefix("$scrypt$ln=15,r=8,p=3$"))
        #expect(try hasher.verify(Array("a real password".utf8), against: stored))
    }

    @Test("the unmatchable hash has current parameters and matches nothing")
    func unmatchable() throws {
        let hasher = try PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
        let dummy = try hasher.unmatchableHash()
        #expect(try PHCString(parsing: dummy).parameters == hasher.parameters)
        #expect(try !hasher.verify([], against: dummy))
    }

    @Test("out-of-range parameters are refused")
    func parameterBounds() {
        #expect(throws: CryptoError.self) { try PasswordHasher(parameters: .init(logN: 0, r: 8, p: 1)) }
        #expect(throws: CryptoError.self) { try PasswordHasher(parameters: .init(logN: 30, r: 8, p: 1)) }
        #expect(throws: CryptoError.self) { try PasswordHasher(parameters: .init(logN: 10, r: 8, p: 0)) }
    }
}
