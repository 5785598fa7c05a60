internal import COpenSSL

/// MD5 and HMAC-MD5 through OpenSSL, only for the protocols that fix them: RADIUS's password
/// hiding and authenticators (RFC 2865) and its Message-Authenticator (RFC 3579). Nothing of
/// authd's own is ever hashed with them.
public enum MD5 {
    public static func hash(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        let ok = message.withUnsafeBytes { m in EVP_Digest(m.baseAddress, m.count, &out, &length, EVP_md5(), nil) }
        guard ok == 1, length == 16 else { throw CryptoError(.openSSL, "MD5 failed") }
        return out
    }

    public static func hmac(key: [UInt8], message: [UInt8]) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                COpenSSL.HMAC(EVP_md5(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        guard result != nil, length == 16 else { throw CryptoError(.openSSL, "HMAC-MD5 failed") }
        return out
    }
}
