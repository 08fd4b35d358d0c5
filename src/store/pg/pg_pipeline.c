/* PostgreSQL store: pipelines and their stages. A pipeline is read in one statement that joins
 * its stages (pg_sql.h); in a unit of work it is read under the organization's shared pipeline
 * lock, and changed under the exclusive one (pg.c explains why). */
#include <string.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "store/pg/pg_impl.h"

/* The pipeline of the rows [from, to) of a PG_PIPELINE_WITH_STAGES result (one per stage). */
static void read_pipeline(const PGresult *r, int from, int to, arena *a, crm_pipeline *out)
{
    memset(out, 0, sizeof *out);
    pg_col_id(r, from, 0, out->id);
    pg_col_id(r, from, 1, out->org_id);
    out->name = pg_col_str(a, r, from, 2);
    out->description = pg_col_str(a, r, from, 3);
    out->type = pg_col_str(a, r, from, 4);
    out->is_default = pg_col_bool(r, from, 5);
    out->is_active = pg_col_bool(r, from, 6);
    pg_col_id(r, from, 7, out->created_by);
    pg_col_id(r, from, 8, out->updated_by);
    out->created_at = pg_col_int(r, from, 9);
    out->updated_at = pg_col_int(r, from, 10);
    int n = PQgetisnull(r, from, 11) ? 0 : to - from;
    out->stages = arena_alloc(a, (size_t)(n ? n : 1) * sizeof *out->stages);
    for (int i = 0; i < n; i++) {
        crm_stage *s = &out->stages[i];
        pg_col_id(r, from + i, 11, s->id);
        s->name = pg_col_str(a, r, from + i, 12);
        s->color = pg_col_str(a, r, from + i, 13);
        s->position = (int)pg_col_int(r, from + i, 14);
        s->is_active = pg_col_bool(r, from + i, 15);
    }
    out->nstages = (size_t)n;
}

static int get_one(pg_conn *c, pg_stmt_id id, const char *org_id, const char *key, arena *a, crm_pipeline *out)
{
    pg_params p = {0};
    PGresult *r = NULL;
    int rc = pg_lock(c, PG_LOCK_PIPELINES_SHARED, org_id, NULL, NULL);
    if (rc)
        return rc;
    pg_p_text(&p, org_id);
    pg_p_text(&p, key);
    if (c->ahead && c->in_unit) {
        /* The number's check goes in the same round trip, after the read: its lock comes after
         * the pipeline lock, as in every unit. */
        c->ahead = false;
        if ((rc = pg_exec_later_result(c, id, &p, &r)) == 0)
            rc = pg_number_check(c, c->ahead_org, c->ahead_e164);
        rc = rc > 0 ? 0 : rc;   /* the check's answer stays known (pg_org.c) */
    } else
        rc = pg_exec(c, id, &p, &r);
    if (rc) {
        PQclear(r);
        return rc;
    }
    int rows = PQntuples(r);
    if (rows)
        read_pipeline(r, 0, rows, a, out);
    PQclear(r);
    return rows ? 0 : -CRM_E_NOT_FOUND;
}

int pg_pipeline_get(store_conn *c, const char *org_id, const char *pipeline_id, arena *a, crm_pipeline *out)
{
    return get_one(pg_of(c), PG_PIPELINE_GET, org_id, pipeline_id, a, out);
}

int pg_pipeline_get_default(store_conn *c, const char *org_id, const char *type, arena *a, crm_pipeline *out)
{
    return get_one(pg_of(c), PG_PIPELINE_GET_DEFAULT, org_id, type, a, out);
}

int pg_pipeline_get_by_stage(store_conn *c, const char *org_id, const char *stage_id, arena *a, crm_pipeline *out)
{
    return get_one(pg_of(c), PG_PIPELINE_GET_BY_STAGE, org_id, stage_id, a, out);
}

int pg_pipeline_list(store_conn *sc, const char *org_id, const char *type, arena *a, crm_pipeline **out, size_t *n)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    pg_p_text(&p, type && *type ? type : NULL);   /* none or "": every type */
    int rc = pg_exec(pg_of(sc), PG_PIPELINE_LIST, &p, &r);
    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    int rows = PQntuples(r), count = 0;
    *out = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof **out);
    for (int from = 0; from < rows;) {
        int to = from + 1;
        while (to < rows && strcmp(PQgetvalue(r, to, 0), PQgetvalue(r, from, 0)) == 0)
            to++;
        read_pipeline(r, from, to, a, &(*out)[count++]);
        from = to;
    }
    *n = (size_t)count;
    PQclear(r);
    return 0;
}

static const char *stage_id(const void *arr, size_t i) { return ((const crm_stage *)arr)[i].id; }
static const char *stage_name(const void *arr, size_t i) { return ((const crm_stage *)arr)[i].name; }
static const char *stage_color(const void *arr, size_t i) { return ((const crm_stage *)arr)[i].color; }
static int64_t stage_position(const void *arr, size_t i) { return ((const crm_stage *)arr)[i].position; }
static int64_t stage_active(const void *arr, size_t i) { return ((const crm_stage *)arr)[i].is_active; }

