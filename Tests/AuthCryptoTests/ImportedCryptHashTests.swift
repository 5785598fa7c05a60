import AuthCrypto
import AuthTestSupport
import Testing

/// Hashes made by real tools (`ImportedHashVectors.crypt`); scripts/interop/legacy-hashes.sh runs
/// the tools themselves.
@Suite("imported password hashes: bcrypt, sha-crypt, yescrypt (libxcrypt) and argon2 (libargon2)")
struct ImportedCryptHashTests {
    static let password = Array("correct horse".utf8)
    static let vectors = ImportedHashVectors.crypt

    let hasher = try! PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))

    @Test("the right password matches, a wrong one or one with a NUL does not, each needs a rehash", arguments: vectors)
    func verifies(_ scheme: String, _ stored: String) throws {
        #expect(ImportedHash.scheme(of: stored)?.name == scheme)
        #expect(try hasher.verify(Self.password, against: stored))
        #expect(try !hasher.verify(Array("correct horsf".utf8), against: stored))
        #expect(try !hasher.verify(Self.password + [0], against: stored))
        #expect(hasher.needsRehash(stored))
    }

    @Test("one changed character of the hash is a mismatch, not a match", arguments: vectors)
    func altered(_ scheme: String, _ stored: String) throws {
        var bytes = Array(stored.utf8)
        let last = bytes.count - 2
        bytes[last] = bytes[last] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        #expect(try !hasher.verify(Self.password, against: String(decoding: bytes, as: UTF8.self)))
    }

    @Test(
        "malformed or too costly strings are refused as malformed before libxcrypt or libargon2 runs",
        arguments: [
            "$2b$05$FtPS553zeVe.0pIQN5f4POiib8zjASgtJSr0zq0pWcfGhGFTvfYH",  // one short
            "$2b$17$FtPS553zeVe.0pIQN5f4POiib8zjASgtJSr0zq0pWcfGhGFTvfYHS",  // cost 17
            "$2b$03$FtPS553zeVe.0pIQN5f4POiib8zjASgtJSr0zq0pWcfGhGFTvfYHS",
            "$2b$5$$FtPS553zeVe.0pIQN5f4POiib8zjASgtJSr0zq0pWcfGhGFTvfYHS",
            "$2b$05$FtPS553zeVe.0pIQN5f4POiib8zjASgtJSr0zq0pWcfGhGFTvf+HS",
            "$6$rneCGQAgDS93fanv$9qofl3Jf", "$6$rounds=2000000$salt$" + String(repeating: "a", count: 86),
            "$6$rounds=0$salt$" + String(repeating: "a", count: 86),
            "$6$saltsaltsaltsaltX$" + String(repeating: "a", count: 86),
            "$5$salt$" + String(repeating: "a", count: 86), "$6$salt$extra$" + String(repeating: "a", count: 86),
            "$y$jDT$NBpvcWCVpZXwjUy5Y.VFP1$aKpbBrNrL16Jed0PHPFgsL/2omMVCpteDyI08zIWun0",  // N=2^16, r=32: 256 MiB
            "$y$j9T$NBpvcWCVpZXwjUy5Y.VFP1$aKpbBrNrL16Jed0PHPFg",
            "$y$j9T.$NBpvcWCVpZXwjUy5Y.VFP1$aKpbBrNrL16Jed0PHPFgsL/2omMVCpteDyI08zIWun0",
            "$y$$NBpvcWCVpZXwjUy5Y.VFP1$aKpbBrNrL16Jed0PHPFgsL/2omMVCpteDyI08zIWun0",
            "$argon2id$v=19$m=262144,t=2,p=2$rITx0T8Zjy0eD0yo66Qkeg$/dqIdgqn3LBdjpLvCYGztMtgx3LJBthSZXKb6UGk1P0",
            "$argon2id$v=19$m=1024,t=17,p=2$rITx0T8Zjy0eD0yo66Qkeg$/dqIdgqn3LBdjpLvCYGztMtgx3LJBthSZXKb6UGk1P0",
            "$argon2id$v=19$m=1024,t=2,p=2,p=2$rITx0T8Zjy0eD0yo66Qkeg$/dqIdgqn3LBdjpLvCYGztMtgx3LJBthSZXKb6UGk1P0",
            "$argon2id$v=19$m=1024,t=2$rITx0T8Zjy0eD0yo66Qkeg$/dqIdgqn3LBdjpLvCYGztMtgx3LJBthSZXKb6UGk1P0",
            "$argon2id$v=19$m=1024,t=2,p=2$rITx0T8Zjy0eD0yo66Qkeg==$/dqIdgqn3LBdjpLvCYGztMtgx3LJBthSZXKb6UGk1P0",
            "$argon2id$v=19$m=1024,t=2,p=2$$/dqIdgqn3LBdjpLvCYGztMtgx3LJBthSZXKb6UGk1P0",
            "$argon2d$v=19$m=1024,t=2,p=2$rITx0T8Zjy0eD0yo66Qkeg$/dqIdgqn3LBdjpLvCYGztMtgx3LJBthSZXKb6UGk1P0",
            "$1$saltsalt$hashhashhashhashhashha",  // md5crypt: not accepted
        ])
    func malformed(_ stored: String) {
        #expect(throws: CryptoError.self) { try ImportedHash.parse(stored) }
        #expect(throws: CryptoError.self) { try hasher.verify(Self.password, against: stored) }
    }

    @Test("the cost each scheme reads from its string")
    func costs() throws {
        #expect(try (ImportedHash.parse(Self.vectors[3].1) as? Bcrypt)?.cost == 5)
        #expect(try (ImportedHash.parse(Self.vectors[2].1) as? SHACrypt)?.rounds == 10000)
        #expect(try (ImportedHash.parse(Self.vectors[1].1) as? SHACrypt)?.rounds == 5000)
        let yescrypt = try ImportedHash.parse(Self.vectors[0].1) as? Yescrypt
        #expect(yescrypt?.logN == 12 && yescrypt?.r == 32)
        let argon2 = try ImportedHash.parse(Self.vectors[6].1) as? Argon2
        #expect(argon2?.memoryKiB == 1024 && argon2?.iterations == 2 && argon2?.parallelism == 2)
    }
}
