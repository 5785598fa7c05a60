#ifndef AUTHD_CXCRYPT_SHIM_H
#define AUTHD_CXCRYPT_SHIM_H

// libxcrypt (Debian's libcrypt-dev): bcrypt, sha256crypt, sha512crypt and yescrypt, verified only.
#include <crypt.h>

#endif
