/* SQLite store: CSV imports (store version 11). An import keeps every row of its file with the
 * row's result; a row's result is written in the unit that creates or changes its contact. */
#include <stdio.h>
#include <string.h>

#include "lib/errors.h"
#include "store/sqlite/sqlite_impl.h"

static void read_import(sqlite3_stmt *st, arena *a, crm_import *out)
{
    memset(out, 0, sizeof *out);
    sq_col_id(st, 0, out->org_id);
    sq_col_id(st, 1, out->id);
    sq_col_id(st, 2, out->user_id);
    out->state = sq_col_str(a, st, 3);
    out->on_duplicate = sq_col_str(a, st, 4);
    out->dry_run = sqlite3_column_int(st, 5) != 0;
    out->file_name = sq_col_str(a, st, 6);
    out->error = sq_col_str(a, st, 7);
    out->total = sqlite3_column_int64(st, 8);
    out->created_at = sqlite3_column_int64(st, 9);
    out->finished_at = sqlite3_column_int64(st, 10);
    out->lease_until = sqlite3_column_int64(st, 11);
}

static void read_row(sqlite3_stmt *st, arena *a, crm_import_row *out)
{
    memset(out, 0, sizeof *out);
    out->row = sqlite3_column_int64(st, 0);
    out->after_row = sqlite3_column_int64(st, 1);
    out->input_json = sq_col_str(a, st, 2);
    out->status = sq_col_str(a, st, 3);
    sq_col_id(st, 4, out->contact_id);
    out->error = sq_col_str(a, st, 5);
    out->field = sq_col_str(a, st, 6);
    out->value = sq_col_str(a, st, 7);
    out->message = sq_col_str(a, st, 8);
}

int sq_import_insert(store_conn *sc, const crm_import *imp)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_IMPORT_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, imp->org_id);
    sq_bind_text(st, 2, imp->id);
    sq_bind_text(st, 3, imp->user_id);
    sq_bind_text(st, 4, imp->state);
    sq_bind_text(st, 5, imp->on_duplicate);
    sqlite3_bind_int(st, 6, imp->dry_run);
    sq_bind_text(st, 7, imp->file_name);
    sq_bind_text(st, 8, imp->error);
    sqlite3_bind_int64(st, 9, imp->total);
    sqlite3_bind_int64(st, 10, imp->created_at);
    if (imp->finished_at)
        sqlite3_bind_int64(st, 11, imp->finished_at);
    sqlite3_bind_int64(st, 12, imp->lease_until);
    int rc = sq_step(c, SQ_IMPORT_INSERT);
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_import_rows_insert(store_conn *sc, const char *org_id, const char *import_id, const crm_import_row *rows,
                          size_t n)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_IMPORT_ROW_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    for (size_t i = 0; i < n; i++) {
        sq_bind_text(st, 1, org_id);
        sq_bind_text(st, 2, import_id);
        sqlite3_bind_int64(st, 3, rows[i].row);
        sqlite3_bind_int64(st, 4, rows[i].after_row);
        sq_bind_text(st, 5, rows[i].input_json);
        int rc = sq_step(c, SQ_IMPORT_ROW_INSERT);
        sq_done(st);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int count_rows(sq_conn *c, crm_import *imp)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_IMPORT_COUNTS);
    int rc;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, imp->org_id);
    sq_bind_text(st, 2, imp->id);
    while ((rc = sq_step(c, SQ_IMPORT_COUNTS)) == 1) {
        const char *status = (const char *)sqlite3_column_text(st, 0);
        int64_t n = sqlite3_column_int64(st, 1);
        imp->processed += n;
        *crm_import_count(imp, status) = n;
    }
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_import_get(store_conn *sc, const char *org_id, const char *import_id, arena *a, crm_import *out)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_IMPORT_GET);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    int rc = sq_read_begin(c);   /* the import and its counts from one snapshot */
    if (rc)
        return rc;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, import_id);
    rc = sq_step(c, SQ_IMPORT_GET);
    if (rc == 1) {
        read_import(st, a, out);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_NOT_FOUND;
    }
    sq_done(st);
    if (rc == 0)
        rc = count_rows(c, out);
    sq_read_end(c);
    return rc;
}

static int list_rows(sq_conn *c, sq_stmt_id id, sqlite3_stmt *st, arena *a, crm_import_row **out, size_t *n)
{
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    while ((rc = sq_step(c, id)) == 1) {
        *out = sq_grow(a, *out, &cap, *n, sizeof **out);
        read_row(st, a, &(*out)[(*n)++]);
    }
    sq_done(st);
    if (rc < 0) {
        *out = NULL;
        *n = 0;
        return rc;
    }
    return 0;
}

int sq_import_rows_pending(store_conn *sc, const char *org_id, const char *import_id, bool dependent,
                           int64_t after_row, int64_t limit, arena *a, crm_import_row **out, size_t *n)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_IMPORT_ROWS_PENDING);
    *out = NULL;
    *n = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, import_id);
    sqlite3_bind_int64(st, 3, after_row);
    sqlite3_bind_int(st, 4, dependent);
    sqlite3_bind_int64(st, 5, limit);
    return list_rows(c, SQ_IMPORT_ROWS_PENDING, st, a, out, n);
}

