internal import COpenSSL

/// A password hash made by another system, which authd verifies but never writes (README, "Moving
/// to authd"): the first login that matches replaces it with authd's own scrypt PHC string. A
/// scheme is a small type behind one protocol, found by its prefix.
public protocol ImportedHashScheme: Sendable {
    /// For logs, metrics and listings (`werkzeug-pbkdf2`, `bcrypt`, …), as `users.password_scheme`
    /// names it (sql/0010).
    static var name: String { get }
    /// Whether `stored` is written in this scheme (its prefix); parsing may still refuse it.
    static func claims(_ stored: String) -> Bool
    /// Throws `malformedHash` for a string of this scheme that is broken or outside the bounds
    /// authd accepts (so a stored hash cannot ask for unbounded work).
    init(parsing stored: String) throws(CryptoError)
    func verify(_ password: [UInt8]) throws(CryptoError) -> Bool
    /// The cost the string asks for, in the scheme's own unit, compared with
    /// `ImportedHashFloor`: pbkdf2 iterations, scrypt and yescrypt N, bcrypt's cost, sha-crypt
    /// rounds, argon2 memory (KiB) × passes.
    var workFactor: Int { get }
    /// What `HashCostCeiling` bounds: by default `workFactor` under the scheme's name, no memory.
    var cost: HashCost { get }
}

extension ImportedHashScheme {
    public var cost: HashCost { HashCost(scheme: Self.name, work: workFactor, unit: "work factor") }
}

/// The weakest imported hash a login may still be checked against, per scheme
/// (`password.imported_floor`): a hash below it refuses the login as a wrong password would, and
/// the log tells the administrator to reset that account's password.
public struct ImportedHashFloor: Hashable, Sendable {
    /// Minimum `workFactor` by scheme name.
    public var minimums: [String: Int]

    public init(_ minimums: [String: Int] = [:]) { self.minimums = minimums }

    /// Why `hash` is below the floor, nil when it is not.
    func shortfall(of hash: any ImportedHashScheme) -> String? {
        let name = type(of: hash).name
        guard let minimum = minimums[name], hash.workFactor < minimum else { return nil }
        return "the stored \(name) hash has work factor \(hash.workFactor), below password.imported_floor's \(minimum)"
    }
}

/// The schemes authd knows, tried in order.
public enum ImportedHash {
    public static let schemes: [any ImportedHashScheme.Type] = [
        WerkzeugPBKDF2.self, WerkzeugScrypt.self, Bcrypt.self, SHACrypt.self, Yescrypt.self, Argon2.self,
    ]

    /// Every scheme name a stored hash can carry: authd's own first, then the imported ones. These
    /// are the tags sql/0010 stores in `users.password_scheme`.
    public static let names = [PasswordHasher.schemeName] + schemes.map { $0.name }

    /// The name of the scheme `stored` is written in (authd's own or an imported one's), nil for
    /// a format authd cannot verify.
    public static func name(of stored: String) -> String? {
        stored.hasPrefix("$scrypt$") ? PasswordHasher.schemeName : scheme(of: stored)?.name
    }

    /// The scheme `stored` is written in, nil when none claims it.
    public static func scheme(of stored: String) -> (any ImportedHashScheme.Type)? {
        schemes.first { $0.claims(stored) }
    }

    /// Throws `malformedHash` when no scheme claims `stored` or its scheme refuses it.
    public static func parse(_ stored: String) throws(CryptoError) -> any ImportedHashScheme {
        guard let scheme = scheme(of: stored) else {
            throw CryptoError(.malformedHash, "not a password hash format authd knows")
        }
        return try scheme.init(parsing: stored)
    }

    /// `method$salt$hex`, werkzeug's layout: the method's `:`-separated fields, the salt as text
    /// (used as its UTF-8 bytes) and the digest in lower-case hex of `digestLength` bytes.
    static func werkzeugParts(_ stored: String, digestLength: Int) throws(CryptoError)
        -> (fields: [Substring], salt: [UInt8], digest: [UInt8])
    {
        let parts = stored.split(separator: "$", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty, parts[1].utf8.count <= 256,
            parts[2].utf8.count == digestLength * 2,
            parts[2].utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
            let digest = Hex.decode(parts[2])
        else { throw CryptoError(.malformedHash, "not a werkzeug method$salt$hash string") }
        return (parts[0].split(separator: ":", omittingEmptySubsequences: false), Array(parts[1].utf8), digest)
    }

    /// A decimal in `range`, without sign or leading zeros.
    static func number(_ field: Substring, in range: ClosedRange<Int>) -> Int? {
        guard let first = field.utf8.first, first != UInt8(ascii: "0"), field.utf8.count <= 9,
            field.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = Int(field), range.contains(value)
        else { return nil }
        return value
    }
}

/// werkzeug's `pbkdf2:sha256:600000$salt$hex` (also `sha512`, and `sha1` from old releases):
/// PBKDF2-HMAC with the salt's text as bytes, the digest as long as the hash function's output.
public struct WerkzeugPBKDF2: ImportedHashScheme {
    public static let name = "werkzeug-pbkdf2"
    public let function: HashFunction
    public let iterations: Int
    let salt: [UInt8]
    let digest: [UInt8]
    public var workFactor: Int { iterations }

