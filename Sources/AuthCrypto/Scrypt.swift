internal import COpenSSL

/// scrypt cost parameters (RFC 7914): N = 2^logN, block size r, parallelism p.
public struct ScryptParameters: Hashable, Sendable, CustomStringConvertible {
    public var logN: Int
    public var r: Int
    public var p: Int

    /// OWASP's scrypt recommendation equivalent: N=2^15, r=8, p=3 (32 MiB, about 0.1 s per lane).
    public static let `default` = ScryptParameters(logN: 15, r: 8, p: 3)

    public init(logN: Int, r: Int, p: Int) {
        self.logN = logN
        self.r = r
        self.p = p
    }

    /// Bounds that keep a hostile stored hash from asking for absurd memory or time.
    public func validated() throws(CryptoError) -> Self {
        guard (1...24).contains(logN), (1...32).contains(r), (1...16).contains(p) else {
            throw CryptoError(.invalidParameters, "scrypt parameters out of range: \(self)")
        }
        return self
    }

    public var description: String { "ln=\(logN),r=\(r),p=\(p)" }

    /// Bytes OpenSSL allocates: the V array (128·r·(N+2)) plus the B array (128·r·p).
    var memoryBound: UInt64 {
        let r = UInt64(r)
        return 128 * r * ((UInt64(1) << UInt64(logN)) + 2) + 128 * r * UInt64(p) + (1 << 20)
    }
}

public enum Scrypt {
    /// Derives `length` bytes with scrypt through OpenSSL's EVP_KDF.
    public static func derive(
        password: [UInt8], salt: [UInt8], parameters: ScryptParameters, length: Int
    ) throws(CryptoError) -> [UInt8] {
        let parameters = try parameters.validated()
        var out = [UInt8](repeating: 0, count: length)
        let ok = password.withUnsafeBufferPointer { pw in
            salt.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    authd_scrypt(
                        pw.baseAddress, pw.count, s.baseAddress, s.count,
                        UInt64(1) << UInt64(parameters.logN), UInt32(parameters.r), UInt32(parameters.p),
                        parameters.memoryBound, o.baseAddress, o.count)
                }
            }
        }
        guard ok == 1 else { throw CryptoError(.openSSL, "scrypt derivation failed") }
        return out
    }
}