/* Inserts the stages of p, or updates those it already has (by id); a stage id of another
 * pipeline is refused (logged, UNAVAILABLE). */
static int write_stages(pg_conn *c, const crm_pipeline *p)
{
    if (!p->nstages)
        return 0;
    arena *a = arena_new();
    pg_params q = {0};
    PGresult *r;
    pg_p_text(&q, p->org_id);
    pg_p_text(&q, p->id);
    pg_p_array(&q, a, p->stages, p->nstages, stage_id);
    pg_p_array(&q, a, p->stages, p->nstages, stage_name);
    pg_p_array(&q, a, p->stages, p->nstages, stage_color);
    pg_p_ints(&q, a, p->stages, p->nstages, stage_position);
    pg_p_bools(&q, a, p->stages, p->nstages, stage_active);
    int rc = pg_exec(c, PG_STAGE_UPSERT, &q, &r);
    arena_destroy(a);
    if (rc)
        return rc;
    if (pg_changed(r) != (int64_t)p->nstages) {
        /* An id is a stage of another pipeline of the org: the service never sends one. */
        log_error("store: a stage of pipeline %s belongs to another pipeline", p->id);
        rc = -CRM_E_UNAVAILABLE;
    }
    PQclear(r);
    return rc;
}

static void pipeline_params(pg_params *q, const crm_pipeline *p)
{
    pg_p_text(q, p->org_id);
    pg_p_text(q, p->id);
    pg_p_text(q, p->name);
    pg_p_text(q, p->description);
}

int pg_pipeline_insert(store_conn *sc, const crm_pipeline *p)
{
    pg_conn *c = pg_of(sc);
    pg_params q = {0};
    int rc = pg_lock(c, PG_LOCK_PIPELINES, p->org_id, NULL, NULL);
    if (rc)
        return rc;
    pg_p_text(&q, p->id);
    pg_p_text(&q, p->org_id);
    pg_p_text(&q, p->name);
    pg_p_text(&q, p->description);
    pg_p_text(&q, p->type);
    pg_p_bool(&q, p->is_default);
    pg_p_bool(&q, p->is_active);
    pg_p_id(&q, p->created_by);
    pg_p_id(&q, p->updated_by);
    pg_p_int(&q, p->created_at);
    pg_p_int(&q, p->updated_at);
    if ((rc = pg_exec(c, PG_PIPELINE_INSERT, &q, NULL)))
        return rc;
    return write_stages(c, p);
}

int pg_pipeline_clear_default(store_conn *sc, const char *org_id, const char *type)
{
    pg_conn *c = pg_of(sc);
    pg_params q = {0};
    int rc = pg_lock(c, PG_LOCK_PIPELINES, org_id, NULL, NULL);
    if (rc)
        return rc;
    pg_p_text(&q, org_id);
    pg_p_text(&q, type);
    return pg_exec(c, PG_PIPELINE_CLEAR_DEFAULT, &q, NULL);
}

int pg_pipeline_update(store_conn *sc, const crm_pipeline *p)
{
    pg_conn *c = pg_of(sc);
    pg_params q = {0};
    PGresult *r;
    int rc = pg_lock(c, PG_LOCK_PIPELINES, p->org_id, NULL, NULL);
    if (rc)
        return rc;
    pipeline_params(&q, p);
    pg_p_bool(&q, p->is_default);
    pg_p_bool(&q, p->is_active);
    pg_p_id(&q, p->updated_by);
    pg_p_int(&q, p->updated_at);
    if ((rc = pg_exec(c, PG_PIPELINE_UPDATE, &q, &r)))
        return rc;
    int64_t changed = pg_changed(r);
    PQclear(r);
    return changed ? write_stages(c, p) : -CRM_E_NOT_FOUND;
}

/* The caller has moved the pipeline's contacts away first, under the same exclusive lock, so
 * none can be left: one that is refuses the delete (UNAVAILABLE, logged), as SQLite's foreign key
 * does (contacts have none here: migration 8). */
int pg_pipeline_delete(store_conn *sc, const char *org_id, const char *pipeline_id)
{
    pg_conn *c = pg_of(sc);
    int rc = pg_lock(c, PG_LOCK_PIPELINES, org_id, NULL, NULL);
    if (rc)
        return rc;
    int64_t n = pg_run2(c, PG_PIPELINE_HAS_CONTACTS, org_id, pipeline_id);
    if (n > 0) {
        log_error("store: pipeline %s still has contacts; it is not deleted", pipeline_id);
        return -CRM_E_UNAVAILABLE;
    }
    if (n == 0)
        n = pg_run2(c, PG_PIPELINE_DELETE, org_id, pipeline_id);
    return n < 0 ? (int)n : n ? 0 : -CRM_E_NOT_FOUND;
}
