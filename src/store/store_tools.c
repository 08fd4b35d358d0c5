/* store_check and store_backup: pick the backend from the scheme of the database URL, as
 * store_open does. */
#include <stdio.h>
#include <string.h>

#include "store/pg/pg.h"
#include "store/sqlite/sqlite.h"
#include "store/store_tools.h"

enum scheme { SCHEME_SQLITE, SCHEME_PG, SCHEME_UNKNOWN };

static enum scheme scheme_of(const char *url, char *err, size_t errlen)
{
    if (url && strncmp(url, "sqlite:", 7) == 0)
        return SCHEME_SQLITE;
    if (url && (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0))
        return SCHEME_PG;
    /* Name the scheme but not the rest, which may hold a password. */
    const char *colon = url ? strchr(url, ':') : NULL;
    int shown = colon ? (int)(colon - url) : 0;
    snprintf(err, errlen, "unknown database URL scheme '%.*s' (supported: sqlite:PATH, postgres://...)",
             shown > 32 ? 32 : shown, url ? url : "");
    return SCHEME_UNKNOWN;
}

int store_check(const char *url, store_violation_fn report, void *ctx, store_check_stats *stats, char *err,
                size_t errlen)
{
    memset(stats, 0, sizeof *stats);
    switch (scheme_of(url, err, errlen)) {
    case SCHEME_SQLITE:
        return store_sqlite_check(url + 7, report, ctx, stats, err, errlen);
    case SCHEME_PG:
        return store_pg_check(url, report, ctx, stats, err, errlen);
    case SCHEME_UNKNOWN:
        break;
    }
    return -1;
}

int store_backup(const char *url, const char *dest, volatile sig_atomic_t *stop, store_backup_stats *stats,
                 char *err, size_t errlen)
{
    memset(stats, 0, sizeof *stats);
    switch (scheme_of(url, err, errlen)) {
    case SCHEME_SQLITE:
        return store_sqlite_backup(url + 7, dest, stop, stats, err, errlen);
    case SCHEME_PG:
        /* PostgreSQL's own tools copy a live database better than a client could: a consistent
         * dump (pg_dump's snapshot) or a base backup with WAL for point-in-time recovery. */
        snprintf(err, errlen, "crmd backup copies SQLite databases only; back up a PostgreSQL database "
                 "with pg_dump -Fc (or pg_basebackup), see docs/operations.md");
        return -1;
    case SCHEME_UNKNOWN:
        break;
    }
    return -1;
}
