/* The SQLite backend of the storage interface: one writer thread with group commit, one read
 * connection per calling thread, WAL with synchronous=FULL. */
#ifndef CRM_STORE_SQLITE_H
#define CRM_STORE_SQLITE_H

#include <stddef.h>
#include "store/store.h"
#include "store/store_tools.h"

/* Opens (creating if needed) the database file at path and starts its writer thread; does not
 * migrate. On failure returns NULL and writes one human line into err. Free with ops->close,
 * once no other thread uses the store. */
store *store_sqlite_open(const char *path, char *err, size_t errlen);

/* Test and diagnostics hook: the value of one of the pragmas "journal_mode", "synchronous",
 * "foreign_keys", "busy_timeout", "query_only" on the writer connection (on_writer=1, run by
 * the writer thread) or on this thread's reader (on_writer=0), as text into out.
 * Returns 0, or -CRM_E_UNAVAILABLE (also for a pragma not in that list). */
int store_sqlite_pragma(store *s, int on_writer, const char *pragma, char *out, size_t outlen);

/* Test and diagnostics hook: the EXPLAIN QUERY PLAN of the statement that contact_list runs
 * for q (its page, or its count when count is non-zero) on this thread's reader, one detail per
 * line into out. Returns 0, or -CRM_E_UNAVAILABLE. */
int store_sqlite_list_plan(store *s, const contact_query *q, int count, char *out, size_t outlen);

/* Test hook: applies the schema migrations up to `version` only (an older schema to upgrade).
 * Returns 0, or -CRM_E_UNAVAILABLE. */
int store_sqlite_migrate_to(store *s, int version);

/* store_check for a SQLite file (sqlite_check.c): a connection of its own that never creates
 * the file; see store_tools.h. */
int store_sqlite_check(const char *path, store_violation_fn report, void *ctx, store_check_stats *stats,
                       char *err, size_t errlen);

/* store_backup for a SQLite file (sqlite_backup.c); see store_tools.h. */
int store_sqlite_backup(const char *path, const char *dest, volatile sig_atomic_t *stop,
                        store_backup_stats *stats, char *err, size_t errlen);

#endif
