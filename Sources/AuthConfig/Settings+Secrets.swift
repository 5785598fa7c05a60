import AuthCore
public import AuthCrypto
import AuthHTTP
import AuthHookServers
import AuthLineProtocol
public import Configuration
import SystemPackage

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Settings {
    /// The access token lifetime and the clock leeway allowed when checking it, in seconds.
    public static func accessTokenTimes(_ config: ConfigReader) throws -> (lifetime: Int64, leeway: Int64) {
        let lifetime = Int64(
            config.int(forKey: "jwt.access_token_ttl_seconds", default: Int(Tokens.defaultAccessTokenLifetime)))
        let leeway = Int64(config.int(forKey: "jwt.leeway_seconds", default: Int(Tokens.defaultLeeway)))
        guard lifetime > 0, leeway >= 0 else {
            throw ConfigurationError(
                "jwt.access_token_ttl_seconds must be positive and jwt.leeway_seconds not negative")
        }
        return (lifetime, leeway)
    }

    /// SQLAlchemy URLs (`postgresql+psycopg2://…`) name a driver libpq does not know; drop it so the
    /// Flask seed's SQLALCHEMY_DATABASE_URI works unchanged.
    static func libpqURL(_ url: String) -> String {
        guard url.hasPrefix("postgresql+") || url.hasPrefix("postgres+"), let scheme = url.range(of: "://") else {
            return url
        }
        return "postgresql" + url[scheme.lowerBound...]
    }

    /// The signing key from `jwt.secret_file` or `jwt.secret`, plus `jwt.previous_secret_files`
    /// that still verify during a rotation. Every secret must pass `SecretPolicy`.
    public static func keyring(_ config: ConfigReader) throws -> JWTKeyring {
        let signing: [UInt8]
        if let file = config.string(forKey: "jwt.secret_file"), !file.isEmpty {
            signing = try readSecret(file)
        } else {
            signing = Array((config.string(forKey: "jwt.secret", isSecret: true) ?? "").utf8)
        }
        try SecretPolicy.validate(signing)
        let previous = try config.stringArray(forKey: "jwt.previous_secret_files", default: []).map { file in
            let secret = try readSecret(file)
            try SecretPolicy.validate(secret)
            return secret
        }
        let pairs = try keyPairs(config)
        let idTokenFile = config.string(forKey: "oidc.id_token_key_file") ?? ""
        let idTokenKey = idTokenFile.isEmpty ? nil : try readPrivateKey(idTokenFile, key: "oidc.id_token_key_file")
        do {
            return try JWTKeyring(
                signingKey: JWTKey(id: JWTKey.derivedID(for: signing), secret: signing),
                verificationKeys: previous.map { try JWTKey(id: JWTKey.derivedID(for: $0), secret: $0) },
                signingPair: pairs.signing, previousPairs: pairs.previous, idTokenKey: idTokenKey)
        } catch {
            throw ConfigurationError("JWT keys: \(error)")
        }
    }

    /// `jwt.algorithm` (HS256 by default, with the secret) and, for EdDSA, ES256 or RS256, the
    /// private key in `jwt.signing_key_file`; `jwt.previous_key_files` still verify (and are
    /// published) after a rotation or a switch back to HS256.
    static func keyPairs(_ config: ConfigReader) throws -> (signing: SigningKey?, previous: [SigningKey]) {
        let name = config.string(forKey: "jwt.algorithm", default: "HS256")
        guard let algorithm = JWSAlgorithm(rawValue: name) else {
            throw ConfigurationError("jwt.algorithm must be HS256, EdDSA, ES256 or RS256, not \(name)")
        }
        let previous = try config.stringArray(forKey: "jwt.previous_key_files", default: []).map {
            try readPrivateKey($0, key: "jwt.previous_key_files")
        }
        let file = config.string(forKey: "jwt.signing_key_file") ?? ""
        guard algorithm != .hs256 else {
            guard file.isEmpty else {
                throw ConfigurationError("jwt.signing_key_file is set but jwt.algorithm is HS256: set jwt.algorithm")
            }
            return (nil, previous)
        }
        guard !file.isEmpty else {
            throw ConfigurationError("jwt.algorithm \(name) needs jwt.signing_key_file (authctl key generate)")
        }
        let signing = try readPrivateKey(file, key: "jwt.signing_key_file")
        guard signing.algorithm == algorithm else {
            throw ConfigurationError(
                "jwt.signing_key_file holds a \(signing.algorithm.rawValue) key but jwt.algorithm is \(name)")
        }
        return (signing, previous)
    }

    /// A private key file: PEM, unencrypted, and not readable or writable by others (mode 0600
    /// or 0640). The error names the file and the setting, never its contents.
    static func readPrivateKey(_ path: String, key: String) throws -> SigningKey {
        guard let data = FileManager.default.contents(atPath: path),
            let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
        else {
            throw ConfigurationError("\(key): cannot read \(path)")
        }
        guard mode & 0o007 == 0 else {
            throw ConfigurationError(
                "\(key): \(path) is accessible to other users (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        do {
            return try SigningKey(pem: String(decoding: data, as: UTF8.self))
        } catch {
            throw ConfigurationError("\(key): \(path): \(error.message)")
        }
    }

    /// `mfa.key_file` (or `mfa.key`) seals TOTP secrets; `mfa.previous_key_files` still open
    /// secrets sealed before a rotation. Without a key, MFA is off.
    static func mfa(_ config: ConfigReader, jwtSecret: JWTKeyring) throws -> MFA? {
        let current: [UInt8]
        if let file = config.string(forKey: "mfa.key_file"), !file.isEmpty {
            current = try readSecret(file)
        } else {
            current = Array((config.string(forKey: "mfa.key", isSecret: true) ?? "").utf8)
        }
        guard !current.isEmpty else { return nil }
        let previous = try config.stringArray(forKey: "mfa.previous_key_files", default: []).map(readSecret)
        for key in [current] + previous { try SecretPolicy.validate(key, name: "the MFA key") }
        guard SealingKeyring.sameMaterial(current, asSigningKeyOf: jwtSecret) == false else {
            throw ConfigurationError("the MFA key must differ from the JWT secret")
        }
        let defaults = MFAPolicy()
        let algorithm = HashFunction(
            rawValue: config.string(forKey: "mfa.algorithm", default: defaults.otp.algorithm.rawValue))
        guard let algorithm else {
            throw ConfigurationError("mfa.algorithm must be SHA1, SHA256 or SHA512")
        }
        let window = Int64(config.int(forKey: "mfa.window", default: Int(defaults.window)))
        let challengeLifetime = Int64(
            config.int(forKey: "mfa.challenge_ttl_seconds", default: Int(defaults.challengeLifetime)))
        guard (0...10).contains(window), challengeLifetime > 0 else {
            throw ConfigurationError("mfa.window must be 0 to 10 and mfa.challenge_ttl_seconds positive")
        }
        do {
            return MFA(
                keyring: try SealingKeyring(current: current, previous: previous),
                policy: MFAPolicy(
                    issuer: config.string(forKey: "mfa.issuer", default: defaults.issuer),
                    otp: try OneTimePassword(
                        algorithm: algorithm, digits: config.int(forKey: "mfa.digits", default: defaults.otp.digits),
                        period: Int64(
                            config.int(forKey: "mfa.period_seconds", default: Int(defaults.otp.period)))),
                    window: window, challengeLifetime: challengeLifetime))
        } catch {
            throw ConfigurationError("MFA settings: \(error.message)")
        }
    }

    /// A secret file's bytes without the trailing newline editors add.
    static func readSecret(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read the secret file \(path)")
        }
        var bytes = Array(data)
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        return bytes
    }
}
