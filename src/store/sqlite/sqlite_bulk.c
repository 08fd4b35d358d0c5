/* SQLite store: bulk jobs (store version 10). The single writer makes a claim a plain read and
 * update; lists of contact ids travel to SQLite as JSON arrays (json_each). */
#include <stdio.h>
#include <string.h>

#include "lib/errors.h"
#include "store/sqlite/sqlite_impl.h"

/* ["id", ...] of n ids, in the arena. */
static char *ids_json(arena *a, const objectid *ids, size_t n)
{
    char *s = arena_alloc(a, n * (OBJECTID_LEN + 3) + 3), *p = s;
    *p++ = '[';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s\"%s\"", i ? "," : "", ids[i]);
    strcpy(p, "]");
    return s;
}

static void read_job(sqlite3_stmt *st, arena *a, crm_bulk_job *out)
{
    memset(out, 0, sizeof *out);
    sq_col_id(st, 0, out->org_id);
    sq_col_id(st, 1, out->id);
    sq_col_id(st, 2, out->user_id);
    out->kind = sq_col_str(a, st, 3);
    out->state = sq_col_str(a, st, 4);
    out->total = sqlite3_column_int64(st, 5);
    out->processed = sqlite3_column_int64(st, 6);
    out->error = sq_col_str(a, st, 7);
    out->lease_until = sqlite3_column_int64(st, 8);
    out->created_at = sqlite3_column_int64(st, 9);
    out->updated_at = sqlite3_column_int64(st, 10);
}

int sq_bulk_job_insert(store_conn *sc, const crm_bulk_job *j, const objectid *items, size_t n)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_BULK_JOB_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, j->org_id);
    sq_bind_text(st, 2, j->id);
    sq_bind_text(st, 3, j->user_id);
    sq_bind_text(st, 4, j->kind);
    sq_bind_text(st, 5, j->state);
    sqlite3_bind_int64(st, 6, j->total);
    sqlite3_bind_int64(st, 7, j->processed);
    sq_bind_text(st, 8, j->error);
    sqlite3_bind_int64(st, 9, j->lease_until);
    sqlite3_bind_int64(st, 10, j->created_at);
    sqlite3_bind_int64(st, 11, j->updated_at);
    int rc = sq_step(c, SQ_BULK_JOB_INSERT);
    sq_done(st);
    if (rc < 0 || n == 0)
        return rc < 0 ? rc : 0;
    if (!(st = sq_stmt(c, SQ_BULK_JOB_ITEMS_INSERT)))
        return -CRM_E_UNAVAILABLE;
    arena *a = arena_new();
    sq_bind_text(st, 1, j->org_id);
    sq_bind_text(st, 2, j->id);
    sq_bind_text(st, 3, ids_json(a, items, n));
    rc = sq_step(c, SQ_BULK_JOB_ITEMS_INSERT);
    sq_done(st);
    arena_destroy(a);
    return rc < 0 ? rc : 0;
}

int sq_bulk_job_get(store_conn *sc, const char *org_id, const char *job_id, arena *a, crm_bulk_job *out)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_BULK_JOB_GET);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, job_id);
    int rc = sq_step(c, SQ_BULK_JOB_GET);
    if (rc == 1)
        read_job(st, a, out);
    sq_done(st);
    return rc < 0 ? rc : rc ? 0 : -CRM_E_NOT_FOUND;
}

int sq_bulk_job_claim(store_conn *sc, int64_t now, int64_t until, arena *a, crm_bulk_job *out)
{
    sq_conn *c = sq_of(sc);
    objectid org_id, job_id;
    sqlite3_stmt *st = sq_stmt(c, SQ_BULK_JOB_DUE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sqlite3_bind_int64(st, 1, now);
    int rc = sq_step(c, SQ_BULK_JOB_DUE);
    if (rc == 1) {
        sq_col_id(st, 0, org_id);
        sq_col_id(st, 1, job_id);
    }
    sq_done(st);
    if (rc <= 0)
        return rc < 0 ? rc : -CRM_E_NOT_FOUND;
    if (!(st = sq_stmt(c, SQ_BULK_JOB_LEASE)))
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, job_id);
    sqlite3_bind_int64(st, 3, until);
    rc = sq_step(c, SQ_BULK_JOB_LEASE);
    sq_done(st);
    return rc < 0 ? rc : sq_bulk_job_get(sc, org_id, job_id, a, out);
}

