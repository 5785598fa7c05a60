internal import COpenSSL

/// The hash functions authd uses, for HMAC (JWT, TOTP) and plain digests.
public enum HashFunction: String, Sendable, CaseIterable {
    case sha1 = "SHA1"
    case sha256 = "SHA256"
    case sha512 = "SHA512"

    var evp: OpaquePointer? {
        switch self {
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        case .sha512: EVP_sha512()
        }
    }
}

public enum Digest {
    public static func hash(_ function: HashFunction, _ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = message.withUnsafeBytes { m in
            EVP_Digest(m.baseAddress, m.count, &out, &length, function.evp, nil)
        }
        guard ok == 1 else { throw CryptoError(.openSSL, "EVP_Digest failed") }
        return Array(out.prefix(Int(length)))
    }

    public static func sha256Hex(_ message: [UInt8]) throws(CryptoError) -> String {
        Hex.encode(try hash(.sha256, message))
    }
}

public enum HMAC {
    public static func authenticate(
        _ function: HashFunction, key: [UInt8], message: some Collection<UInt8>
    ) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { k in
            message.withContiguousStorageIfAvailable { m in
                COpenSSL.HMAC(function.evp, k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
                ?? Array(message).withUnsafeBytes { m in
                    COpenSSL.HMAC(function.evp, k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
                }
        }
        guard result != nil else { throw CryptoError(.openSSL, "HMAC failed") }
        return Array(out.prefix(Int(length)))
    }
}
