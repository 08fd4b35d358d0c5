/* The PostgreSQL store (libpq): the same store_ops as SQLite, for installations that share one
 * database between several crmd processes. */
#ifndef CRM_STORE_PG_H
#define CRM_STORE_PG_H

#include <stddef.h>
#include "store/store.h"
#include "store/store_tools.h"

/* Opens the database of a postgres:// or postgresql:// URL (libpq's URI form, passed whole).
 * Checks that the server answers; on failure returns NULL with one line in err that never
 * repeats the password. */
store *store_pg_open(const char *url, char *err, size_t errlen);

/* Test and bench hook: EXPLAIN of the statement contact_list would run for q (count: the
 * total's statement), one plan line per line, into out. */
int store_pg_list_plan(store *st, const char *org_id, const contact_query *q, int count, char *out,
                       size_t outlen);
/* Test hook: applies the schema's migrations up to `version` only, to test the next one on data
 * of the schema before it. */
int store_pg_migrate_to(store *st, int version);

/* Test hook: the plan this thread's connection executes the prepared statement PG_<statement>
 * with (it must have run on that connection): EXPLAIN EXECUTE, one plan line per line. */
int store_pg_statement_plan(store *st, const char *statement, char *out, size_t outlen);

/* store_check for a PostgreSQL database (pg_check.c): one connection of its own, one READ ONLY
 * REPEATABLE READ transaction; see store_tools.h. */
int store_pg_check(const char *url, store_violation_fn report, void *ctx, store_check_stats *stats, char *err,
                   size_t errlen);

#endif
