internal import CArgon2
internal import CXCrypt

#if canImport(Glibc)
    import Glibc
#endif

/// A hash in one of crypt(3)'s formats that libxcrypt verifies: `crypt_rn` recomputes the whole
/// string from the password and the stored setting, and the two are compared in constant time.
/// Each format checks its own layout and bounds its cost before libxcrypt sees it.
public protocol CryptScheme: ImportedHashScheme {
    var stored: String { get }
}

extension CryptScheme {
    public func verify(_ password: [UInt8]) throws(CryptoError) -> Bool {
        // crypt(3) takes a C string: a password with a NUL in it cannot be what was hashed.
        guard !password.contains(0) else { return false }
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            data.pointee = crypt_data()
            data.deallocate()
        }
        data.initialize(to: crypt_data())
        let phrase = password.map { CChar(bitPattern: $0) } + [0]
        guard let output = crypt_rn(phrase, stored, data, Int32(MemoryLayout<crypt_data>.size)) else {
            throw CryptoError(.malformedHash, "libxcrypt refused the stored \(Self.name) hash")
        }
        let computed = Array(UnsafeRawBufferPointer(start: output, count: strlen(output)))
        return ConstantTime.equals(computed, Array(stored.utf8))
    }
}

extension ImportedHash {
    /// crypt(3)'s base-64 alphabet, `./0-9A-Za-z`.
    static func isCryptBase64<S: Sequence<UInt8>>(_ text: S) -> Bool {
        text.allSatisfy { byte in
            byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/") || (0x30...0x39).contains(byte)
                || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        }
    }

    /// The position of `byte` in crypt(3)'s base-64 alphabet.
    static func cryptBase64Value(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "."): 0
        case UInt8(ascii: "/"): 1
        case 0x30...0x39: Int(byte) - 0x30 + 2
        case 0x41...0x5A: Int(byte) - 0x41 + 12
        case 0x61...0x7A: Int(byte) - 0x61 + 38
        default: nil
        }
    }

    /// The most memory one imported hash may ask for (yescrypt, argon2): 128 MiB.
    static let memoryLimit = 128 << 20
}

/// bcrypt, `$2b$12$` then 22 characters of salt and 31 of hash (also `$2a$` and `$2y$`); the cost
/// 4 to 16.
public struct Bcrypt: CryptScheme {
    public static let name = "bcrypt"
    public let stored: String
    public let cost: Int
    public var workFactor: Int { cost }

    public static func claims(_ stored: String) -> Bool {
        stored.hasPrefix("$2a$") || stored.hasPrefix("$2b$") || stored.hasPrefix("$2y$")
    }

    public init(parsing stored: String) throws(CryptoError) {
        let bytes = Array(stored.utf8)
        guard bytes.count == 60, bytes[6] == UInt8(ascii: "$"),
            let cost = ImportedHash.number(stored.dropFirst(4).prefix(2).trimmingLeadingZero, in: 4...16),
            ImportedHash.isCryptBase64(bytes[7...])
        else { throw CryptoError(.malformedHash, "bcrypt needs $2b$NN$ (cost 04-16) and 53 characters") }
        self.stored = stored
        self.cost = cost
    }
}

/// sha256crypt `$5$` and sha512crypt `$6$`: an optional `rounds=N$` (at most 1,000,000), a salt
/// of up to 16 characters and the hash (43 or 86 characters).
public struct SHACrypt: CryptScheme {
    public static let name = "sha-crypt"
    public let stored: String
    /// 256 or 512.
    public let bits: Int
    public let rounds: Int
    public var workFactor: Int { rounds }

    public static func claims(_ stored: String) -> Bool { stored.hasPrefix("$5$") || stored.hasPrefix("$6$") }

    public init(parsing stored: String) throws(CryptoError) {
        var fields = stored.split(separator: "$", omittingEmptySubsequences: false).dropFirst(2)
        let bits = stored.hasPrefix("$5$") ? 256 : 512
        var rounds = 5000
        if let first = fields.first, first.hasPrefix("rounds=") {
            guard let value = ImportedHash.number(first.dropFirst(7), in: 1...1_000_000) else {
                throw CryptoError(.malformedHash, "sha-crypt rounds must be 1 to 1,000,000")
            }
            rounds = value
            fields = fields.dropFirst()
        }
        guard fields.count == 2, let salt = fields.first, let hash = fields.last, salt.utf8.count <= 16,
            !salt.utf8.contains(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "\n") || $0 < 0x21 }),
            hash.utf8.count == (bits == 256 ? 43 : 86), ImportedHash.isCryptBase64(hash.utf8)
        else { throw CryptoError(.malformedHash, "not a $\(bits == 256 ? 5 : 6)$[rounds=N$]salt$hash string") }
        self.stored = stored
        self.bits = bits
        self.rounds = rounds
    }
}

/// yescrypt `$y$`, as libxcrypt and mkpasswd write it: flavour, N and r in three characters, a
/// salt and a 43-character hash. Other parameters (p, t, g) are refused, and N·r is bounded by
/// `ImportedHash.memoryLimit`.
public struct Yescrypt: CryptScheme {
    public static let name = "yescrypt"
    public let stored: String
    public let logN: Int
    public let r: Int
    public var workFactor: Int { 1 << logN }
    public var cost: HashCost {
        HashCost(scheme: Self.name, work: workFactor, unit: "N", memory: UInt64(128 * r) << UInt64(logN))
    }

    public static func claims(_ stored: String) -> Bool { stored.hasPrefix("$y$") }

