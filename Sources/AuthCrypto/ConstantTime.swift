internal import COpenSSL

public enum ConstantTime {
    /// Compares two byte strings in time that depends only on their lengths, never on their contents.
    /// Lengths are not secret here (MACs and hashes have fixed sizes).
    public static func equals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard !lhs.isEmpty else { return true }
        return lhs.withUnsafeBytes { l in
            rhs.withUnsafeBytes { r in CRYPTO_memcmp(l.baseAddress, r.baseAddress, l.count) == 0 }
        }
    }
}
