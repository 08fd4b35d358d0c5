/* `crmd check` on a SQLite file: SQLite's own integrity checks (the b-trees, the foreign keys,
 * the FTS5 search index), the invariants of store_invariants.h, and the derived indexes that only
 * this backend keeps (the per-organization contact counter, the search rows and documents, the
 * access rows), compared with what the contacts' rows say they must be. A connection of its own:
 * it never creates the file, reads in one snapshot (WAL: the server's writer is never blocked),
 * and takes the write lock only for FTS5's integrity-check, which SQLite runs as a write. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite/sqlite.h"
#include "store/sqlite/sqlite_impl.h"
#include "store/store_invariants.h"

#define CHECK_BUSY_TIMEOUT_MS 10000

typedef struct checker {
    sqlite3 *db;
    store_violation_fn report;
    void *ctx;
    char *err;
    size_t errlen;
} checker;

static void report(checker *k, const char *kind, const char *org_id, const char *subject, const char *rule)
{
    store_violation v = {kind, org_id, subject, rule};
    k->report(k->ctx, &v);
}

static bool corrupt(int rc)
{
    return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

/* A query whose error is a corrupt file is itself a finding; any other error stops the check. */
static int query_failed(checker *k, const char *kind, int rc)
{
    if (corrupt(rc)) {
        report(k, "sqlite_integrity", NULL, sqlite3_errmsg(k->db), "SQLite finds the file damaged");
        return 0;
    }
    snprintf(k->err, k->errlen, "checking %s: %s", kind, sqlite3_errmsg(k->db));
    return -1;
}

/* Runs sql, whose rows are (organization id, records); each row is a violation of kind. */
static int run_rows(checker *k, const char *kind, const char *rule, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(k->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return query_failed(k, kind, rc);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        report(k, kind, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1), rule);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : query_failed(k, kind, rc);
}

/* What only this backend keeps: derived from the contacts' rows by the writer (sqlite_sql.h). */
#define CHECK_OF_CONTACTS "FROM contacts c WHERE c.organization_id = m.organization_id AND c.id = m.contact_id"
static const struct { const char *kind, *rule, *sql; } sqlite_checks[] = {
    {"contact_count", "a stage's contact counter differs from its number of contacts",
     "SELECT c.organization_id, 'stage ' || c.stage_id || ': contacts ' || count(*) || ' counted ' || "
     "coalesce(k.n, 0) FROM contacts c LEFT JOIN contact_counts k ON k.organization_id = c.organization_id "
     "AND k.stage_id = c.stage_id GROUP BY c.organization_id, c.stage_id HAVING count(*) <> coalesce(k.n, 0) "
     "UNION ALL SELECT k.organization_id, 'stage ' || k.stage_id || ': contacts 0 counted ' || k.n "
     "FROM contact_counts k WHERE k.n <> 0 AND NOT EXISTS (SELECT 1 FROM contacts c "
     "WHERE c.organization_id = k.organization_id AND c.stage_id = k.stage_id)"},
    {"search_row", "a contact has no search row, or a search row no contact",
     "SELECT c.organization_id, 'contact ' || c.id FROM contacts c WHERE NOT EXISTS (SELECT 1 "
     "FROM contact_search_rows m WHERE m.organization_id = c.organization_id AND m.contact_id = c.id "
     "AND m.created_at = c.created_at) UNION ALL SELECT m.organization_id, 'search row ' || m.rid || "
     "' of contact ' || m.contact_id FROM contact_search_rows m WHERE NOT EXISTS (SELECT 1 "
     CHECK_OF_CONTACTS ")"},
    {"search_document", "a contact's search document is not its names, emails and numbers",
     "SELECT c.organization_id, 'contact ' || c.id || ' search row ' || m.rid FROM contact_search_rows m "
     "JOIN contacts c ON c.organization_id = m.organization_id AND c.id = m.contact_id "
     "LEFT JOIN contact_search s ON s.rowid = m.rid WHERE s.rowid IS NULL OR s.words IS NOT ("
     SQ_SEARCH_WORDS ") OR s.digits IS NOT (" SQ_SEARCH_DIGITS ") UNION ALL SELECT NULL, "
     "'search document ' || s.rowid || ' of no contact' FROM contact_search s WHERE NOT EXISTS "
     "(SELECT 1 FROM contact_search_rows m WHERE m.rid = s.rowid)"},
    {"access_index", "the access rows (who owns, created or is assigned a contact) differ from the contacts",
     "SELECT organization_id, 'contact ' || contact_id || ' user ' || user_id || ' missing' FROM ("
     SQ_ACCESS_ROWS("1", "1") " EXCEPT SELECT organization_id, user_id, created_at, contact_id, mine "
     "FROM contact_access) UNION ALL SELECT organization_id, 'contact ' || contact_id || ' user ' || "
     "user_id || ' extra' FROM (SELECT organization_id, user_id, created_at, contact_id, mine "
     "FROM contact_access EXCEPT " SQ_ACCESS_ROWS("1", "1") ")"},
};

