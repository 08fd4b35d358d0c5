/* store_open: picks the backend from the scheme of the database URL. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite/sqlite.h"
#include "store/store.h"

typedef store *(*backend_open)(const char *rest, char *err, size_t errlen);

/* Each backend is a scheme prefix and an open function that gets what follows the prefix.
 * A backend not built in has open == NULL. PostgreSQL goes here as store_pg_open(url) (libpq
 * takes the whole "postgres://" URL, so its entry should pass the URL, not the rest). */
static const struct {
    const char *prefix;
    backend_open open;
    const char *name;
} backends[] = {
    {"sqlite:", store_sqlite_open, "SQLite"},
    {"postgres://", NULL, "PostgreSQL"},
    {"postgresql://", NULL, "PostgreSQL"},
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
        return backends[i].open(url + n, err, errlen);
    }
    /* Name the scheme but not the rest, which may hold a password. */
    const char *colon = strchr(url, ':');
    int shown = colon ? (int)(colon - url) : (int)strlen(url);
    if (shown > 32)
        shown = 32;
    snprintf(err, errlen, "unknown database URL scheme '%.*s' (supported: sqlite:PATH)", shown, url);
    return NULL;
}