int sq_import_row_done(store_conn *sc, const char *org_id, const char *import_id, const crm_import_row *r)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_IMPORT_ROW_DONE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, import_id);
    sqlite3_bind_int64(st, 3, r->row);
    sq_bind_text(st, 4, r->status);
    sq_bind_id(st, 5, r->contact_id);
    sq_bind_text(st, 6, r->error);
    sq_bind_text(st, 7, r->field);
    sq_bind_text(st, 8, r->value);
    sq_bind_text(st, 9, r->message);
    int rc = sq_step(c, SQ_IMPORT_ROW_DONE);
    sq_done(st);
    if (rc < 0)
        return rc;
    return sqlite3_changes(c->db) ? 0 : -CRM_E_NOT_FOUND;
}

int sq_import_rows_list(store_conn *sc, const char *org_id, const char *import_id, const char *status,
                        int64_t offset, int64_t limit, arena *a, crm_import_row **out, size_t *n, int64_t *total)
{
    sq_conn *c = sq_of(sc);
    sq_stmt_id id = status ? SQ_IMPORT_ROWS_LIST_STATUS : SQ_IMPORT_ROWS_LIST;
    crm_import counts;
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = sq_read_begin(c)))   /* the page and the total from one snapshot */
        return rc;
    memset(&counts, 0, sizeof counts);
    snprintf(counts.org_id, sizeof counts.org_id, "%s", org_id);
    snprintf(counts.id, sizeof counts.id, "%s", import_id);
    sqlite3_stmt *st = sq_stmt(c, id);
    if (!st) {
        rc = -CRM_E_UNAVAILABLE;
        goto done;
    }
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, import_id);
    sqlite3_bind_int64(st, 3, limit);
    sqlite3_bind_int64(st, 4, offset);
    if (status)
        sq_bind_text(st, 5, status);
    if ((rc = list_rows(c, id, st, a, out, n)) || (rc = count_rows(c, &counts)))
        goto done;
    *total = status ? *crm_import_count(&counts, status) : counts.processed;
done:
    sq_read_end(c);
    return rc;
}

int sq_import_finish(store_conn *sc, const char *org_id, const char *import_id, const char *state, const char *error,
                     int64_t finished_at)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_IMPORT_FINISH);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, import_id);
    sq_bind_text(st, 3, state);
    sq_bind_text(st, 4, error);
    sqlite3_bind_int64(st, 5, finished_at);
    int rc = sq_step(c, SQ_IMPORT_FINISH);
    sq_done(st);
    if (rc < 0)
        return rc;
    return sqlite3_changes(c->db) ? 0 : -CRM_E_NOT_FOUND;
}

int sq_import_renew(store_conn *sc, const char *org_id, const char *import_id, int64_t until)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_IMPORT_RENEW);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, import_id);
    sqlite3_bind_int64(st, 3, until);
    int rc = sq_step(c, SQ_IMPORT_RENEW);
    sq_done(st);
    if (rc < 0)
        return rc;
    return sqlite3_changes(c->db) ? 0 : -CRM_E_NOT_FOUND;
}

/* The single writer makes the find and the renew one step: no other unit runs in between. */
int sq_import_claim(store_conn *sc, int64_t now, int64_t until, arena *a, crm_import *out)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_IMPORT_CLAIM_FIND);
    objectid org_id, id;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sqlite3_bind_int64(st, 1, now);
    int rc = sq_step(c, SQ_IMPORT_CLAIM_FIND);
    if (rc == 1) {
        sq_col_id(st, 0, org_id);
        sq_col_id(st, 1, id);
    }
    sq_done(st);
    if (rc <= 0)
        return rc < 0 ? rc : -CRM_E_NOT_FOUND;
    if ((rc = sq_import_renew(sc, org_id, id, until)))
        return rc;
    return sq_import_get(sc, org_id, id, a, out);
}

int sq_savepoint(store_conn *sc, int step)
{
    sq_conn *c = sq_of(sc);
    if (step == 0)
        return sq_exec(c, SQ_PART_BEGIN);
    if (step == 2) {
        int rc = sq_exec(c, SQ_PART_UNDO);
        if (rc)
            return rc;
    }
    return sq_exec(c, SQ_PART_KEEP);   /* after ROLLBACK TO, the savepoint is still open */
}

/* Rows first (a batch), then the imports they emptied: each statement is bounded. */
int sq_import_purge(store_conn *sc, int64_t before_ms, int64_t limit, int64_t *deleted)
{
    sq_conn *c = sq_of(sc);
    static const sq_stmt_id steps[] = {SQ_IMPORT_PURGE_ROWS, SQ_IMPORT_PURGE_EMPTY};
    *deleted = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        sqlite3_stmt *st = sq_stmt(c, steps[i]);
        if (!st)
            return -CRM_E_UNAVAILABLE;
        sqlite3_bind_int64(st, 1, before_ms);
        if (steps[i] == SQ_IMPORT_PURGE_ROWS)
            sqlite3_bind_int64(st, 2, limit);
        int rc = sq_step(c, steps[i]);
        sq_done(st);
        if (rc < 0)
            return rc;
        *deleted += sqlite3_changes(c->db);
    }
    return 0;
}
