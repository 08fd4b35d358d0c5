/* The PostgreSQL side of copying an installation (store/copy.c): a dump of the tables from one
 * REPEATABLE READ snapshot, streamed a row at a time; a load through COPY FROM STDIN, the fast
 * path of bulk loading; and the rebuild of what a contact's writes derive from its rows. The SQL
 * is assembled from the compiled-in table list only; values travel as COPY's escaped text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/pg/pg_impl.h"

#define SQL_MAX 2048
#define MAX_COLS 64

/* Rows not yet given their number are not events yet (pg_events.c). */
static const char *row_filter(const store_table *t)
{
    return strcmp(t->name, "events") == 0 ? " WHERE seq IS NOT NULL" : "";
}

/* The column list, flags read as 0/1 when `as_read`. */
/* Reads every remaining result so that the connection can take the next command. */
static void drain(pg_conn *c)
{
    PGresult *r;
    while ((r = PQgetResult(c->db)))
        PQclear(r);
}

static int dump_table(pg_conn *c, const store_table *t, size_t index, store_row_fn fn, void *ctx)
{
    char cols[SQL_MAX / 2], sql[SQL_MAX];
    if (t->ncols > MAX_COLS)
        return -CRM_E_UNAVAILABLE;
    store_table_columns(t, "::int", cols, sizeof cols);
    snprintf(sql, sizeof sql, "SELECT %s FROM %s%s ORDER BY %s", cols, t->name, row_filter(t), t->key);
    if (!PQsendQuery(c->db, sql) || !PQsetSingleRowMode(c->db))
        return pg_fail(c, NULL, t->name);
    const char *values[MAX_COLS];
    int rc = 0;
    PGresult *r;
    while (rc == 0 && (r = PQgetResult(c->db))) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE) {
            for (size_t i = 0; i < t->ncols; i++)
                values[i] = PQgetisnull(r, 0, (int)i) ? NULL : PQgetvalue(r, 0, (int)i);
            rc = fn(ctx, index, values);
        } else if (st != PGRES_TUPLES_OK) {
            rc = pg_fail(c, r, t->name);
        }
        PQclear(r);
    }
    drain(c);
    return rc;
}

int pg_dump(store_conn *conn, const store_table *tables, size_t n, store_row_fn fn, void *ctx)
{
    pg_conn *c = pg_of(conn);
    int rc = pg_exec_simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "reading a snapshot");
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = dump_table(c, &tables[i], i, fn, ctx);
    int end = pg_exec_simple(c, rc ? "ROLLBACK" : "COMMIT", "ending a snapshot");
    return rc ? rc : end;
}

int pg_load_begin(store_conn *conn, const store_table *t)
{
    pg_conn *c = pg_of(conn);
    char cols[SQL_MAX / 2], sql[SQL_MAX];
    store_table_columns(t, "", cols, sizeof cols);
    snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN", t->name, cols);
    int rc = pg_unit_flush(c);   /* the unit's BEGIN first: COPY is part of its transaction */
    if (rc)
        return rc;
    PGresult *r = PQexec(c->db, sql);
    rc = PQresultStatus(r) == PGRES_COPY_IN ? 0 : pg_fail(c, r, t->name);
    PQclear(r);
    return rc;
}

/* One value in COPY's text format: backslash, tab, newline and carriage return escaped. */
static size_t put_value(char *out, const char *v)
{
    size_t n = 0;
    if (!v) {
        memcpy(out, "\\N", 2);
        return 2;
    }
    for (; *v; v++) {
        switch (*v) {
        case '\\': out[n++] = '\\'; out[n++] = '\\'; break;
        case '\t': out[n++] = '\\'; out[n++] = 't'; break;
        case '\n': out[n++] = '\\'; out[n++] = 'n'; break;
        case '\r': out[n++] = '\\'; out[n++] = 'r'; break;
        default: out[n++] = *v;
        }
    }
    return n;
}

int pg_load_row(store_conn *conn, const store_table *t, const char *const *values)
{
    pg_conn *c = pg_of(conn);
    size_t len = 1;
    for (size_t i = 0; i < t->ncols; i++)
        len += (values[i] ? 2 * strlen(values[i]) : 2) + 1;
    char *line = xmalloc(len);
    size_t at = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        if (i)
            line[at++] = '\t';
        at += put_value(line + at, values[i]);
    }
    line[at++] = '\n';
    int ok = PQputCopyData(c->db, line, (int)at) == 1;
    free(line);
    return ok ? 0 : pg_fail(c, NULL, t->name);
}

int pg_load_end(store_conn *conn, const store_table *t, bool keep)
{
    pg_conn *c = pg_of(conn);
    if (PQputCopyEnd(c->db, keep ? NULL : "the copy was abandoned") != 1) {
        drain(c);
        return pg_fail(c, NULL, t->name);
    }
    PGresult *r = PQgetResult(c->db);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : keep ? pg_fail(c, r, t->name) : -CRM_E_UNAVAILABLE;
    PQclear(r);
    drain(c);
    return rc;
}

/* What the contact's own writes keep from its rows (pg_sql.h), for every contact loaded: the
 * search document and the lists' copies in its row. */
int pg_rebuild_derived(store_conn *conn)
{
    static const char sql[] =
        "INSERT INTO contact_search (organization_id, contact_id, words, digits) "
        "SELECT c.organization_id, c.id, " PG_STORED_WORDS("c") ", " PG_STORED_DIGITS("c") " FROM contacts c "
        "ON CONFLICT (organization_id, contact_id) DO UPDATE SET words = excluded.words, "
        "digits = excluded.digits; "
        "UPDATE contacts c SET (" PG_LIST_COLS ") = (SELECT " PG_STORED_LISTS("c") ")";
    return pg_exec_simple(pg_of(conn), sql, "rebuilding the search document and the contacts' lists");
}

int pg_count_rows(store_conn *conn, const store_table *t, int64_t *n)
{
    pg_conn *c = pg_of(conn);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s%s", t->name, row_filter(t));
    PGresult *r = PQexec(c->db, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = pg_fail(c, r, t->name);
        PQclear(r);
        return rc;
    }
    *n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}
