/// HOTP (RFC 4226) and TOTP (RFC 6238) through OpenSSL's HMAC.
public struct OneTimePassword: Hashable, Sendable {
    public var algorithm: HashFunction
    /// 6 to 8.
    public var digits: Int
    /// Seconds per time step (TOTP).
    public var period: Int64

    public init(algorithm: HashFunction = .sha1, digits: Int = 6, period: Int64 = 30) throws(CryptoError) {
        guard (6...8).contains(digits), period > 0 else {
            throw CryptoError(.invalidParameters, "one-time passwords have 6 to 8 digits and a positive period")
        }
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
    }

    /// RFC 4226 §5.3: HMAC of the big-endian counter, dynamic truncation, modulo 10^digits,
    /// left-padded with zeros.
    public func hotp(secret: [UInt8], counter: UInt64) throws(CryptoError) -> String {
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64($0))) }
        let mac = try HMAC.authenticate(algorithm, key: secret, message: message)
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary =
            UInt32(mac[offset] & 0x7F) << 24 | UInt32(mac[offset + 1]) << 16 | UInt32(mac[offset + 2]) << 8
            | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let code = String(binary % modulus)
        return String(repeating: "0", count: digits - code.count) + code
    }

    /// The time step of a Unix time (RFC 6238 §4, T0 = 0).
    public func step(at time: Int64) -> Int64 {
        time >= 0 ? time / period : (time - period + 1) / period
    }

    public func totp(secret: [UInt8], at time: Int64) throws(CryptoError) -> String {
        try hotp(secret: secret, counter: UInt64(max(0, step(at: time))))
    }

    /// The step within `window` steps of `time` whose code is `code`, compared in constant time;
    /// nil when none matches.
    public func matchingStep(of code: String, secret: [UInt8], at time: Int64, window: Int64) throws(CryptoError)
        -> Int64?
    {
        let presented = Array(code.utf8)
        guard presented.count == digits else { return nil }
        let now = step(at: time)
        var found: Int64?
        for candidate in (now - window)...(now + window) where candidate >= 0 {
            let expected = Array(try hotp(secret: secret, counter: UInt64(candidate)).utf8)
            // Every candidate is computed and compared, so the time taken does not tell which matched.
            if ConstantTime.equals(expected, presented), found == nil { found = candidate }
        }
        return found
    }
}
