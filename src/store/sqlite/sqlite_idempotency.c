/* SQLite store: the Idempotency-Key records of POST /api/contact (API §5.2 step 9), one per
 * (org, user, key). Expiry is the caller's since_ms; an expired record stays until its key is
 * used again, when put replaces it, or until the janitor purges it. */
#include "lib/errors.h"
#include "store/sqlite/sqlite_impl.h"

int sq_idempotency_get(store_conn *sc, const char *org_id, const char *user_id, const char *key,
                       int64_t since_ms, arena *a, char **request_hash, int *status, char **body)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_IDEMPOTENCY_GET);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, user_id);
    sq_bind_text(st, 3, key);
    sqlite3_bind_int64(st, 4, since_ms);
    int rc = sq_step(c, SQ_IDEMPOTENCY_GET);
    if (rc == 1) {
        *request_hash = sq_col_str(a, st, 0);
        *status = sqlite3_column_int(st, 1);
        *body = sq_col_str(a, st, 2);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_NOT_FOUND;
    }
    sq_done(st);
    return rc;
}

/* The service puts only after a get in the same unit of work found nothing live, so a row
 * already there is an expired one: it is replaced. */
int sq_idempotency_put(store_conn *sc, const char *org_id, const char *user_id, const char *key,
                       const char *request_hash, int status, const char *body, int64_t created_at)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_IDEMPOTENCY_PUT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, user_id);
    sq_bind_text(st, 3, key);
    sq_bind_text(st, 4, request_hash);
    sqlite3_bind_int(st, 5, status);
    sq_bind_text(st, 6, body);
    sqlite3_bind_int64(st, 7, created_at);
    int rc = sq_step(c, SQ_IDEMPOTENCY_PUT);
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_idempotency_purge(store_conn *sc, int64_t before_ms, int64_t limit, int64_t *deleted)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_IDEMPOTENCY_PURGE);
    *deleted = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sqlite3_bind_int64(st, 1, before_ms);
    sqlite3_bind_int64(st, 2, limit);
    int rc = sq_step(c, SQ_IDEMPOTENCY_PURGE);
    sq_done(st);
    if (rc < 0)
        return rc;
    *deleted = sqlite3_changes(c->db);
    return 0;
}
