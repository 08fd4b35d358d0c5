/* PostgreSQL store: bulk jobs (store version 10). Several servers may share the database: a
 * claim takes the oldest due job FOR UPDATE SKIP LOCKED and leases it, so exactly one server runs
 * a job at a time; a batch deletes its items in its own transaction, so no contact is done twice. */
#include <string.h>

#include "lib/errors.h"
#include "store/pg/pg_impl.h"

static const char *id_at(const void *arr, size_t i)
{
    return ((const objectid *)arr)[i];
}

static void read_job(const PGresult *r, int row, arena *a, crm_bulk_job *out)
{
    memset(out, 0, sizeof *out);
    pg_col_id(r, row, 0, out->org_id);
    pg_col_id(r, row, 1, out->id);
    pg_col_id(r, row, 2, out->user_id);
    out->kind = pg_col_str(a, r, row, 3);
    out->state = pg_col_str(a, r, row, 4);
    out->total = pg_col_int(r, row, 5);
    out->processed = pg_col_int(r, row, 6);
    out->error = pg_col_str(a, r, row, 7);
    out->lease_until = pg_col_int(r, row, 8);
    out->created_at = pg_col_int(r, row, 9);
    out->updated_at = pg_col_int(r, row, 10);
}

int pg_bulk_job_insert(store_conn *sc, const crm_bulk_job *j, const objectid *items, size_t n)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0};
    pg_p_text(&p, j->org_id);
    pg_p_text(&p, j->id);
    pg_p_text(&p, j->user_id);
    pg_p_text(&p, j->kind);
    pg_p_text(&p, j->state);
    pg_p_int(&p, j->total);
    pg_p_int(&p, j->processed);
    pg_p_text(&p, j->error);
    pg_p_int(&p, j->lease_until);
    pg_p_int(&p, j->created_at);
    pg_p_int(&p, j->updated_at);
    int rc = pg_exec(c, PG_BULK_JOB_INSERT, &p, NULL);
    if (rc || n == 0)
        return rc;
    arena *a = arena_new();
    pg_params q = {0};
    pg_p_text(&q, j->org_id);
    pg_p_text(&q, j->id);
    pg_p_array(&q, a, items, n, id_at);
    rc = pg_exec(c, PG_BULK_JOB_ITEMS_INSERT, &q, NULL);
    arena_destroy(a);
    return rc;
}

static int one_job(pg_conn *c, pg_stmt_id id, const pg_params *p, arena *a, crm_bulk_job *out)
{
    PGresult *r;
    int rc = pg_exec(c, id, p, &r);
    if (rc)
        return rc;
    rc = PQntuples(r) ? 0 : -CRM_E_NOT_FOUND;
    if (rc == 0)
        read_job(r, 0, a, out);
    PQclear(r);
    return rc;
}

int pg_bulk_job_get(store_conn *sc, const char *org_id, const char *job_id, arena *a, crm_bulk_job *out)
{
    pg_params p = {0};
    pg_p_text(&p, org_id);
    pg_p_text(&p, job_id);
    return one_job(pg_of(sc), PG_BULK_JOB_GET, &p, a, out);
}

int pg_bulk_job_claim(store_conn *sc, int64_t now, int64_t until, arena *a, crm_bulk_job *out)
{
    pg_params p = {0};
    pg_p_int(&p, now);
    pg_p_int(&p, until);
    return one_job(pg_of(sc), PG_BULK_JOB_CLAIM, &p, a, out);
}

int pg_bulk_job_items(store_conn *sc, const char *org_id, const char *job_id, int64_t limit, arena *a,
                      objectid **items, size_t *n)
{
    pg_params p = {0};
    PGresult *r;
    *items = NULL;
    *n = 0;
    pg_p_text(&p, org_id);
    pg_p_text(&p, job_id);
    pg_p_int(&p, limit);
    int rc = pg_exec(pg_of(sc), PG_BULK_JOB_ITEMS, &p, &r);
    if (rc)
        return rc;
    int rows = PQntuples(r);
    *items = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof **items);
    for (int i = 0; i < rows; i++)
        pg_col_id(r, i, 0, (*items)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return 0;
}

int pg_bulk_job_advance(store_conn *sc, const crm_bulk_job *j, const objectid *done, size_t n, int64_t *processed)
{
    arena *a = arena_new();
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, j->org_id);
    pg_p_text(&p, j->id);
    pg_p_array(&p, a, done, n, id_at);
    pg_p_text(&p, j->state);
    pg_p_text(&p, j->error);
    pg_p_int(&p, j->lease_until);
    pg_p_int(&p, j->updated_at);
    int rc = pg_exec(pg_of(sc), PG_BULK_JOB_ADVANCE, &p, &r);
    arena_destroy(a);
    if (rc)
        return rc;
    rc = PQntuples(r) ? 0 : -CRM_E_NOT_FOUND;
    if (rc == 0)
        *processed = pg_col_int(r, 0, 0);
    PQclear(r);
    return rc;
}

int pg_bulk_job_purge(store_conn *sc, int64_t before_ms, int64_t limit, int64_t *deleted)
{
    pg_params p = {0};
    PGresult *r;
    *deleted = 0;
    pg_p_int(&p, before_ms);
    pg_p_int(&p, limit);
    int rc = pg_exec(pg_of(sc), PG_BULK_JOB_PURGE, &p, &r);
    if (rc)
        return rc;
    *deleted = pg_col_int(r, 0, 0);
    PQclear(r);
    return 0;
}

static const char *contact_id_at(const void *arr, size_t i)
{
    return ((const crm_contact *)arr)[i].id;
}

static int64_t contact_version_at(const void *arr, size_t i)
{
    return ((const crm_contact *)arr)[i].version;
}

/* One statement for the whole batch; the rows it returns are the ones that moved. */
int pg_contact_move_many(store_conn *sc, const char *org_id, const crm_contact *cts, size_t n, const char *pipeline_id,
                         const char *stage_id, const char *status, int64_t updated_at, bool *moved)
{
    arena *a = arena_new();
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    pg_p_array(&p, a, cts, n, contact_id_at);
    pg_p_text(&p, pipeline_id);
    pg_p_text(&p, stage_id);
    pg_p_text(&p, status);
    pg_p_int(&p, updated_at);
    pg_p_ints(&p, a, cts, n, contact_version_at);
    int rc = pg_exec(pg_of(sc), PG_CONTACT_MOVE_MANY, &p, &r);
    arena_destroy(a);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        moved[i] = false;
    /* Each updated row names its place in the list (from 1). */
    for (int row = 0; row < PQntuples(r); row++) {
        int64_t i = pg_col_int(r, row, 0);
        if (i >= 1 && (size_t)i <= n)
            moved[i - 1] = true;
    }
    PQclear(r);
    return 0;
}
