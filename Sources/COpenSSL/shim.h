#ifndef AUTHD_COPENSSL_SHIM_H
#define AUTHD_COPENSSL_SHIM_H

#include <openssl/core_names.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/// scrypt through EVP_KDF. The OSSL_PARAM array keeps pointers to its keys and values, which is
/// only safe while they live on one C stack frame, so it is built here rather than in Swift.
/// Returns 1 on success, 0 on any failure.
static inline int authd_scrypt(const uint8_t *password, size_t password_length,
                               const uint8_t *salt, size_t salt_length,
                               uint64_t n, uint32_t r, uint32_t p, uint64_t max_memory,
                               uint8_t *out, size_t out_length) {
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    if (kdf == NULL) {
        return 0;
    }
    EVP_KDF_CTX *context = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (context == NULL) {
        return 0;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password, password_length),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_length),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &max_memory),
        OSSL_PARAM_construct_end(),
    };
    int ok = EVP_KDF_derive(context, out, out_length, params);
    EVP_KDF_CTX_free(context);
    return ok == 1 ? 1 : 0;
}

/// A private key from PEM text (PKCS#8 or a traditional RSA/EC block; never encrypted: no
/// passphrase callback). NULL when the text holds no private key.
static inline EVP_PKEY *authd_private_key_from_pem(const char *pem, size_t length) {
    BIO *bio = BIO_new_mem_buf(pem, (int)length);
    if (bio == NULL) {
        return NULL;
    }
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
    BIO_free(bio);
    return key;
}

/// Writes `key` as unencrypted PKCS#8 PEM into `out` (of `capacity` bytes). Returns the length
/// written, 0 on failure or when it does not fit.
static inline size_t authd_private_key_to_pem(EVP_PKEY *key, char *out, size_t capacity) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return 0;
    }
    size_t written = 0;
    if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
        char *data = NULL;
        long length = BIO_get_mem_data(bio, &data);
        if (length > 0 && (size_t)length <= capacity) {
            memcpy(out, data, (size_t)length);
            written = (size_t)length;
        }
    }
    BIO_free(bio);
    return written;
}

/// A new key: `name` is "ED25519", "EC" (P-256) or "RSA" (`bits` bits). NULL on failure.
static inline EVP_PKEY *authd_generate_key(const char *name, unsigned int bits) {
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
    if (context == NULL) {
        return NULL;
    }
    EVP_PKEY *key = NULL;
    int ok = EVP_PKEY_keygen_init(context) == 1;
    if (ok && strcmp(name, "EC") == 0) {
        ok = EVP_PKEY_CTX_set_group_name(context, "P-256") == 1;
    }
    if (ok && strcmp(name, "RSA") == 0) {
        ok = EVP_PKEY_CTX_set_rsa_keygen_bits(context, (int)bits) == 1;
    }
    if (ok) {
        EVP_PKEY_keygen(context, &key);
    }
    EVP_PKEY_CTX_free(context);
    return key;
}

/// A public key from its JWK components (RFC 7518 §6, RFC 8037 §2). `name` is "ED25519" (`a`
/// the 32-byte x), "EC" (`a`, `b` the P-256 x and y, 32 bytes each; OpenSSL refuses a point off
/// the curve) or "RSA" (`a` the modulus, `b` the exponent, big-endian). NULL on failure.
static inline EVP_PKEY *authd_public_key(const char *name, const uint8_t *a, size_t a_length,
                                         const uint8_t *b, size_t b_length) {
    if (strcmp(name, "ED25519") == 0) {
        return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, a, a_length);
    }
    OSSL_PARAM_BLD *builder = OSSL_PARAM_BLD_new();
    if (builder == NULL) {
        return NULL;
    }
    BIGNUM *n = NULL, *e = NULL;
    uint8_t point[65];
    int ok = 0;
    if (strcmp(name, "EC") == 0 && a_length == 32 && b_length == 32) {
        point[0] = 0x04;
        memcpy(point + 1, a, 32);
        memcpy(point + 33, b, 32);
        ok = OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1
            && OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) == 1;
    } else if (strcmp(name, "RSA") == 0) {
        n = BN_bin2bn(a, (int)a_length, NULL);
        e = BN_bin2bn(b, (int)b_length, NULL);
        ok = n != NULL && e != NULL && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, n) == 1
            && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, e) == 1;
    }
    EVP_PKEY *key = NULL;
    OSSL_PARAM *params = ok ? OSSL_PARAM_BLD_to_param(builder) : NULL;
    EVP_PKEY_CTX *context = params != NULL ? EVP_PKEY_CTX_new_from_name(NULL, name, NULL) : NULL;
    if (context != NULL && EVP_PKEY_fromdata_init(context) == 1) {
        EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, params);
    }
    EVP_PKEY_CTX_free(context);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(builder);
    BN_free(n);
    BN_free(e);
    return key;
}

