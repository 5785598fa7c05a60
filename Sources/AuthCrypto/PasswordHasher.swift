/// Hashes and verifies passwords with scrypt, stored as PHC strings.
public struct PasswordHasher: Sendable {
    /// Parameters for new hashes; stored hashes with other parameters still verify and report
    /// `needsRehash`.
    public let parameters: ScryptParameters
    public static let saltLength = 16
    public static let hashLength = 32

    public init(parameters: ScryptParameters = .default) throws(CryptoError) {
        self.parameters = try parameters.validated()
    }

    public func hash(_ password: [UInt8]) throws(CryptoError) -> String {
        let salt = try SecureRandom.bytes(Self.saltLength)
        let hash = try Scrypt.derive(password: password, salt: salt, parameters: parameters, length: Self.hashLength)
        return PHCString(parameters: parameters, salt: salt, hash: hash).description
    }

    /// Throws `malformedHash` when the stored string cannot be parsed.
    public func verify(_ password: [UInt8], against stored: String) throws(CryptoError) -> Bool {
        let phc = try PHCString(parsing: stored)
        let candidate = try Scrypt.derive(
            password: password, salt: phc.salt, parameters: phc.parameters, length: phc.hash.count)
        return ConstantTime.equals(candidate, phc.hash)
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
