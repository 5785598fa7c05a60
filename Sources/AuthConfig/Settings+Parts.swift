import AuthCore
import AuthCrypto
import AuthHTTP
import AuthHookServers
import AuthLineProtocol
import AuthOutbound
public import Configuration
import Logging
import SystemPackage

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Settings.Database {
    /// Only the database settings: what `authctl` needs, without the JWT secret.
    public init(_ config: ConfigReader) throws {
        guard let url = config.string(forKey: "database.url", isSecret: true), !url.isEmpty else {
            throw ConfigurationError("database.url (AUTHD_DATABASE_URL) is required")
        }
        self.init(url: Settings.libpqURL(url))
        let poolTimeout = config.double(
            forKey: "database.pool_timeout_seconds", default: Double(Settings.seconds(self.poolTimeout)))
        guard poolTimeout > 0, poolTimeout <= 60 else {
            throw ConfigurationError("database.pool_timeout_seconds must be above 0 and at most 60")
        }
        self.poolTimeout = .milliseconds(Int64(poolTimeout * 1000))
        maxConnections = config.int(forKey: "database.max_connections", default: maxConnections)
        migrateOnStart = config.bool(forKey: "database.migrate_on_start", default: migrateOnStart)
        migrationsPath = config.string(forKey: "database.migrations_path", default: migrationsPath)
        listenURL = config.string(forKey: "database.listen_url", isSecret: true).flatMap {
            $0.isEmpty ? nil : Settings.libpqURL($0)
        }
    }
}

extension Settings.Passwords {
    /// Only the password settings: what `authctl user create` needs, without the JWT secret.
    public init(_ config: ConfigReader) throws {
        self.init()
        scrypt = ScryptParameters(
            logN: config.int(forKey: "password.scrypt.ln", default: scrypt.logN),
            r: config.int(forKey: "password.scrypt.r", default: scrypt.r),
            p: config.int(forKey: "password.scrypt.p", default: scrypt.p))
        minimumLength = config.int(forKey: "password.min_length", default: minimumLength)
        hashing = HashingPool.Configuration(
            threads: config.int(forKey: "password.hashing_threads"),
            queueLimit: config.int(forKey: "password.hashing_queue", default: hashing.queueLimit))
        commonPasswords = try Self.commonPasswords(
            path: config.string(forKey: "password.common_list", default: Self.commonListPath))
        do {
            _ = try scrypt.validated()
        } catch {
            throw ConfigurationError("password.scrypt: \(error.message)")
        }
        // One key per scheme, its name with `_` for `-` (environment variables cannot hold `-`).
        for scheme in ImportedHash.schemes {
            let key = "password.imported_floor.\(scheme.name.replacingOccurrences(of: "-", with: "_"))"
            guard let minimum = config.int(forKey: ConfigKey(key)) else { continue }
            guard minimum > 0 else { throw ConfigurationError("\(key) must be a positive work factor") }
            importedFloor.minimums[scheme.name] = minimum
        }
        try loadCeiling(config)
        guard (1...1024).contains(minimumLength) else {
            throw ConfigurationError("password.min_length must be between 1 and 1024")
        }
        breached = try Self.breached(config)
    }