static const struct { const char *kind, *rule, *sql; } invariants[] = {
#define CHECK_ENTRY(kind, rule, sql) {#kind, rule, sql},
    STORE_INVARIANTS(CHECK_ENTRY)
#undef CHECK_ENTRY
};

static int integrity(checker *k)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(k->db, "PRAGMA integrity_check(100)", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return query_failed(k, "sqlite_integrity", rc);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (line && strcmp(line, "ok") != 0)
            report(k, "sqlite_integrity", NULL, line, "PRAGMA integrity_check finds the file damaged");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return query_failed(k, "sqlite_integrity", rc);

    st = NULL;
    if ((rc = sqlite3_prepare_v2(k->db, "PRAGMA foreign_key_check", -1, &st, NULL)) != SQLITE_OK)
        return query_failed(k, "foreign_key", rc);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char subject[256];
        const char *rowid = (const char *)sqlite3_column_text(st, 1);
        snprintf(subject, sizeof subject, "%s row %s refers to a missing %s", sqlite3_column_text(st, 0),
                 rowid ? rowid : "(no rowid)", sqlite3_column_text(st, 2));
        report(k, "foreign_key", NULL, subject, "a row refers to a row that does not exist");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : query_failed(k, "foreign_key", rc);
}

/* FTS5 checks its index against its content only through an INSERT, which needs the write lock:
 * held for the length of the check, rolled back (it writes nothing). */
static int search_index(checker *k)
{
    int rc = sqlite3_exec(k->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return query_failed(k, "search_index", rc);
    rc = sqlite3_exec(k->db, "INSERT INTO contact_search (contact_search) VALUES ('integrity-check')", NULL,
                      NULL, NULL);
    int ret = 0;
    if (corrupt(rc))
        report(k, "search_index", NULL, sqlite3_errmsg(k->db), "the FTS5 search index differs from its documents");
    else if (rc != SQLITE_OK)
        ret = query_failed(k, "search_index", rc);
    sqlite3_exec(k->db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

static int stats_of(checker *k, store_check_stats *stats)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(k->db, STORE_INVARIANTS_STATS, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        stats->orgs = sqlite3_column_int64(st, 0);
        stats->users = sqlite3_column_int64(st, 1);
        stats->contacts = sqlite3_column_int64(st, 2);
        stats->events = sqlite3_column_int64(st, 3);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : query_failed(k, "the sizes", rc);
}

/* The checks of one snapshot. */
static int check_snapshot(checker *k, store_check_stats *stats)
{
    int rc = stats_of(k, stats);
    if (rc == 0)
        rc = integrity(k);
    for (size_t i = 0; rc == 0 && i < sizeof invariants / sizeof invariants[0]; i++)
        rc = run_rows(k, invariants[i].kind, invariants[i].rule, invariants[i].sql);
    for (size_t i = 0; rc == 0 && i < sizeof sqlite_checks / sizeof sqlite_checks[0]; i++)
        rc = run_rows(k, sqlite_checks[i].kind, sqlite_checks[i].rule, sqlite_checks[i].sql);
    return rc;
}

/* The file must hold crmd's schema of this version: an older one is migrated by init or serve
 * first, so that the check knows every table it reads. */
static int schema_fits(checker *k, const char *path)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(k->db, "PRAGMA user_version", -1, &st, NULL);
    int version = -1;
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version < 0) {
        snprintf(k->err, k->errlen, "cannot read database '%s': %s", path, sqlite3_errmsg(k->db));
        return -1;
    }
    if (version == 0) {
        snprintf(k->err, k->errlen, "'%s' is not a crmd database (no schema; crmd init creates one)", path);
        return -1;
    }
    if (version != sq_schema_latest()) {
        snprintf(k->err, k->errlen, "database '%s' has schema version %d, this crmd checks version %d%s", path,
                 version, sq_schema_latest(),
                 version < sq_schema_latest() ? ": run crmd init or serve on it once to migrate it" : "");
        return -1;
    }
    return 0;
}

int store_sqlite_check(const char *path, store_violation_fn report_fn, void *ctx, store_check_stats *stats,
                       char *err, size_t errlen)
{
    checker k = {NULL, report_fn, ctx, err, errlen};
    int rc = -1;
    if (!path || !*path) {
        snprintf(err, errlen, "cannot open database: the sqlite: URL names no file");
        return -1;
    }
    if (sqlite3_open_v2(path, &k.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database '%s': %s", path, k.db ? sqlite3_errmsg(k.db) : "out of memory");
        goto done;
    }
    sqlite3_busy_timeout(k.db, CHECK_BUSY_TIMEOUT_MS);
    if (schema_fits(&k, path))
        goto done;
    if (sqlite3_exec(k.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot read database '%s': %s", path, sqlite3_errmsg(k.db));
        goto done;
    }
    rc = check_snapshot(&k, stats);
    sqlite3_exec(k.db, "COMMIT", NULL, NULL, NULL);
    if (rc == 0)
        rc = search_index(&k);
done:
    sqlite3_close(k.db);
    return rc;
}