    public init(parsing stored: String) throws(CryptoError) {
        let fields = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[2].utf8.count == 3, fields[2].utf8.first == UInt8(ascii: "j"),
            let n = ImportedHash.cryptBase64Value(fields[2].utf8.dropFirst().first!), n < 48,
            let r = ImportedHash.cryptBase64Value(fields[2].utf8.last!), r < 48,
            (1...64).contains(fields[3].utf8.count), ImportedHash.isCryptBase64(fields[3].utf8),
            fields[4].utf8.count == 43, ImportedHash.isCryptBase64(fields[4].utf8)
        else { throw CryptoError(.malformedHash, "not a $y$jNr$salt$hash yescrypt string") }
        guard n + 1 < 31, 128 * (r + 1) << (n + 1) <= ImportedHash.memoryLimit else {
            throw CryptoError(.malformedHash, "yescrypt parameters ask for more than 128 MiB")
        }
        self.stored = stored
        self.logN = n + 1
        self.r = r + 1
    }
}

/// argon2id and argon2i in the reference encoding, `$argon2id$v=19$m=65536,t=3,p=4$salt$hash`,
/// verified by libargon2 (which compares in constant time); memory at most
/// `ImportedHash.memoryLimit`, at most 16 passes and 16 lanes. The lanes are computed one after
/// the other on the calling thread (the hashing pool's): `argon2_verify` would start a thread per
/// lane, outside the pool's bound.
public struct Argon2: ImportedHashScheme {
    public static let name = "argon2"
    public let stored: String
    public let memoryKiB: Int
    public let iterations: Int
    public let parallelism: Int
    let type: Argon2_type
    let version: UInt32
    let salt: [UInt8]
    let digest: [UInt8]
    public var workFactor: Int { memoryKiB * iterations }
    public var cost: HashCost {
        HashCost(scheme: Self.name, work: workFactor, unit: "KiB·passes", memory: UInt64(memoryKiB) << 10)
    }

    public static func claims(_ stored: String) -> Bool {
        stored.hasPrefix("$argon2id$") || stored.hasPrefix("$argon2i$")
    }

    public init(parsing stored: String) throws(CryptoError) {
        var fields = stored.split(separator: "$", omittingEmptySubsequences: false).dropFirst(2)
        // No version field is version 1.0 (0x10), as libargon2 reads it.
        var version = UInt32(ARGON2_VERSION_10.rawValue)
        if fields.first == "v=19" || fields.first == "v=16" {
            if fields.first == "v=19" { version = UInt32(ARGON2_VERSION_13.rawValue) }
            fields = fields.dropFirst()
        }
        var parameters: [Substring: Int] = [:]
        for field in fields.first?.split(separator: ",") ?? [] {
            let pair = field.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, parameters[pair[0]] == nil else { parameters = [:]; break }
            parameters[pair[0]] = ImportedHash.number(pair[1], in: 1...(1 << 30))
        }
        guard fields.count == 3, parameters.count == 3, let m = parameters["m"], let t = parameters["t"],
            let p = parameters["p"], m >= 8 * p, m <= ImportedHash.memoryLimit >> 10, t <= 16, p <= 16,
            let salt = fields.dropFirst().first.flatMap({ Base64.standard.decode($0) }), (8...96).contains(salt.count),
            let digest = fields.last.flatMap({ Base64.standard.decode($0) }), (4...96).contains(digest.count)
        else {
            throw CryptoError(
                .malformedHash, "not a $argon2id$v=19$m=,t=,p=$salt$hash string within 128 MiB, 16 passes, 16 lanes")
        }
        self.stored = stored
        memoryKiB = m
        iterations = t
        parallelism = p
        type = stored.hasPrefix("$argon2id$") ? Argon2_id : Argon2_i
        self.version = version
        self.salt = salt
        self.digest = digest
    }

    public func verify(_ password: [UInt8]) throws(CryptoError) -> Bool {
        var password = password
        var salt = salt
        var out = [UInt8](repeating: 0, count: digest.count)
        defer {
            for index in out.indices { out[index] = 0 }
        }
        let status = password.withUnsafeMutableBufferPointer { pwd in
            salt.withUnsafeMutableBufferPointer { salt in
                out.withUnsafeMutableBufferPointer { out in
                    var context = argon2_context(
                        out: out.baseAddress, outlen: UInt32(out.count), pwd: pwd.baseAddress,
                        pwdlen: UInt32(pwd.count), salt: salt.baseAddress, saltlen: UInt32(salt.count), secret: nil,
                        secretlen: 0, ad: nil, adlen: 0, t_cost: UInt32(iterations), m_cost: UInt32(memoryKiB),
                        lanes: UInt32(parallelism), threads: 1, version: version, allocate_cbk: nil, free_cbk: nil,
                        flags: authd_argon2_default_flags())
                    // Compares the computed digest with the stored one in constant time.
                    return digest.withUnsafeBytes { expected in
                        argon2_verify_ctx(&context, expected.baseAddress?.assumingMemoryBound(to: CChar.self), type)
                    }
                }
            }
        }
        switch status {
        case ARGON2_OK.rawValue: return true
        case ARGON2_VERIFY_MISMATCH.rawValue: return false
        default:
            throw CryptoError(.malformedHash, "libargon2: \(String(cString: argon2_error_message(status)))")
        }
    }
}

extension Substring {
    /// bcrypt writes its cost with a leading zero (`04`), which `ImportedHash.number` refuses.
    fileprivate var trimmingLeadingZero: Substring {
        count == 2 && first == "0" ? dropFirst() : self
    }
}
