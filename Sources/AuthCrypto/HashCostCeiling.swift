/// The most work one stored password hash may ask of a login (`password.imported_ceiling`): an
/// imported row, or one written into the database by hand, must not turn every login attempt
/// for its account into a memory or CPU denial of service. Checked when a row is imported (the
/// row is refused) and again before every verification (the login is refused as a wrong
/// password would be, and the log says why).
///
/// Defaults are about four times what authd's default scrypt costs (32 MiB, N·r·p = 786,432,
/// some 0.25 s on one core), scheme by scheme: memory 128 MiB; scrypt (authd's PHC strings and
/// werkzeug's) N·r·p 3,145,728; werkzeug-pbkdf2 2,400,000 iterations; bcrypt cost 14; sha-crypt
/// 1,000,000 rounds; argon2 786,432 KiB·passes (yescrypt is bounded by its memory).
public struct HashCostCeiling: Hashable, Sendable {
    /// Bytes one check may allocate (scrypt, yescrypt, argon2).
    public var memory: UInt64
    /// The most work by `HashCost.key`, in that key's unit.
    public var maximums: [String: Int]

    public static let defaultMemory: UInt64 = 128 << 20
    public static let defaultMaximums: [String: Int] = [
        "scrypt": 3_145_728, WerkzeugPBKDF2.name: 2_400_000, Bcrypt.name: 14, SHACrypt.name: 1_000_000,
        Argon2.name: 786_432,
    ]

    public init(memory: UInt64 = Self.defaultMemory, maximums: [String: Int] = Self.defaultMaximums) {
        self.memory = memory
        self.maximums = maximums
    }

    /// Why `cost` is over the ceiling, nil when it is not.
    public func excess(_ cost: HashCost) -> String? {
        if cost.memory > memory {
            return "the stored \(cost.scheme) hash asks for \(cost.memory >> 20) MiB, over password.imported_ceiling's "
                + "\(memory >> 20) MiB"
        }
        if let maximum = maximums[cost.key], cost.work > maximum {
            return "the stored \(cost.scheme) hash asks for work \(cost.work) (\(cost.unit)), over "
                + "password.imported_ceiling's \(maximum)"
        }
        return nil
    }
}

/// What one verification of a stored hash costs, as `HashCostCeiling` bounds it.
public struct HashCost: Hashable, Sendable {
    /// The scheme's name, for messages.
    public var scheme: String
    /// The ceiling's key: the scheme's name, or `scrypt` for both scrypt formats.
    public var key: String
    /// Work in `unit`s.
    public var work: Int
    public var unit: String
    /// Bytes allocated.
    public var memory: UInt64

    public init(scheme: String, key: String? = nil, work: Int, unit: String, memory: UInt64 = 0) {
        self.scheme = scheme
        self.key = key ?? scheme
        self.work = work
        self.unit = unit
        self.memory = memory
    }

    /// scrypt's: time grows with N·r·p, memory with N·r.
    static func scrypt(_ parameters: ScryptParameters, scheme: String) -> HashCost {
        HashCost(
            scheme: scheme, key: "scrypt", work: (1 << parameters.logN) * parameters.r * parameters.p, unit: "N·r·p",
            memory: parameters.memoryBound)
    }
}
