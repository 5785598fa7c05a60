/// Why a token was refused. Codes are stable; messages never contain the token.
public struct JWTError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        public static let malformed = Code(name: "malformed")
        public static let unsupportedAlgorithm = Code(name: "unsupported_algorithm")
        public static let wrongType = Code(name: "wrong_type")
        public static let unknownKey = Code(name: "unknown_key")
        public static let badSignature = Code(name: "bad_signature")
        public static let expired = Code(name: "expired")
        public static let notYetValid = Code(name: "not_yet_valid")
        public static let wrongIssuer = Code(name: "wrong_issuer")
        public static let wrongAudience = Code(name: "wrong_audience")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
