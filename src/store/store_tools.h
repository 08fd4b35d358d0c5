/* The operator's tools on a database, outside a running server: `crmd check` (integrity and
 * crmd's own invariants) and `crmd backup` (a consistent copy). Each backend does them on a
 * connection of its own, without the store's threads, and never creates a database that is not
 * there; both are safe while servers use the database. */
#ifndef CRM_STORE_TOOLS_H
#define CRM_STORE_TOOLS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* One broken rule. Strings live until the report function returns. */
typedef struct store_violation {
    const char *kind;      /* a stable name, e.g. "phone_claim_orphan" (docs/operations.md) */
    const char *org_id;    /* the organization, or NULL when none applies */
    const char *subject;   /* the records involved: "contact <id> number <e164>" */
    const char *rule;      /* the rule broken, one line */
} store_violation;

typedef void (*store_violation_fn)(void *ctx, const store_violation *v);

/* What the check looked at (its snapshot). */
typedef struct store_check_stats {
    int64_t orgs, users, contacts, events;
    int64_t unnumbered;    /* PostgreSQL: committed events still waiting for a number */
} store_check_stats;

/* Checks the database of url ("sqlite:PATH" or a postgres:// URL): the backend's own integrity
 * checks, then every invariant of crmd's schema, in one consistent snapshot. Calls report once
 * per violation. Returns 0 when the check ran (whatever it found), -1 with one line in err when
 * it could not (no such database, not a crmd database, a schema of another version, storage
 * errors). */
int store_check(const char *url, store_violation_fn report, void *ctx, store_check_stats *stats, char *err,
                size_t errlen);

/* What a backup wrote. */
typedef struct store_backup_stats {
    int64_t bytes, pages;
    int64_t last_event_seq;   /* the newest event in the copy: its snapshot */
    int64_t contacts;
} store_backup_stats;

/* Copies the database of url to the new file dest, consistently while servers write to it:
 * into a temporary file beside dest, verified, synced, then renamed to dest. Refuses a dest that
 * exists. A non-zero *stop (a signal handler's flag) abandons the copy. Returns 0, or -1 with one
 * line in err and no file at dest. Only SQLite databases: a PostgreSQL URL is refused with a
 * pointer to pg_dump. */
int store_backup(const char *url, const char *dest, volatile sig_atomic_t *stop, store_backup_stats *stats,
                 char *err, size_t errlen);

#endif
