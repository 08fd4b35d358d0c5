/* PostgreSQL store: CSV imports (store version 11). The rows of a file go in as arrays, a few
 * thousand per statement; a row's result is written in the unit of its contact, and the UPDATE
 * that writes it only matches a row without one, so two servers can never both do a row. */
#include <string.h>

#include "lib/errors.h"
#include "store/pg/pg_impl.h"

#define ROWS_PER_INSERT 4000

static void read_import(const PGresult *r, int row, arena *a, crm_import *out)
{
    memset(out, 0, sizeof *out);
    pg_col_id(r, row, 0, out->org_id);
    pg_col_id(r, row, 1, out->id);
    pg_col_id(r, row, 2, out->user_id);
    out->state = pg_col_str(a, r, row, 3);
    out->on_duplicate = pg_col_str(a, r, row, 4);
    out->dry_run = pg_col_bool(r, row, 5);
    out->file_name = pg_col_str(a, r, row, 6);
    out->error = pg_col_str(a, r, row, 7);
    out->total = pg_col_int(r, row, 8);
    out->created_at = pg_col_int(r, row, 9);
    out->finished_at = pg_col_int(r, row, 10);
    out->lease_until = pg_col_int(r, row, 11);
}

static void read_row(const PGresult *r, int row, arena *a, crm_import_row *out)
{
    memset(out, 0, sizeof *out);
    out->row = pg_col_int(r, row, 0);
    out->after_row = pg_col_int(r, row, 1);
    out->input_json = pg_col_str(a, r, row, 2);
    out->status = pg_col_str(a, r, row, 3);
    pg_col_id(r, row, 4, out->contact_id);
    out->error = pg_col_str(a, r, row, 5);
    out->field = pg_col_str(a, r, row, 6);
    out->value = pg_col_str(a, r, row, 7);
    out->message = pg_col_str(a, r, row, 8);
}

int pg_import_insert(store_conn *sc, const crm_import *imp)
{
    pg_params p = {0};
    pg_p_text(&p, imp->org_id);
    pg_p_text(&p, imp->id);
    pg_p_text(&p, imp->user_id);
    pg_p_text(&p, imp->state);
    pg_p_text(&p, imp->on_duplicate);
    pg_p_bool(&p, imp->dry_run);
    pg_p_text(&p, imp->file_name);
    pg_p_text(&p, imp->error);
    pg_p_int(&p, imp->total);
    pg_p_int(&p, imp->created_at);
    if (imp->finished_at)
        pg_p_int(&p, imp->finished_at);
    else
        pg_p_text(&p, NULL);
    pg_p_int(&p, imp->lease_until);
    return pg_exec(pg_of(sc), PG_IMPORT_INSERT, &p, NULL);
}

static int64_t row_number(const void *arr, size_t i) { return ((const crm_import_row *)arr)[i].row; }
static int64_t row_after(const void *arr, size_t i) { return ((const crm_import_row *)arr)[i].after_row; }
static const char *row_input(const void *arr, size_t i) { return ((const crm_import_row *)arr)[i].input_json; }

int pg_import_rows_insert(store_conn *sc, const char *org_id, const char *import_id, const crm_import_row *rows,
                          size_t n)
{
    arena *a = arena_new();
    int rc = 0;
    for (size_t at = 0; at < n && rc == 0; at += ROWS_PER_INSERT) {
        size_t k = n - at < ROWS_PER_INSERT ? n - at : ROWS_PER_INSERT;
        pg_params p = {0};
        pg_p_text(&p, org_id);
        pg_p_text(&p, import_id);
        pg_p_ints(&p, a, rows + at, k, row_number);
        pg_p_ints(&p, a, rows + at, k, row_after);
        pg_p_array(&p, a, rows + at, k, row_input);
        rc = pg_exec(pg_of(sc), PG_IMPORT_ROWS_INSERT, &p, NULL);
        arena_reset(a);
    }
    arena_destroy(a);
    return rc;
}

static int count_rows(pg_conn *c, crm_import *imp)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, imp->org_id);
    pg_p_text(&p, imp->id);
    int rc = pg_exec(c, PG_IMPORT_COUNTS, &p, &r);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *status = PQgetvalue(r, i, 0);
        int64_t n = pg_col_int(r, i, 1);
        imp->processed += n;
        *crm_import_count(imp, status) = n;
    }
    PQclear(r);
    return 0;
}

int pg_import_get(store_conn *sc, const char *org_id, const char *import_id, arena *a, crm_import *out)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    pg_p_text(&p, import_id);
    int rc = pg_exec(c, PG_IMPORT_GET, &p, &r);
    if (rc)
        return rc;
    rc = PQntuples(r) ? 0 : -CRM_E_NOT_FOUND;
    if (rc == 0)
        read_import(r, 0, a, out);
    PQclear(r);
    return rc ? rc : count_rows(c, out);
}

static int read_rows(pg_conn *c, pg_stmt_id id, const pg_params *p, arena *a, crm_import_row **out, size_t *n)
{
    PGresult *r;
    *out = NULL;
    *n = 0;
    int rc = pg_exec(c, id, p, &r);
    if (rc)
        return rc;
    int rows = PQntuples(r);
    *out = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof **out);
    for (int i = 0; i < rows; i++)
        read_row(r, i, a, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return 0;
}

