#ifndef AUTHD_CSQLITE_SHIM_H
#define AUTHD_CSQLITE_SHIM_H

// SQLite (Debian's libsqlite3-dev): `authctl user import --from-flask` reads the seed app's users.db.
#include <sqlite3.h>

#endif
