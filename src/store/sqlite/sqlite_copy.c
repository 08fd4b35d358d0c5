/* The SQLite side of copying an installation (store/copy.c): a dump of the tables from one read
 * transaction, a load through one prepared INSERT per table, and the rebuild of the search index
 * and access lists that migrations 2 and 4 derive from contacts. The SQL is assembled from the
 * compiled-in table list only; every value is bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "store/sqlite/sqlite_impl.h"

#define SQL_MAX 2048
#define MAX_COLS 64

/* The table's column names, "a, b, c", into buf. */
static sqlite3_stmt *prepare(sq_conn *c, const char *sql, const char *table)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("store: copying %s: %s", table, sqlite3_errmsg(c->db));
        return NULL;
    }
    return st;
}

static int dump_table(sq_conn *c, const store_table *t, size_t index, store_row_fn fn, void *ctx)
{
    char cols[SQL_MAX / 2], sql[SQL_MAX];
    if (t->ncols > MAX_COLS)
        return -CRM_E_UNAVAILABLE;
    store_table_columns(t, "", cols, sizeof cols);
    snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s", cols, t->name, t->key);
    sqlite3_stmt *st = prepare(c, sql, t->name);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    const char *values[MAX_COLS];
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        for (size_t i = 0; i < t->ncols; i++)
            values[i] = (const char *)sqlite3_column_text(st, (int)i);
        rc = fn(ctx, index, values);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = sq_fail(c, t->name);
    sqlite3_finalize(st);
    return rc;
}

int sq_dump(store_conn *conn, const store_table *tables, size_t n, store_row_fn fn, void *ctx)
{
    sq_conn *c = sq_of(conn);
    if (sq_read_begin(c))
        return -CRM_E_UNAVAILABLE;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = dump_table(c, &tables[i], i, fn, ctx);
    sq_read_end(c);
    return rc;
}

int sq_load_begin(store_conn *conn, const store_table *t)
{
    sq_conn *c = sq_of(conn);
    char cols[SQL_MAX / 2], params[SQL_MAX / 4], sql[SQL_MAX];
    store_table_columns(t, "", cols, sizeof cols);
    size_t at = 0;
    for (size_t i = 0; i < t->ncols && at < sizeof params; i++)
        at += (size_t)snprintf(params + at, sizeof params - at, "%s?", i ? ", " : "");
    snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES (%s)", t->name, cols, params);
    sqlite3_finalize(c->load);
    c->load = prepare(c, sql, t->name);
    return c->load ? 0 : -CRM_E_UNAVAILABLE;
}

int sq_load_row(store_conn *conn, const store_table *t, const char *const *values)
{
    sq_conn *c = sq_of(conn);
    sqlite3_stmt *st = c->load;
    for (size_t i = 0; i < t->ncols; i++) {
        int at = (int)i + 1;
        if (!values[i])
            sqlite3_bind_null(st, at);
        else if (t->cols[i].kind == STORE_COL_TEXT)
            sqlite3_bind_text(st, at, values[i], -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, at, strtoll(values[i], NULL, 10));
    }
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -CRM_E_UNAVAILABLE;
    if (rc)
        log_error("store: copying a row of %s: %s", t->name, sqlite3_errmsg(c->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

int sq_load_end(store_conn *conn, const store_table *t, bool keep)
{
    (void)t;
    (void)keep;   /* the rows loaded go with the unit of work */
    sq_conn *c = sq_of(conn);
    sqlite3_finalize(c->load);
    c->load = NULL;
    return 0;
}

/* contact_counts follows the contacts inserted (its triggers); the rest is built here, as
 * migration 2 built it for the contacts of that day. */
int sq_rebuild_derived(store_conn *conn)
{
    static const char sql[] = SQ_SEARCH_ROWS_INSERT("1 ORDER BY c.created_at, c.id") ";"
                              SQ_SEARCH_INSERT("1") ";"
                              SQ_ACCESS_INSERT("1", "1") ";";
    sq_conn *c = sq_of(conn);
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sq_fail(c, "rebuilding the search index");
    return 0;
}

int sq_count_rows(store_conn *conn, const store_table *t, int64_t *n)
{
    sq_conn *c = sq_of(conn);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", t->name);
    sqlite3_stmt *st = prepare(c, sql, t->name);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : sq_fail(c, t->name);
    *n = rc ? 0 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}
