#ifndef AUTHD_CARGON2_SHIM_H
#define AUTHD_CARGON2_SHIM_H

// The argon2 reference library (Debian's libargon2-dev): argon2id and argon2i, verified only.
#include <argon2.h>

#endif