int sq_bulk_job_items(store_conn *sc, const char *org_id, const char *job_id, int64_t limit, arena *a,
                      objectid **items, size_t *n)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_BULK_JOB_ITEMS);
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, job_id);
    sqlite3_bind_int64(st, 3, limit);
    int rc;
    while ((rc = sq_step(c, SQ_BULK_JOB_ITEMS)) == 1) {
        *items = sq_grow(a, *items, &cap, *n, sizeof **items);
        sq_col_id(st, 0, (*items)[(*n)++]);
    }
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_bulk_job_advance(store_conn *sc, const crm_bulk_job *j, const objectid *done, size_t n, int64_t *processed)
{
    sq_conn *c = sq_of(sc);
    int64_t gone = 0;
    int rc = 0;
    sqlite3_stmt *st;
    if (n) {
        if (!(st = sq_stmt(c, SQ_BULK_JOB_ITEMS_DONE)))
            return -CRM_E_UNAVAILABLE;
        arena *a = arena_new();
        sq_bind_text(st, 1, j->org_id);
        sq_bind_text(st, 2, j->id);
        sq_bind_text(st, 3, ids_json(a, done, n));
        rc = sq_step(c, SQ_BULK_JOB_ITEMS_DONE);
        sq_done(st);
        arena_destroy(a);
        if (rc < 0)
            return rc;
        gone = sqlite3_changes(c->db);
    }
    if (!(st = sq_stmt(c, SQ_BULK_JOB_UPDATE)))
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, j->org_id);
    sq_bind_text(st, 2, j->id);
    sqlite3_bind_int64(st, 3, gone);
    sq_bind_text(st, 4, j->state);
    sq_bind_text(st, 5, j->error);
    sqlite3_bind_int64(st, 6, j->lease_until);
    sqlite3_bind_int64(st, 7, j->updated_at);
    rc = sq_step(c, SQ_BULK_JOB_UPDATE);
    sq_done(st);
    if (rc < 0)
        return rc;
    if (sqlite3_changes(c->db) == 0)
        return -CRM_E_NOT_FOUND;
    if (!(st = sq_stmt(c, SQ_BULK_JOB_PROCESSED)))
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, j->org_id);
    sq_bind_text(st, 2, j->id);
    rc = sq_step(c, SQ_BULK_JOB_PROCESSED);
    if (rc == 1)
        *processed = sqlite3_column_int64(st, 0);
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_bulk_job_purge(store_conn *sc, int64_t before_ms, int64_t limit, int64_t *deleted)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_BULK_JOB_PURGE);
    *deleted = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sqlite3_bind_int64(st, 1, before_ms);
    sqlite3_bind_int64(st, 2, limit);
    int rc = sq_step(c, SQ_BULK_JOB_PURGE);
    sq_done(st);
    if (rc < 0)
        return rc;
    *deleted = sqlite3_changes(c->db);
    return 0;
}

/* One statement for the batch, the ids and versions as JSON; the rows it returns moved. */
int sq_contact_move_many(store_conn *sc, const char *org_id, const crm_contact *cts, size_t n, const char *pipeline_id,
                         const char *stage_id, const char *status, int64_t updated_at, bool *moved)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_CONTACT_MOVE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    arena *a = arena_new();
    char *json = arena_alloc(a, n * (OBJECTID_LEN + 32) + 3), *p = json;
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        p += sprintf(p, "%s[\"%s\",%lld]", i ? "," : "", cts[i].id, (long long)cts[i].version);
        moved[i] = false;
    }
    strcpy(p, "]");
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, json);
    sq_bind_text(st, 3, pipeline_id);
    sq_bind_text(st, 4, stage_id);
    sq_bind_text(st, 5, status);
    sqlite3_bind_int64(st, 6, updated_at);
    int rc;
    /* RETURNING gives the rows in no set order; n is a page (hundreds), so a scan is fine */
    while ((rc = sq_step(c, SQ_CONTACT_MOVE)) == 1) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        for (size_t i = 0; id && i < n; i++)
            if (!moved[i] && strcmp(cts[i].id, id) == 0) {
                moved[i] = true;
                break;
            }
    }
    sq_done(st);
    arena_destroy(a);
    return rc < 0 ? rc : 0;
}
