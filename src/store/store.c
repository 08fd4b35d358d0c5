/* store_open: picks the backend from the scheme of the database URL. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store/pg/pg.h"
#include "store/sqlite/sqlite.h"
#include "store/store.h"

typedef store *(*backend_open)(const char *rest, char *err, size_t errlen);

/* Each backend is a scheme prefix and an open function that gets what follows the prefix, or the
 * whole URL (libpq reads "postgres://" URLs itself). */
static const struct {
    const char *prefix;
    backend_open open;
    const char *name;
    bool whole;
} backends[] = {
    {"sqlite:", store_sqlite_open, "SQLite", false},
    {"postgres://", store_pg_open, "PostgreSQL", true},
    {"postgresql://", store_pg_open, "PostgreSQL", true},
};

store *store_open(const char *url, char *err, size_t errlen)
{
    if (!url || !*url) {
        snprintf(err, errlen, "no database URL given (use sqlite:PATH)");
        return NULL;
    }
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        size_t n = strlen(backends[i].prefix);
        if (strncmp(url, backends[i].prefix, n) != 0)
            continue;
        if (!backends[i].open) {
            snprintf(err, errlen, "the %s backend is not built into this crmd (database URL '%.*s...')",
                     backends[i].name, (int)n, url);
            return NULL;
        }
        return backends[i].open(backends[i].whole ? url : url + n, err, errlen);
    }
    /* Name the scheme but not the rest, which may hold a password. */
    const char *colon = strchr(url, ':');
    int shown = colon ? (int)(colon - url) : (int)strlen(url);
    if (shown > 32)
        shown = 32;
    snprintf(err, errlen, "unknown database URL scheme '%.*s' (supported: sqlite:PATH, postgres://...)", shown, url);
    return NULL;
}

void store_table_columns(const store_table *t, const char *flag_suffix, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < t->ncols && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s%s", i ? ", " : "", t->cols[i].name,
                               t->cols[i].kind == STORE_COL_BOOL ? flag_suffix : "");
}
