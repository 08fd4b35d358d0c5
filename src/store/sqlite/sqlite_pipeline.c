/* SQLite store: pipelines and their stages (read with the stages ordered by position). */
#include <string.h>

#include "lib/errors.h"
#include "store/sqlite/sqlite_impl.h"

int sq_pipeline_insert(store_conn *sc, const crm_pipeline *p)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_PIPELINE_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, p->id);
    sq_bind_text(st, 2, p->org_id);
    sq_bind_text(st, 3, p->name);
    sq_bind_text(st, 4, p->description);
    sq_bind_text(st, 5, p->type);
    sqlite3_bind_int(st, 6, p->is_default);
    sqlite3_bind_int(st, 7, p->is_active);
    sq_bind_id(st, 8, p->created_by);
    sq_bind_id(st, 9, p->updated_by);
    sqlite3_bind_int64(st, 10, p->created_at);
    sqlite3_bind_int64(st, 11, p->updated_at);
    int rc = sq_step(c, SQ_PIPELINE_INSERT);
    sq_done(st);
    if (rc < 0)
        return rc;

    return sq_pipeline_write_stages(c, p);
}

/* Reads the stages of out (whose id and org_id are set). */
static int load_stages(sq_conn *c, arena *a, crm_pipeline *out)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_STAGE_LIST);
    size_t cap = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, out->org_id);
    sq_bind_text(st, 2, out->id);
    int rc;
    while ((rc = sq_step(c, SQ_STAGE_LIST)) == 1) {
        out->stages = sq_grow(a, out->stages, &cap, out->nstages, sizeof *out->stages);
        crm_stage *s = &out->stages[out->nstages++];
        memset(s, 0, sizeof *s);
        sq_col_id(st, 0, s->id);
        s->name = sq_col_str(a, st, 1);
        s->color = sq_col_str(a, st, 2);
        s->position = sqlite3_column_int(st, 3);
        s->is_active = sqlite3_column_int(st, 4) != 0;
    }
    sq_done(st);
    return rc < 0 ? rc : 0;
}

/* Reads a row of SQ_PIPELINE_COLS (without its stages). */
static void read_pipeline(sqlite3_stmt *st, arena *a, crm_pipeline *out)
{
    memset(out, 0, sizeof *out);
    sq_col_id(st, 0, out->id);
    sq_col_id(st, 1, out->org_id);
    out->name = sq_col_str(a, st, 2);
    out->description = sq_col_str(a, st, 3);
    out->type = sq_col_str(a, st, 4);
    out->is_default = sqlite3_column_int(st, 5) != 0;
    out->is_active = sqlite3_column_int(st, 6) != 0;
    sq_col_id(st, 7, out->created_by);
    sq_col_id(st, 8, out->updated_by);
    out->created_at = sqlite3_column_int64(st, 9);
    out->updated_at = sqlite3_column_int64(st, 10);
}

/* Runs a pipeline lookup whose parameters are ?1 org and ?2 key; reads the row and its stages. */
static int get_row(sq_conn *c, sq_stmt_id id, const char *org_id, const char *key, arena *a,
                   crm_pipeline *out)
{
    sqlite3_stmt *st = sq_stmt(c, id);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, key);
    int rc = sq_step(c, id);
    if (rc == 1) {
        read_pipeline(st, a, out);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_NOT_FOUND;
    }
    sq_done(st);
    return rc ? rc : load_stages(c, a, out);
}

static int get_one(sq_conn *c, sq_stmt_id id, const char *org_id, const char *key, arena *a,
                   crm_pipeline *out)
{
    int rc = sq_read_begin(c);
    if (rc)
        return rc;
    rc = get_row(c, id, org_id, key, a, out);
    sq_read_end(c);
    return rc;
}

int sq_pipeline_get(store_conn *c, const char *org_id, const char *pipeline_id, arena *a,
                    crm_pipeline *out)
{
    return get_one(sq_of(c), SQ_PIPELINE_GET, org_id, pipeline_id, a, out);
}

int sq_pipeline_get_default(store_conn *c, const char *org_id, const char *type, arena *a,
                            crm_pipeline *out)
{
    return get_one(sq_of(c), SQ_PIPELINE_GET_DEFAULT, org_id, type, a, out);
}

int sq_pipeline_get_by_stage(store_conn *sc, const char *org_id, const char *stage_id, arena *a,
                             crm_pipeline *out)
{
    sq_conn *c = sq_of(sc);
    objectid pipeline_id;
    sqlite3_stmt *st = sq_stmt(c, SQ_PIPELINE_ID_BY_STAGE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    int rc = sq_read_begin(c);
    if (rc)
        return rc;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, stage_id);
    rc = sq_step(c, SQ_PIPELINE_ID_BY_STAGE);
    if (rc == 1) {
        sq_col_id(st, 0, pipeline_id);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_NOT_FOUND;
    }
    sq_done(st);
    if (rc == 0)
        rc = get_row(c, SQ_PIPELINE_GET, org_id, pipeline_id, a, out);
    sq_read_end(c);
    return rc;
}

/* An org has a handful of pipelines: their stages are read pipeline by pipeline. */
int sq_pipeline_list(store_conn *sc, const char *org_id, const char *type, arena *a,
                     crm_pipeline **out, size_t *n)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_PIPELINE_LIST);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    int rc = sq_read_begin(c);
    if (rc)
        return rc;
    sq_bind_text(st, 1, org_id);
    sq_bind_id(st, 2, type);   /* NULL or "": every type */
    while ((rc = sq_step(c, SQ_PIPELINE_LIST)) == 1) {
        *out = sq_grow(a, *out, &cap, *n, sizeof **out);
        read_pipeline(st, a, &(*out)[(*n)++]);
    }
    sq_done(st);
    for (size_t i = 0; rc == 0 && i < *n; i++)
        rc = load_stages(c, a, &(*out)[i]);
    sq_read_end(c);
    if (rc < 0) {
        *out = NULL;
        *n = 0;
        return rc;
    }
    return 0;
}

int sq_pipeline_clear_default(store_conn *sc, const char *org_id, const char *type)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_PIPELINE_CLEAR_DEFAULT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, type);
    int rc = sq_step(c, SQ_PIPELINE_CLEAR_DEFAULT);
    sq_done(st);
    return rc < 0 ? rc : 0;
}
