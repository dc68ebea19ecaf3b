#ifndef GLOSS_CSQLITEDEFENSIVE_SHIM_H
#define GLOSS_CSQLITEDEFENSIVE_SHIM_H

#include <sqlite3.h>

// sqlite3_db_config is variadic, which Swift cannot call. Opening a database file that
// came from elsewhere (a snapshot): SQLITE_DBCONFIG_DEFENSIVE forbids what could corrupt
// it on purpose (writable_schema, writes to shadow tables, journal_mode=OFF, ...), and
// untrusted schema keeps SQL functions with side effects out of views and triggers.
// Returns SQLITE_OK when both were set.
static inline int gloss_sqlite_harden(sqlite3 *db) {
    int defensive = 0, trusted = 1;
    int rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &defensive);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &trusted);
    if (rc != SQLITE_OK) return rc;
    return (defensive == 1 && trusted == 0) ? SQLITE_OK : SQLITE_ERROR;
}

#endif
