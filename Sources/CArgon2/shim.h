#ifndef AUTHD_CARGON2_SHIM_H
#define AUTHD_CARGON2_SHIM_H

// The argon2 reference library (Debian's libargon2-dev): argon2id and argon2i, verified only.
#include <argon2.h>

// ARGON2_DEFAULT_FLAGS is a macro of an expression Swift cannot import.
static inline uint32_t authd_argon2_default_flags(void) { return ARGON2_DEFAULT_FLAGS; }

#endif
