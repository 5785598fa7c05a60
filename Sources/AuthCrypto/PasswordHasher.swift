import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Hashes and verifies passwords with scrypt, stored as PHC strings; verifies imported hashes
/// (`ImportedHash`) too, which always need a rehash.
public struct PasswordHasher: Sendable {
    /// Parameters for new hashes; stored hashes with other parameters still verify and report
    /// `needsRehash`.
    public let parameters: ScryptParameters
    /// Imported hashes weaker than this are refused (`belowFloor`) instead of checked.
    public let floor: ImportedHashFloor
    /// Stored hashes, authd's own format included, costlier than this are refused
    /// (`aboveCeiling`) instead of checked.
    public let ceiling: HashCostCeiling
    /// The tag of authd's own hashes, beside `ImportedHash`'s scheme names.
    public static let schemeName = "scrypt"
    public static let saltLength = 16
    public static let hashLength = 32

    /// How long one verification with authd's own parameters takes here (a moving average).
    private let nativeCost = NativeCost()

    /// `parameters` must themselves be within `ceiling`: authd never writes a hash it would refuse.
    public init(
        parameters: ScryptParameters = .default, floor: ImportedHashFloor = .init(), ceiling: HashCostCeiling = .init()
    ) throws(CryptoError) {
        self.parameters = try parameters.validated()
        self.floor = floor
        self.ceiling = ceiling
        if let excess = ceiling.excess(.scrypt(parameters, scheme: Self.schemeName)) {
            throw CryptoError(.invalidParameters, "password.scrypt is over the ceiling: \(excess)")
        }
    }

    public func hash(_ password: [UInt8]) throws(CryptoError) -> String {
        let salt = try SecureRandom.bytes(Self.saltLength)
        let hash = try Scrypt.derive(password: password, salt: salt, parameters: parameters, length: Self.hashLength)
        return PHCString(parameters: parameters, salt: salt, hash: hash).description
    }

    /// Throws `malformedHash` when the stored string cannot be parsed. An imported hash that is
    /// cheaper to check than authd's own is padded (the thread sleeps) to what authd's own costs,
    /// so that a login cannot tell an imported account from an unknown one by its time. One that
    /// costs more cannot be padded down: the README says so, and its first login rehashes it. One
    /// below `floor` throws `belowFloor` after the same padded time, whatever the password. One
    /// over `ceiling` (imported, or authd's own format written by hand) throws `aboveCeiling`
    /// after the same padded time, without being computed.
    public func verify(_ password: [UInt8], against stored: String) throws(CryptoError) -> Bool {
        let start = ContinuousClock.now
        guard stored.hasPrefix("$scrypt$") else {
            let imported = try ImportedHash.parse(stored)
            try calibrate(password)
            defer { nativeCost.pad(since: start) }
            if let excess = ceiling.excess(imported.cost) { throw CryptoError(.aboveCeiling, excess) }
            if let shortfall = floor.shortfall(of: imported) { throw CryptoError(.belowFloor, shortfall) }
            return try imported.verify(password)
        }
        let phc = try PHCString(parsing: stored)
        if let excess = ceiling.excess(.scrypt(phc.parameters, scheme: Self.schemeName)) {
            try calibrate(password)
            nativeCost.pad(since: start)
            throw CryptoError(.aboveCeiling, excess)
        }
        let candidate = try Scrypt.derive(
            password: password, salt: phc.salt, parameters: phc.parameters, length: phc.hash.count)
        if phc.parameters == parameters { nativeCost.record(ContinuousClock.now - start) }
        return ConstantTime.equals(candidate, phc.hash)
    }

    /// Measures authd's own cost once, before the first hash that is padded to it.
    private func calibrate(_ password: [UInt8]) throws(CryptoError) {
        guard !nativeCost.isKnown else { return }
        let calibration = ContinuousClock.now
        _ = try Scrypt.derive(
            password: password, salt: try SecureRandom.bytes(Self.saltLength), parameters: parameters,
            length: Self.hashLength)
        nativeCost.record(ContinuousClock.now - calibration)
    }

    /// The scheme `stored` is in (`scrypt` for authd's own, as `users.password_scheme` names it),
    /// after parsing it as `verify` would: throws `malformedHash` for anything `verify` cannot
    /// parse, `aboveCeiling` for what it would refuse as too costly.
    public func scheme(ofStored stored: String) throws(CryptoError) -> String {
        let cost: HashCost
        let name: String
        if stored.hasPrefix("$scrypt$") {
            cost = .scrypt(try PHCString(parsing: stored).parameters, scheme: Self.schemeName)
            name = Self.schemeName
        } else {
            let imported = try ImportedHash.parse(stored)
            cost = imported.cost
            name = type(of: imported).name
        }
        if let excess = ceiling.excess(cost) { throw CryptoError(.aboveCeiling, excess) }
        return name
    }

    public func needsRehash(_ stored: String) -> Bool {
        guard let phc = try? PHCString(parsing: stored) else { return true }
        return phc.parameters != parameters || phc.hash.count != Self.hashLength
    }

    /// A hash no password matches, costing exactly what a real one costs: verifying an unknown
    /// user against it takes the time of a wrong password.
    public func unmatchableHash() throws(CryptoError) -> String {
        PHCString(
            parameters: parameters, salt: try SecureRandom.bytes(Self.saltLength),
            hash: try SecureRandom.bytes(Self.hashLength)
        ).description
    }
}

/// A moving average of how long a verification at the configured parameters takes, and the
/// padding that brings a cheaper one up to it.
final class NativeCost: Sendable {
    private let average = Mutex<Duration?>(nil)

    var isKnown: Bool { average.withLock { $0 != nil } }

    func record(_ duration: Duration) {
        average.withLock { average in
            average = average.map { ($0 * 7 + duration) / 8 } ?? duration
        }
    }

    func pad(since start: ContinuousClock.Instant) {
        guard let target = average.withLock({ $0 }) else { return }
        let left = target - (ContinuousClock.now - start)
        guard left > .zero else { return }
        let (seconds, attoseconds) = left.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
