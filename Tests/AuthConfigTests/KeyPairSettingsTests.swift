import AuthConfig
import AuthCrypto
import Foundation
import Testing

@Suite("configuration: jwt.algorithm and key pair files")
struct KeyPairSettingsTests {
    let base = ["AUTHD_DATABASE_URL": "host=127.0.0.1 dbname=authd", "AUTHD_JWT_SECRET": SettingsTests.goodSecret]

    func load(_ extra: [String: String]) async throws -> Settings {
        try await Settings.load(configFile: nil, environment: base.merging(extra) { $1 })
    }

    /// A PEM file of `key` with `mode`, removed by the caller.
    func write(_ key: SigningKey, mode: Int = 0o600) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("authd-key-\(UUID()).pem").path
        try key.privatePEM().write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func refusal(_ extra: [String: String], mentioning words: [String]) async {
        await #expect {
            try await load(extra)
        } throws: { error in
            words.allSatisfy { "\(error)".contains($0) } && !"\(error)".contains("PRIVATE KEY")
        }
    }

    @Test("HS256 by default; a key pair signs when jwt.algorithm names its algorithm, the previous ones verify")
    func keyPairs() async throws {
        #expect(try await load([:]).tokens.keyring.signingAlgorithm == .hs256)
        let current = try SigningKey.generate(.edDSA)
        let old = try SigningKey.generate(.es256)
        let (currentID, oldID) = (try current.thumbprint(), try old.thumbprint())
        let (currentPath, oldPath) = (try write(current), try write(old, mode: 0o640))
        defer { for path in [currentPath, oldPath] { try? FileManager.default.removeItem(atPath: path) } }
        let keyring = try await load([
            "AUTHD_JWT_ALGORITHM": "EdDSA", "AUTHD_JWT_SIGNING_KEY_FILE": currentPath,
            "AUTHD_JWT_PREVIOUS_KEY_FILES": oldPath,
        ]).tokens.keyring
        #expect(keyring.signingAlgorithm == .edDSA)
        #expect(keyring.pairs.map(\.id) == [currentID, oldID])
        let back = try await load(["AUTHD_JWT_PREVIOUS_KEY_FILES": currentPath]).tokens.keyring
        #expect(back.signingAlgorithm == .hs256 && back.pairs.map(\.id) == [currentID])
    }

    @Test("refused with a message naming the setting: unknown alg, missing or mismatched key, loose mode, not a key")
    func refusals() async throws {
        let key = try SigningKey.generate(.es256)
        let path = try write(key)
        let loose = try write(key, mode: 0o644)
        let garbage = FileManager.default.temporaryDirectory.appendingPathComponent("authd-key-\(UUID())").path
        try "-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n".write(
            toFile: garbage, atomically: true, encoding: .utf8)
        defer { for file in [path, loose, garbage] { try? FileManager.default.removeItem(atPath: file) } }
        await refusal(["AUTHD_JWT_ALGORITHM": "none"], mentioning: ["jwt.algorithm", "none"])
        await refusal(["AUTHD_JWT_ALGORITHM": "ES256"], mentioning: ["jwt.signing_key_file"])
        await refusal(
            ["AUTHD_JWT_ALGORITHM": "EdDSA", "AUTHD_JWT_SIGNING_KEY_FILE": path], mentioning: ["ES256", "EdDSA"])
        await refusal(["AUTHD_JWT_SIGNING_KEY_FILE": path], mentioning: ["jwt.algorithm"])
        await refusal(
            ["AUTHD_JWT_ALGORITHM": "ES256", "AUTHD_JWT_SIGNING_KEY_FILE": loose], mentioning: [loose, "644"])
        await refusal(
            ["AUTHD_JWT_ALGORITHM": "ES256", "AUTHD_JWT_SIGNING_KEY_FILE": garbage],
            mentioning: ["jwt.signing_key_file", garbage])
        await refusal(
            ["AUTHD_JWT_ALGORITHM": "ES256", "AUTHD_JWT_SIGNING_KEY_FILE": path + ".missing"],
            mentioning: ["cannot read"])
        await refusal(["AUTHD_JWT_PREVIOUS_KEY_FILES": loose], mentioning: ["jwt.previous_key_files"])
        #expect(
            try await load(["AUTHD_JWT_ALGORITHM": "ES256", "AUTHD_JWT_SIGNING_KEY_FILE": path]).tokens.keyring
                .signingAlgorithm == .es256)
    }

    @Test(
        "ID tokens: oidc.id_token_key_file's RSA key, or an RS256 signing pair; openid in oauth.scopes needs one; only RSA"
    )
    func idTokenKey() async throws {
        #expect(try await load([:]).tokens.keyring.idTokenPair == nil)
        await refusal(["AUTHD_OAUTH_SCOPES": "openid,profile"], mentioning: ["openid", "oidc.id_token_key_file"])
        let rsa = try SigningKey.generate(.rs256)
        let ec = try SigningKey.generate(.es256)
        let (rsaPath, ecPath) = (try write(rsa), try write(ec))
        defer { for path in [rsaPath, ecPath] { try? FileManager.default.removeItem(atPath: path) } }
        let own = try await load(["AUTHD_OAUTH_SCOPES": "openid,profile", "AUTHD_OIDC_ID_TOKEN_KEY_FILE": rsaPath])
        #expect(own.tokens.keyring.idTokenPair?.id == (try rsa.thumbprint()))
        #expect(own.tokens.keyring.signingAlgorithm == .hs256, "access tokens keep their algorithm")
        #expect(own.tokens.keyring.publicKeys.map { $0["kid"] } == [try rsa.thumbprint()])
        #expect(
            own.tokens.keyring.pair(id: try rsa.thumbprint(), algorithm: .rs256) == nil, "it verifies no access token")
        let shared = try await load([
            "AUTHD_OAUTH_SCOPES": "openid", "AUTHD_JWT_ALGORITHM": "RS256", "AUTHD_JWT_SIGNING_KEY_FILE": rsaPath,
        ])
        #expect(shared.tokens.keyring.idTokenPair?.id == (try rsa.thumbprint()))
        #expect(shared.tokens.keyring.publicKeys.count == 1)
        await refusal(["AUTHD_OIDC_ID_TOKEN_KEY_FILE": ecPath], mentioning: ["RSA"])
    }
}
