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

/// HMAC under one fixed key with the key's pads hashed once (`authd_hmac_prepare`), for JWTs: the
/// key never changes and every message is a token, so each costs only its own blocks and one more
/// (one-shot `HMAC()` fetches the algorithm and hashes both pads on every call). Immutable after
/// init, and OpenSSL only reads the two contexts when it copies them, so it is shared by threads.
public final class PreparedHMAC: @unchecked Sendable {
    private let inner: OpaquePointer
    private let outer: OpaquePointer

    public init(_ function: HashFunction, key: [UInt8]) throws(CryptoError) {
        guard let inner = EVP_MD_CTX_new() else { throw CryptoError(.openSSL, "EVP_MD_CTX_new failed") }
        guard let outer = EVP_MD_CTX_new() else {
            EVP_MD_CTX_free(inner)
            throw CryptoError(.openSSL, "EVP_MD_CTX_new failed")
        }
        let ok = key.withUnsafeBufferPointer {
            authd_hmac_prepare(function.evp, $0.baseAddress, $0.count, inner, outer)
        }
        guard ok == 1 else {
            EVP_MD_CTX_free(inner)
            EVP_MD_CTX_free(outer)
            throw CryptoError(.openSSL, "HMAC key setup failed")
        }
        self.inner = inner
        self.outer = outer
    }

    deinit {
        EVP_MD_CTX_free(inner)
        EVP_MD_CTX_free(outer)
    }

    public func authenticate(_ message: some Collection<UInt8>) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok =
            message.withContiguousStorageIfAvailable { m in
                authd_hmac_prepared(inner, outer, m.baseAddress, m.count, &out, &length)
            }
            ?? Array(message).withUnsafeBufferPointer { m in
                authd_hmac_prepared(inner, outer, m.baseAddress, m.count, &out, &length)
            }
        guard ok == 1 else { throw CryptoError(.openSSL, "HMAC failed") }
        return Array(out.prefix(Int(length)))
    }
}
