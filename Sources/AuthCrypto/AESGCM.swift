internal import COpenSSL

/// AES-256-GCM through OpenSSL's EVP interface: authenticated encryption of small records kept in
/// the database (refresh grace pairs, TOTP secrets). A sealed box is `nonce ‖ ciphertext ‖ tag`
/// with a random 96-bit nonce; `associatedData` binds it to its context (opening it under another
/// context fails like a wrong key does).
public enum AESGCM {
    public static let keySize = 32
    static let nonceSize = 12
    static let tagSize = 16

    public static func seal(
        _ plaintext: [UInt8], key: [UInt8], associatedData: [UInt8] = []
    ) throws(CryptoError) -> [UInt8] {
        try seal(plaintext, key: key, associatedData: associatedData, nonce: try SecureRandom.bytes(nonceSize))
    }

    /// With a given nonce: for known-answer tests only (a nonce must never repeat under one key).
    static func seal(
        _ plaintext: [UInt8], key: [UInt8], associatedData: [UInt8], nonce: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        guard key.count == keySize else { throw CryptoError(.invalidParameters, "AES-256-GCM needs a 32-byte key") }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: tagSize)
        try withContext { context throws(CryptoError) in
            try check(EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce), "EVP_EncryptInit_ex")
            var length: Int32 = 0
            if !associatedData.isEmpty {
                try check(
                    EVP_EncryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)), "AAD")
            }
            if !plaintext.isEmpty {
                try check(
                    EVP_EncryptUpdate(context, &ciphertext, &length, plaintext, Int32(plaintext.count)),
                    "EVP_EncryptUpdate")
            }
            var scratch = [UInt8](repeating: 0, count: 16)
            try check(EVP_EncryptFinal_ex(context, &scratch, &length), "EVP_EncryptFinal_ex")
            try check(
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tagSize), &tag), "EVP_CTRL_GCM_GET_TAG")
        }
        return nonce + ciphertext + tag
    }

    /// The plaintext, or `CryptoError.openFailed` when the box was altered, or sealed under another
    /// key or associated data.
    public static func open(
        _ sealed: [UInt8], key: [UInt8], associatedData: [UInt8] = []
    ) throws(CryptoError) -> [UInt8] {
        guard key.count == keySize else { throw CryptoError(.invalidParameters, "AES-256-GCM needs a 32-byte key") }
        guard sealed.count >= nonceSize + tagSize else { throw CryptoError(.openFailed, "sealed box too short") }
        let nonce = Array(sealed.prefix(nonceSize))
        let ciphertext = Array(sealed.dropFirst(nonceSize).dropLast(tagSize))
        var tag = Array(sealed.suffix(tagSize))
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count)
        var authentic = false
        try withContext { context throws(CryptoError) in
            try check(EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce), "EVP_DecryptInit_ex")
            var length: Int32 = 0
            if !associatedData.isEmpty {
                try check(
                    EVP_DecryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)), "AAD")
            }
            if !ciphertext.isEmpty {
                try check(
                    EVP_DecryptUpdate(context, &plaintext, &length, ciphertext, Int32(ciphertext.count)),
                    "EVP_DecryptUpdate")
            }
            try check(
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagSize), &tag), "EVP_CTRL_GCM_SET_TAG")
            var scratch = [UInt8](repeating: 0, count: 16)
            authentic = EVP_DecryptFinal_ex(context, &scratch, &length) == 1
        }
        guard authentic else { throw CryptoError(.openFailed, "sealed box did not authenticate") }
        return plaintext
    }

    private static func withContext(_ body: (OpaquePointer?) throws(CryptoError) -> Void) throws(CryptoError) {
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError(.openSSL, "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(context) }
        try body(context)
    }

    private static func check(_ result: Int32, _ call: String) throws(CryptoError) {
        guard result == 1 else { throw CryptoError(.openSSL, "\(call) failed") }
    }
}
