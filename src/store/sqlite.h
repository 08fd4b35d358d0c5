/* The SQLite backend of the storage interface: one writer thread with group commit, one read
 * connection per calling thread, WAL with synchronous=FULL. */
#ifndef CRM_STORE_SQLITE_H
#define CRM_STORE_SQLITE_H

#include <stddef.h>
#include "store/store.h"

/* Opens (creating if needed) the database file at path and starts its writer thread; does not
 * migrate. On failure returns NULL and writes one human line into err. Free with ops->close,
 * once no other thread uses the store. */
store *store_sqlite_open(const char *path, char *err, size_t errlen);

/* Test and diagnostics hook: the value of one of the pragmas "journal_mode", "synchronous",
 * "foreign_keys", "busy_timeout", "query_only" on the writer connection (on_writer=1, run by
 * the writer thread) or on this thread's reader (on_writer=0), as text into out.
 * Returns 0, or -CRM_E_UNAVAILABLE (also for a pragma not in that list). */
int store_sqlite_pragma(store *s, int on_writer, const char *pragma, char *out, size_t outlen);

#endif