    public static func claims(_ stored: String) -> Bool { stored.hasPrefix("pbkdf2:") }

    public init(parsing stored: String) throws(CryptoError) {
        let function: HashFunction
        switch stored.split(separator: ":", maxSplits: 2).dropFirst().first {
        case "sha1": function = .sha1
        case "sha256": function = .sha256
        case "sha512": function = .sha512
        default: throw CryptoError(.malformedHash, "pbkdf2 with sha1, sha256 or sha512 only")
        }
        let (fields, salt, digest) = try ImportedHash.werkzeugParts(stored, digestLength: function.length)
        guard fields.count == 3, let iterations = ImportedHash.number(fields[2], in: 1...10_000_000) else {
            throw CryptoError(.malformedHash, "pbkdf2 needs 1 to 10,000,000 iterations")
        }
        self.function = function
        self.iterations = iterations
        self.salt = salt
        self.digest = digest
    }

    public func verify(_ password: [UInt8]) throws(CryptoError) -> Bool {
        let candidate = try PBKDF2.derive(
            function, password: password, salt: salt, iterations: iterations, length: digest.count)
        return ConstantTime.equals(candidate, digest)
    }
}

/// werkzeug's default since 3.0, `scrypt:32768:8:1$salt$hex`: N, r, p, the salt's text as bytes,
/// a 64-byte digest.
public struct WerkzeugScrypt: ImportedHashScheme {
    public static let name = "werkzeug-scrypt"
    public let parameters: ScryptParameters
    let salt: [UInt8]
    let digest: [UInt8]
    public var workFactor: Int { 1 << parameters.logN }
    public var cost: HashCost { .scrypt(parameters, scheme: Self.name) }

    public static func claims(_ stored: String) -> Bool { stored.hasPrefix("scrypt:") }

    public init(parsing stored: String) throws(CryptoError) {
        let (fields, salt, digest) = try ImportedHash.werkzeugParts(stored, digestLength: 64)
        guard fields.count == 4, let n = ImportedHash.number(fields[1], in: 2...(1 << 20)), n & (n - 1) == 0,
            let r = ImportedHash.number(fields[2], in: 1...32), let p = ImportedHash.number(fields[3], in: 1...16)
        else { throw CryptoError(.malformedHash, "scrypt needs N a power of two up to 2^20, r 1-32, p 1-16") }
        parameters = ScryptParameters(logN: n.trailingZeroBitCount, r: r, p: p)
        self.salt = salt
        self.digest = digest
    }

    public func verify(_ password: [UInt8]) throws(CryptoError) -> Bool {
        let candidate = try Scrypt.derive(password: password, salt: salt, parameters: parameters, length: 64)
        return ConstantTime.equals(candidate, digest)
    }
}

public enum PBKDF2 {
    /// PBKDF2-HMAC (RFC 8018) through OpenSSL.
    public static func derive(
        _ function: HashFunction, password: [UInt8], salt: [UInt8], iterations: Int, length: Int
    ) throws(CryptoError) -> [UInt8] {
        guard (1...10_000_000).contains(iterations), (1...1024).contains(length) else {
            throw CryptoError(.invalidParameters, "pbkdf2 parameters out of range")
        }
        var out = [UInt8](repeating: 0, count: length)
        let ok = password.withUnsafeBufferPointer { pw in
            salt.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    pw.withMemoryRebound(to: CChar.self) { pwChars in
                        PKCS5_PBKDF2_HMAC(
                            pwChars.baseAddress, Int32(pw.count), s.baseAddress, Int32(s.count), Int32(iterations),
                            function.evp, Int32(length), o.baseAddress)
                    }
                }
            }
        }
        guard ok == 1 else { throw CryptoError(.openSSL, "PBKDF2 failed") }
        return out
    }
}

extension HashFunction {
    /// Output bytes.
    var length: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        case .sha512: 64
        }
    }
}
