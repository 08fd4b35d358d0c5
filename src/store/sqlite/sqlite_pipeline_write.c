/* SQLite store: changing and deleting pipelines. An update writes the pipeline's row and upserts
 * every stage it carries by id; stages are never deleted by an update (they are deactivated). */
#include <string.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "store/sqlite/sqlite_impl.h"

int sq_pipeline_write_stages(sq_conn *c, const crm_pipeline *p)
{
    sqlite3_stmt *st = p->nstages ? sq_stmt(c, SQ_STAGE_UPSERT) : NULL;
    if (p->nstages && !st)
        return -CRM_E_UNAVAILABLE;
    for (size_t i = 0; i < p->nstages; i++) {
        const crm_stage *s = &p->stages[i];
        sq_bind_text(st, 1, p->org_id);
        sq_bind_text(st, 2, s->id);
        sq_bind_text(st, 3, p->id);
        sq_bind_text(st, 4, s->name);
        sq_bind_text(st, 5, s->color);
        sqlite3_bind_int(st, 6, s->position);
        sqlite3_bind_int(st, 7, s->is_active);
        int rc = sq_step(c, SQ_STAGE_UPSERT);
        sq_done(st);
        if (rc < 0)
            return rc;
        if (sqlite3_changes(c->db) == 0) {
            /* The id is a stage of another pipeline of the org: the service never sends one. */
            log_error("store: stage %s belongs to another pipeline than %s", s->id, p->id);
            return -CRM_E_UNAVAILABLE;
        }
    }
    return 0;
}

int sq_pipeline_update(store_conn *sc, const crm_pipeline *p)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_PIPELINE_UPDATE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, p->org_id);
    sq_bind_text(st, 2, p->id);
    sq_bind_text(st, 3, p->name);
    sq_bind_text(st, 4, p->description);
    sqlite3_bind_int(st, 5, p->is_default);
    sqlite3_bind_int(st, 6, p->is_active);
    sq_bind_id(st, 7, p->updated_by);
    sqlite3_bind_int64(st, 8, p->updated_at);
    int rc = sq_step(c, SQ_PIPELINE_UPDATE);
    sq_done(st);
    if (rc < 0)
        return rc;
    if (sqlite3_changes(c->db) == 0)
        return -CRM_E_NOT_FOUND;
    return sq_pipeline_write_stages(c, p);
}

/* The caller has moved the pipeline's contacts away first: a contact still on one of its stages
 * makes the foreign key refuse (UNAVAILABLE, logged). */
int sq_pipeline_delete(store_conn *sc, const char *org_id, const char *pipeline_id)
{
    static const sq_stmt_id steps[] = {SQ_PIPELINE_STAGES_DELETE, SQ_PIPELINE_DELETE};
    sq_conn *c = sq_of(sc);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof steps / sizeof steps[0]; i++) {
        sqlite3_stmt *st = sq_stmt(c, steps[i]);
        if (!st)
            return -CRM_E_UNAVAILABLE;
        sq_bind_text(st, 1, org_id);
        sq_bind_text(st, 2, pipeline_id);
        rc = sq_step(c, steps[i]);
        sq_done(st);
        rc = rc < 0 ? rc : 0;
    }
    if (rc == 0 && sqlite3_changes(c->db) == 0)
        rc = -CRM_E_NOT_FOUND;
    return rc;
}