int pg_import_rows_pending(store_conn *sc, const char *org_id, const char *import_id, bool dependent,
                           int64_t after_row, int64_t limit, arena *a, crm_import_row **out, size_t *n)
{
    pg_params p = {0};
    pg_p_text(&p, org_id);
    pg_p_text(&p, import_id);
    pg_p_int(&p, after_row);
    pg_p_bool(&p, dependent);
    pg_p_int(&p, limit);
    return read_rows(pg_of(sc), PG_IMPORT_ROWS_PENDING, &p, a, out, n);
}

int pg_import_row_done(store_conn *sc, const char *org_id, const char *import_id, const crm_import_row *row)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    pg_p_text(&p, import_id);
    pg_p_int(&p, row->row);
    pg_p_text(&p, row->status);
    pg_p_id(&p, row->contact_id);
    pg_p_text(&p, row->error);
    pg_p_text(&p, row->field);
    pg_p_text(&p, row->value);
    pg_p_text(&p, row->message);
    int rc = pg_exec(pg_of(sc), PG_IMPORT_ROW_DONE, &p, &r);
    if (rc)
        return rc;
    rc = pg_changed(r) ? 0 : -CRM_E_NOT_FOUND;
    PQclear(r);
    return rc;
}

int pg_import_rows_list(store_conn *sc, const char *org_id, const char *import_id, const char *status,
                        int64_t offset, int64_t limit, arena *a, crm_import_row **out, size_t *n, int64_t *total)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0};
    crm_import counts;
    pg_p_text(&p, org_id);
    pg_p_text(&p, import_id);
    pg_p_int(&p, limit);
    pg_p_int(&p, offset);
    if (status)
        pg_p_text(&p, status);
    int rc = read_rows(c, status ? PG_IMPORT_ROWS_LIST_STATUS : PG_IMPORT_ROWS_LIST, &p, a, out, n);
    if (rc)
        return rc;
    memset(&counts, 0, sizeof counts);
    snprintf(counts.org_id, sizeof counts.org_id, "%s", org_id);
    snprintf(counts.id, sizeof counts.id, "%s", import_id);
    if ((rc = count_rows(c, &counts)))
        return rc;
    *total = status ? *crm_import_count(&counts, status) : counts.processed;
    return 0;
}

static int update_import(pg_conn *c, pg_stmt_id id, const pg_params *p)
{
    PGresult *r;
    int rc = pg_exec(c, id, p, &r);
    if (rc)
        return rc;
    rc = pg_changed(r) ? 0 : -CRM_E_NOT_FOUND;
    PQclear(r);
    return rc;
}

int pg_import_finish(store_conn *sc, const char *org_id, const char *import_id, const char *state, const char *error,
                     int64_t finished_at)
{
    pg_params p = {0};
    pg_p_text(&p, org_id);
    pg_p_text(&p, import_id);
    pg_p_text(&p, state);
    pg_p_text(&p, error);
    pg_p_int(&p, finished_at);
    return update_import(pg_of(sc), PG_IMPORT_FINISH, &p);
}

int pg_import_renew(store_conn *sc, const char *org_id, const char *import_id, int64_t until)
{
    pg_params p = {0};
    pg_p_text(&p, org_id);
    pg_p_text(&p, import_id);
    pg_p_int(&p, until);
    return update_import(pg_of(sc), PG_IMPORT_RENEW, &p);
}

/* SKIP LOCKED: two servers claiming at once take different imports (or one takes none). */
int pg_import_claim(store_conn *sc, int64_t now, int64_t until, arena *a, crm_import *out)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0};
    PGresult *r;
    objectid org_id, id;
    pg_p_int(&p, now);
    pg_p_int(&p, until);
    int rc = pg_exec(c, PG_IMPORT_CLAIM, &p, &r);
    if (rc)
        return rc;
    if (!PQntuples(r)) {
        PQclear(r);
        return -CRM_E_NOT_FOUND;
    }
    pg_col_id(r, 0, 0, org_id);
    pg_col_id(r, 0, 1, id);
    PQclear(r);
    return pg_import_get(sc, org_id, id, a, out);
}

/* Rows first (a batch), then the imports they emptied, in two statements: the second must see
 * what the first deleted. */
int pg_import_purge(store_conn *sc, int64_t before_ms, int64_t limit, int64_t *deleted)
{
    pg_conn *c = pg_of(sc);
    *deleted = 0;
    for (int step = 0; step < 2; step++) {
        pg_params p = {0};
        PGresult *r;
        pg_p_int(&p, before_ms);
        if (step == 0)
            pg_p_int(&p, limit);
        int rc = pg_exec(c, step == 0 ? PG_IMPORT_PURGE_ROWS : PG_IMPORT_PURGE_EMPTY, &p, &r);
        if (rc)
            return rc;
        *deleted += pg_col_int(r, 0, 0);
        PQclear(r);
    }
    return 0;
}
