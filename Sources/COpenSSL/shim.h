#ifndef AUTHD_COPENSSL_SHIM_H
#define AUTHD_COPENSSL_SHIM_H

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
