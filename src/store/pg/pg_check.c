/* `crmd check` on a PostgreSQL database: the invariants of store_invariants.h and the derived
 * copies this backend keeps (each contact's search document, and its lists in its row, written
 * with its rows), in one
 * READ ONLY REPEATABLE READ transaction: a consistent snapshot that blocks no writer. The server
 * itself enforces the keys and foreign keys (a contact's own rows have none since migration 6:
 * the checks of orphans stand in for them) and checksums its pages (when the cluster has data
 * checksums); index structure checks are amcheck's (docs/operations.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/pg.h"
#include "store/pg/pg_impl.h"
#include "store/store_invariants.h"

typedef struct checker {
    PGconn *db;
    store_violation_fn report;
    void *ctx;
    char *err;
    size_t errlen;
} checker;

static const struct { const char *kind, *rule, *sql; } checks[] = {
#define CHECK_ENTRY(kind, rule, sql) {#kind, rule, sql},
    STORE_INVARIANTS(CHECK_ENTRY)
#undef CHECK_ENTRY
    {"search_document", "a contact's search document is not its names, emails and numbers",
     "SELECT c.organization_id, 'contact ' || c.id FROM contacts c LEFT JOIN contact_search s "
     "ON s.organization_id = c.organization_id AND s.contact_id = c.id "
     "WHERE s.words IS DISTINCT FROM " PG_STORED_WORDS("c") " OR s.digits IS DISTINCT FROM " PG_STORED_DIGITS("c")},
    {"contact_lists", "a contact's copy of its numbers, emails, assignees or verified methods is not what "
     "its rows say",
     "SELECT c.organization_id, 'contact ' || c.id FROM contacts c WHERE (" PG_LIST_COLS ") IS DISTINCT FROM "
     "(" PG_STORED_LISTS("c") ")"},
    {"search_orphan", "a search document belongs to a contact that does not exist",
     "SELECT s.organization_id, 'contact ' || s.contact_id FROM contact_search s WHERE NOT EXISTS "
     "(SELECT 1 FROM contacts c WHERE c.organization_id = s.organization_id AND c.id = s.contact_id)"},
};

/* One line of the server's error, never the URL. */
static int failed(checker *k, PGresult *r, const char *what)
{
    const char *why = r ? PQresultErrorMessage(r) : PQerrorMessage(k->db);
    if (!why || !*why)
        why = PQerrorMessage(k->db);
    snprintf(k->err, k->errlen, "%s: %.*s", what, (int)strcspn(why, "\n"), why);
    PQclear(r);
    return -1;
}

static PGresult *query(checker *k, const char *sql, const char *what, int *rc)
{
    PGresult *r = PQexec(k->db, sql);
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
        *rc = failed(k, r, what);
        return NULL;
    }
    *rc = 0;
    return r;
}

static int64_t int_at(PGresult *r, int col)
{
    return PQgetisnull(r, 0, col) ? 0 : strtoll(PQgetvalue(r, 0, col), NULL, 10);
}

static int schema_fits(checker *k)
{
    int rc;
    int64_t version = 0;
    /* Two statements: a query naming a table that does not exist fails when it is planned. */
    PGresult *r = query(k, "SELECT (to_regclass('crmd_schema') IS NOT NULL)::int", "cannot read the schema version",
                        &rc);
    if (!r)
        return rc;
    bool exists = int_at(r, 0);
    PQclear(r);
    if (exists) {
        if (!(r = query(k, "SELECT coalesce(max(version), 0) FROM crmd_schema", "cannot read the schema version", &rc)))
            return rc;
        version = int_at(r, 0);
        PQclear(r);
    }
    if (version == 0) {
        snprintf(k->err, k->errlen, "the database is not a crmd database (no schema; crmd init creates one)");
        return -1;
    }
    if (version != pg_schema_latest()) {
        snprintf(k->err, k->errlen, "the database has schema version %lld, this crmd checks version %d%s",
                 (long long)version, pg_schema_latest(),
                 version < pg_schema_latest() ? ": run crmd init or serve on it once to migrate it" : "");
        return -1;
    }
    return 0;
}

static int check_snapshot(checker *k, store_check_stats *stats)
{
    int rc;
    PGresult *r = query(k, STORE_INVARIANTS_STATS ", (SELECT count(*) FROM events WHERE seq IS NULL)",
                        "cannot read the database", &rc);
    if (!r)
        return rc;
    stats->orgs = int_at(r, 0);
    stats->users = int_at(r, 1);
    stats->contacts = int_at(r, 2);
    stats->events = int_at(r, 3);
    stats->unnumbered = int_at(r, 4);
    PQclear(r);
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "checking %s", checks[i].kind);
        if (!(r = query(k, checks[i].sql, what, &rc)))
            return rc;
        for (int row = 0; row < PQntuples(r); row++) {
            store_violation v = {checks[i].kind, PQgetisnull(r, row, 0) ? NULL : PQgetvalue(r, row, 0),
                                 PQgetvalue(r, row, 1), checks[i].rule};
            k->report(k->ctx, &v);
        }
        PQclear(r);
    }
    return 0;
}

int store_pg_check(const char *url, store_violation_fn report, void *ctx, store_check_stats *stats, char *err,
                   size_t errlen)
{
    checker k = {NULL, report, ctx, err, errlen};
    int rc;
    if (!(k.db = pg_connect(url, err, errlen)))
        return -1;
    PGresult *r = query(&k, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "cannot begin the check", &rc);
    PQclear(r);
    if (rc == 0 && (rc = schema_fits(&k)) == 0)
        rc = check_snapshot(&k, stats);
    PQclear(PQexec(k.db, "ROLLBACK"));
    PQfinish(k.db);
    return rc;
}