    /// `password.breached` (`off`, `api` or `directory`), `password.breached_url`,
    /// `password.breached_directory`, `password.breached_timeout_ms`, `password.breached_fail`
    /// (`open` or `closed`) and `password.breached_min_count`.
    static func breached(_ config: ConfigReader) throws -> BreachedPasswords? {
        let source: any PasswordRangeSource
        switch config.string(forKey: "password.breached", default: "off") {
        case "off": return nil
        case "api":
            let url = config.string(forKey: "password.breached_url", default: "https://api.pwnedpasswords.com/range/")
            let timeout = config.int(forKey: "password.breached_timeout_ms", default: 2000)
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw ConfigurationError("password.breached_url must be an http(s) URL the prefix is appended to")
            }
            guard (100...30_000).contains(timeout) else {
                throw ConfigurationError("password.breached_timeout_ms must be 100 to 30000")
            }
            source = PwnedPasswordsAPI(url: url, timeout: .milliseconds(timeout))
        case "directory":
            let directory = config.string(forKey: "password.breached_directory", default: "")
            // With the slash, only a directory exists (a file's path then fails with ENOTDIR).
            guard !directory.isEmpty, FileManager.default.fileExists(atPath: directory + "/") else {
                throw ConfigurationError("password.breached_directory must name the directory of range files")
            }
            source = PwnedPasswordsDirectory(directory: directory)
        default: throw ConfigurationError("password.breached must be off, api or directory")
        }
        let fail = config.string(forKey: "password.breached_fail", default: "open")
        guard fail == "open" || fail == "closed" else {
            throw ConfigurationError("password.breached_fail must be open or closed")
        }
        let minimum = config.int(forKey: "password.breached_min_count", default: 1)
        guard minimum >= 1 else { throw ConfigurationError("password.breached_min_count must be at least 1") }
        return BreachedPasswords(
            source: source, failOpen: fail == "open", minimumCount: minimum, logger: Logger(label: "authd.password"))
    }
}

extension Settings.Passwords {
    /// `password.imported_ceiling.memory_mib` (1-1024) and one work maximum per key of
    /// `HashCostCeiling.defaultMaximums` (`scrypt`, `werkzeug_pbkdf2`, `bcrypt`, `sha_crypt`,
    /// `argon2`), each positive; authd's own `password.scrypt` must fit under them.
    mutating func loadCeiling(_ config: ConfigReader) throws {
        if let mib = config.int(forKey: "password.imported_ceiling.memory_mib") {
            guard (1...1024).contains(mib) else {
                throw ConfigurationError("password.imported_ceiling.memory_mib must be 1 to 1024")
            }
            hashCeiling.memory = UInt64(mib) << 20
        }
        for name in HashCostCeiling.defaultMaximums.keys {
            let key = "password.imported_ceiling.\(name.replacingOccurrences(of: "-", with: "_"))"
            guard let maximum = config.int(forKey: ConfigKey(key)) else { continue }
            guard maximum > 0 else { throw ConfigurationError("\(key) must be a positive work factor") }
            hashCeiling.maximums[name] = maximum
        }
        do {
            _ = try PasswordHasher(parameters: scrypt, ceiling: hashCeiling)
        } catch {
            throw ConfigurationError(error.message)
        }
    }

    /// `password.common_list`'s default: the list shipped in data/ (relative to the working directory).
    public static let commonListPath = "data/common-passwords.txt"

    /// The list at `path` (relative to the working directory), one password per line; "" for none.
    static func commonPasswords(path: String) throws -> CommonPasswords {
        guard !path.isEmpty else { return .none }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigurationError(
                "password.common_list: cannot read \(path) (a UTF-8 file, one password per line; \"\" for no list)")
        }
        let list = CommonPasswords(list: text)
        guard list.count > 0 else { throw ConfigurationError("password.common_list: \(path) holds no passwords") }
        return list
    }
}

extension Settings {
    /// Every stack file in `stacksDirectory`, keyed by service (the file name). Names must be
    /// 1–32 of `[a-z0-9_-]`; `http` (POST /login) is required.
    public func stackFiles() throws -> [String: (file: String, text: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: stacksDirectory) else {
            throw ConfigurationError("cannot read stacks directory \(stacksDirectory)")
        }
        var files: [String: (file: String, text: String)] = [:]
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = stacksDirectory + "/" + name
            guard Identity.isServiceName(name) else {
                throw ConfigurationError("\(path): stack files are named after their service: 1-32 of [a-z0-9_-]")
            }
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else { throw ConfigurationError("\(path): cannot read") }
            files[name] = (path, text)
        }
        guard files["http"] != nil else {
            throw ConfigurationError("\(stacksDirectory)/http is missing: POST /login runs the http stack")
        }
        return files
    }
}
