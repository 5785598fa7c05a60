import AuthCrypto
import AuthTestSupport
import Testing

/// werkzeug's hashes as Python's hashlib makes them (`ImportedHashVectors.werkzeug`).
@Suite("imported password hashes: werkzeug pbkdf2 and scrypt")
struct ImportedHashTests {
    static let password = Array("correct horse battery".utf8)
    static let vectors = ImportedHashVectors.werkzeug

    let hasher = try! PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))

    @Test("the right password matches, a wrong one does not, and each needs a rehash", arguments: vectors)
    func verifies(_ stored: String) throws {
        #expect(try hasher.verify(Self.password, against: stored))
        #expect(try !hasher.verify(Array("correct horse batterz".utf8), against: stored))
        #expect(hasher.needsRehash(stored))
        #expect(
            ImportedHash.scheme(of: stored)?.name
                == (stored.hasPrefix("scrypt:") ? "werkzeug-scrypt" : "werkzeug-pbkdf2"))
    }

    @Test(
        "malformed or out-of-bounds werkzeug strings are refused as malformed",
        arguments: [
            "pbkdf2:sha256:1000$NaCl4salt$7209CE2EA3C9C41E49D53858C54C309A768C24A375E62AC7A368AFD686CD6C8D",
            "pbkdf2:sha256:1000$NaCl4salt$7209ce2e", "pbkdf2:sha256:0$s$" + String(repeating: "0", count: 64),
            "pbkdf2:sha256:01000$s$" + String(repeating: "0", count: 64),
            "pbkdf2:sha256:99999999$s$" + String(repeating: "0", count: 64),
            "pbkdf2:md5:1000$s$" + String(repeating: "0", count: 32),
            "pbkdf2:sha256$s$" + String(repeating: "0", count: 64),
            "pbkdf2:sha256:1000$$" + String(repeating: "0", count: 64),
            "pbkdf2:sha256:1000$s$" + String(repeating: "0", count: 63) + "g",
            "scrypt:1000:8:1$s$" + String(repeating: "0", count: 128),
            "scrypt:2097152:8:1$s$" + String(repeating: "0", count: 128),
            "scrypt:1024:64:1$s$" + String(repeating: "0", count: 128),
            "scrypt:1024:8$s$" + String(repeating: "0", count: 128),
            "scrypt:1024:8:1$s$" + String(repeating: "0", count: 64), "md5$s$abc", "",
        ])
    func malformed(_ stored: String) {
        #expect(throws: CryptoError.self) { try hasher.verify(Self.password, against: stored) }
    }

    @Test("checking an imported hash cheaper than authd's own takes as long as authd's own")
    func padded() throws {
        let hasher = try PasswordHasher(parameters: .init(logN: 13, r: 8, p: 1))
        let own = try hasher.unmatchableHash()
        var native = Duration.zero
        for _ in 0..<5 {
            let start = ContinuousClock.now
            _ = try hasher.verify(Self.password, against: own)
            native += ContinuousClock.now - start
        }
        let cheap = Self.vectors[1]  // 1,000 iterations: far less work than scrypt at N=2^13
        let start = ContinuousClock.now
        _ = try hasher.verify(Self.password, against: cheap)
        let imported = ContinuousClock.now - start
        #expect(imported >= native / 5 * 7 / 10, "imported \(imported), authd's own \(native / 5)")
    }
}