/// An ECDSA signature from DER to JOSE's fixed-size r || s (RFC 7518 §3.4), `half` bytes each.
/// Returns 1 on success.
static inline int authd_ecdsa_der_to_raw(const uint8_t *der, size_t length, uint8_t *out, int half) {
    const uint8_t *cursor = der;
    ECDSA_SIG *signature = d2i_ECDSA_SIG(NULL, &cursor, (long)length);
    if (signature == NULL) {
        return 0;
    }
    int ok = cursor == der + length
        && BN_bn2binpad(ECDSA_SIG_get0_r(signature), out, half) == half
        && BN_bn2binpad(ECDSA_SIG_get0_s(signature), out + half, half) == half;
    ECDSA_SIG_free(signature);
    return ok ? 1 : 0;
}

/// The reverse: r || s (`half` bytes each) to DER in `out` (of `capacity` bytes). Returns the DER
/// length, 0 on failure.
static inline size_t authd_ecdsa_raw_to_der(const uint8_t *raw, int half, uint8_t *out, size_t capacity) {
    ECDSA_SIG *signature = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, half, NULL);
    BIGNUM *s = BN_bin2bn(raw + half, half, NULL);
    if (signature == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(signature, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(signature);
        return 0;
    }
    int length = i2d_ECDSA_SIG(signature, NULL);
    size_t written = 0;
    if (length > 0 && (size_t)length <= capacity) {
        uint8_t *cursor = out;
        written = i2d_ECDSA_SIG(signature, &cursor) == length ? (size_t)length : 0;
    }
    ECDSA_SIG_free(signature);
    return written;
}

/// HMAC (RFC 2104) with the key's work done once: `inner` and `outer` are fed the key XOR the
/// inner and outer pads, so each message costs its own blocks and one more, without the
/// per-call algorithm fetch and key setup of one-shot HMAC(). Both contexts are only read.
/// Returns 1 on success, 0 on any failure.
static inline int authd_hmac_prepare(const EVP_MD *md, const uint8_t *key, size_t key_length,
                                     EVP_MD_CTX *inner, EVP_MD_CTX *outer) {
    uint8_t block[128] = {0};
    uint8_t pad[128];
    int size = EVP_MD_get_block_size(md);
    int ok = size > 0 && size <= (int)sizeof block;
    if (ok && key_length > (size_t)size) {
        ok = EVP_Digest(key, key_length, block, NULL, md, NULL);
    } else if (ok && key_length > 0) {
        memcpy(block, key, key_length);
    }
    for (int i = 0; ok && i < size; i++) pad[i] = block[i] ^ 0x36;
    ok = ok && EVP_DigestInit_ex2(inner, md, NULL) && EVP_DigestUpdate(inner, pad, (size_t)size);
    for (int i = 0; ok && i < size; i++) pad[i] = block[i] ^ 0x5c;
    ok = ok && EVP_DigestInit_ex2(outer, md, NULL) && EVP_DigestUpdate(outer, pad, (size_t)size);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
    return ok ? 1 : 0;
}

/// The HMAC of `message` from contexts `authd_hmac_prepare` made; `out` holds EVP_MAX_MD_SIZE.
static inline int authd_hmac_prepared(const EVP_MD_CTX *inner, const EVP_MD_CTX *outer,
                                      const uint8_t *message, size_t length,
                                      uint8_t *out, unsigned int *out_length) {
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    if (context == NULL) {
        return 0;
    }
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    int ok = EVP_MD_CTX_copy_ex(context, inner) && EVP_DigestUpdate(context, message, length)
        && EVP_DigestFinal_ex(context, digest, &digest_length)
        && EVP_MD_CTX_copy_ex(context, outer) && EVP_DigestUpdate(context, digest, digest_length)
        && EVP_DigestFinal_ex(context, out, out_length);
    EVP_MD_CTX_free(context);
    OPENSSL_cleanse(digest, sizeof digest);
    return ok ? 1 : 0;
}

#endif
