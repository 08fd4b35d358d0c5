/* PostgreSQL store: the Idempotency-Key records of POST /api/contact. A unit reads a key under
 * its advisory lock, so a concurrent retry waits for the first request and replays its reply. */
#include "lib/errors.h"
#include "store/pg/pg_impl.h"

int pg_idempotency_get(store_conn *sc, const char *org_id, const char *user_id, const char *key,
                       int64_t since_ms, arena *a, char **request_hash, int *status, char **body)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0};
    PGresult *r;
    int rc = pg_lock(c, PG_LOCK_KEY, org_id, user_id, key);
    if (rc)
        return rc;
    pg_p_text(&p, org_id);
    pg_p_text(&p, user_id);
    pg_p_text(&p, key);
    pg_p_int(&p, since_ms);
    if ((rc = pg_exec(c, PG_IDEMPOTENCY_GET, &p, &r)))
        return rc;
    rc = PQntuples(r) ? 0 : -CRM_E_NOT_FOUND;
    if (rc == 0) {
        *request_hash = pg_col_str(a, r, 0, 0);
        *status = (int)pg_col_int(r, 0, 1);
        *body = pg_col_str(a, r, 0, 2);
    }
    PQclear(r);
    return rc;
}

int pg_idempotency_put(store_conn *sc, const char *org_id, const char *user_id, const char *key,
                       const char *request_hash, int status, const char *body, int64_t created_at)
{
    pg_params p = {0};
    pg_p_text(&p, org_id);
    pg_p_text(&p, user_id);
    pg_p_text(&p, key);
    pg_p_text(&p, request_hash);
    pg_p_int(&p, status);
    pg_p_text(&p, body);
    pg_p_int(&p, created_at);
    return pg_exec_later(pg_of(sc), PG_IDEMPOTENCY_PUT, &p);   /* goes with COMMIT */
}

/* Several servers run their janitors on one database: the one whose unit takes the lock purges,
 * the others find nothing to do this round (a server that dies releases it with its
 * transaction). */
int pg_idempotency_purge(store_conn *sc, int64_t before_ms, int64_t limit, int64_t *deleted)
{
    pg_params p = {0};
    PGresult *r;
    pg_conn *c = pg_of(sc);
    *deleted = 0;
    int rc = pg_exec(c, PG_LOCK_JANITOR, NULL, &r);
    if (rc)
        return rc;
    bool mine = pg_col_bool(r, 0, 0);
    PQclear(r);
    if (!mine)
        return 0;
    pg_p_int(&p, before_ms);
    pg_p_int(&p, limit);
    rc = pg_exec(c, PG_IDEMPOTENCY_PURGE, &p, &r);
    if (rc)
        return rc;
    *deleted = pg_col_int(r, 0, 0);
    PQclear(r);
    return 0;
}
