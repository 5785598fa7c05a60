/// A failure inside OpenSSL or of malformed cryptographic input. The description never carries
/// key material, passwords or tokens.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// An OpenSSL call returned failure.
        public static let openSSL = Code(name: "openssl")
        /// Parameters out of the accepted range.
        public static let invalidParameters = Code(name: "invalid_parameters")
        /// A stored password hash string that is not a PHC scrypt string this library accepts.
        public static let malformedHash = Code(name: "malformed_hash")
        /// A sealed box that did not authenticate: altered, or the wrong key or context.
        public static let openFailed = Code(name: "open_failed")
        /// An imported hash weaker than `ImportedHashFloor` allows: never checked.
        public static let belowFloor = Code(name: "below_floor")
        /// A stored hash asking for more memory or work than `HashCostCeiling` allows: never checked.
        public static let aboveCeiling = Code(name: "above_ceiling")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
