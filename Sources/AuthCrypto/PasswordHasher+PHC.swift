/// A stored password hash in the PHC string format:
/// `$scrypt$ln=15,r=8,p=3$<salt, base64 without padding>$<hash, base64 without padding>`.
public struct PHCString: Hashable, Sendable, CustomStringConvertible {
    public var parameters: ScryptParameters
    public var salt: [UInt8]
    public var hash: [UInt8]

    static let saltLengths = 8...64
    static let hashLengths = 16...64

    public init(parameters: ScryptParameters, salt: [UInt8], hash: [UInt8]) {
        self.parameters = parameters
        self.salt = salt
        self.hash = hash
    }

    /// Parses exactly the form `description` writes; anything else is `malformedHash`.
    public init(parsing text: String) throws(CryptoError) {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == "scrypt" else {
            throw CryptoError(.malformedHash, "not a PHC scrypt string")
        }
        let values = fields[2].split(separator: ",", omittingEmptySubsequences: false)
        guard values.count == 3,
            let logN = Self.number(values[0], key: "ln"),
            let r = Self.number(values[1], key: "r"),
            let p = Self.number(values[2], key: "p")
        else {
            throw CryptoError(.malformedHash, "bad scrypt parameters")
        }
        guard let salt = Base64.standard.decode(fields[3]), Self.saltLengths.contains(salt.count),
            let hash = Base64.standard.decode(fields[4]), Self.hashLengths.contains(hash.count)
        else {
            throw CryptoError(.malformedHash, "bad salt or hash encoding")
        }
        self.parameters = try ScryptParameters(logN: logN, r: r, p: p).validated()
        self.salt = salt
        self.hash = hash
    }

    public var description: String {
        "$scrypt$\(parameters)$\(Base64.standard.encode(salt))$\(Base64.standard.encode(hash))"
    }

    /// `key=digits`, digits without sign or leading zero, at most 4 of them.
    private static func number(_ field: Substring, key: String) -> Int? {
        guard field.hasPrefix(key + "=") else { return nil }
        let digits = field.dropFirst(key.count + 1)
        guard (1...4).contains(digits.count), digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
            digits.first != "0"
        else { return nil }
        return Int(digits)
    }
}
