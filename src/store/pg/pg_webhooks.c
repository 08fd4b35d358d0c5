/* PostgreSQL store: webhooks (with the events each subscribes to, in webhook_events, read back
 * space-separated with the webhook) and their deliveries. */
#include <stdlib.h>
#include <string.h>

#include "lib/errors.h"
#include "store/pg/pg_impl.h"

static const char *event_at(const void *arr, size_t i) { return ((char *const *)arr)[i]; }

int pg_webhook_insert(store_conn *sc, const crm_webhook *w)
{
    arena *a = arena_new();
    pg_params p = {0};
    pg_p_text(&p, w->org_id);
    pg_p_text(&p, w->id);
    pg_p_text(&p, w->url);
    pg_p_text(&p, w->secret);
    pg_p_id(&p, w->created_by);
    pg_p_int(&p, w->created_at);
    pg_p_array(&p, a, w->events, w->nevents, event_at);
    int rc = pg_exec(pg_of(sc), PG_WEBHOOK_INSERT, &p, NULL);
    arena_destroy(a);
    return rc;
}

static void read_webhook(const PGresult *r, int row, arena *a, crm_webhook *out)
{
    memset(out, 0, sizeof *out);
    pg_col_id(r, row, 0, out->id);
    pg_col_id(r, row, 1, out->org_id);
    out->url = pg_col_str(a, r, row, 2);
    out->secret = pg_col_str(a, r, row, 3);
    pg_col_id(r, row, 4, out->created_by);
    out->created_at = pg_col_int(r, row, 5);
    char *events = pg_col_str(a, r, row, 6);
    size_t n = 0;
    for (char *e = events; e && *e; e++)
        n += *e == ' ';
    out->events = arena_alloc(a, (n + 2) * sizeof *out->events);
    for (char *e = events; e && *e;) {
        out->events[out->nevents++] = e;
        char *sp = strchr(e, ' ');
        if (!sp)
            break;
        *sp = '\0';
        e = sp + 1;
    }
}

static int list_webhooks(pg_conn *c, pg_stmt_id id, const char *org_id, const char *key, arena *a,
                         crm_webhook **out, size_t *n)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    if (key)
        pg_p_text(&p, key);
    *out = NULL;
    *n = 0;
    int rc = pg_exec(c, id, &p, &r);
    if (rc)
        return rc;
    int rows = PQntuples(r);
    *out = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof **out);
    for (int i = 0; i < rows; i++)
        read_webhook(r, i, a, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return 0;
}

int pg_webhook_list(store_conn *c, const char *org_id, arena *a, crm_webhook **out, size_t *n)
{
    return list_webhooks(pg_of(c), PG_WEBHOOK_LIST, org_id, NULL, a, out, n);
}

int pg_webhook_subscribers(store_conn *c, const char *org_id, const char *event_name, arena *a,
                           crm_webhook **out, size_t *n)
{
    return list_webhooks(pg_of(c), PG_WEBHOOK_SUBSCRIBERS, org_id, event_name, a, out, n);
}

int pg_webhook_get(store_conn *c, const char *org_id, const char *webhook_id, arena *a, crm_webhook *out)
{
    crm_webhook *list;
    size_t n;
    int rc = list_webhooks(pg_of(c), PG_WEBHOOK_GET, org_id, webhook_id, a, &list, &n);
    if (rc)
        return rc;
    if (!n)
        return -CRM_E_NOT_FOUND;
    *out = list[0];
    return 0;
}

int pg_webhook_delete(store_conn *c, const char *org_id, const char *webhook_id)
{
    int64_t n = pg_run2(pg_of(c), PG_WEBHOOK_DELETE, org_id, webhook_id);
    return n < 0 ? (int)n : n ? 0 : -CRM_E_NOT_FOUND;
}

/* $3 state .. $8 updated_at: the columns an attempt changes. */
static void attempt_params(pg_params *p, const crm_delivery *d)
{
    pg_p_text(p, crm_delivery_state_name(d->state));
    pg_p_int(p, d->attempts);
    pg_p_int(p, d->last_status);
    pg_p_text(p, d->last_error);
    pg_p_int(p, d->next_attempt_at);
}

int pg_delivery_insert(store_conn *sc, const crm_delivery *d)
{
    pg_params p = {0};
    pg_p_text(&p, d->id);
    pg_p_text(&p, d->org_id);
    pg_p_text(&p, d->webhook_id);
    pg_p_int(&p, d->event_seq);
    pg_p_text(&p, d->event_name);
    pg_p_text(&p, d->payload_json);
    attempt_params(&p, d);
    pg_p_int(&p, d->created_at);
    pg_p_int(&p, d->updated_at);
    return pg_exec(pg_of(sc), PG_DELIVERY_INSERT, &p, NULL);
}

int pg_delivery_update(store_conn *sc, const crm_delivery *d)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, d->org_id);
    pg_p_text(&p, d->id);
    attempt_params(&p, d);
    pg_p_int(&p, d->updated_at);
    int rc = pg_exec(pg_of(sc), PG_DELIVERY_UPDATE, &p, &r);
    if (rc)
        return rc;
    rc = pg_changed(r) ? 0 : -CRM_E_NOT_FOUND;
    PQclear(r);
    return rc;
}

int pg_delivery_claim(store_conn *sc, const char *org_id, const char *delivery_id, int64_t now, int64_t until)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    pg_p_text(&p, delivery_id);
    pg_p_int(&p, now);
    pg_p_int(&p, until);
    int rc = pg_exec(pg_of(sc), PG_DELIVERY_CLAIM, &p, &r);
    if (rc)
        return rc;
    rc = pg_changed(r) ? 0 : -CRM_E_NOT_FOUND;
    PQclear(r);
    return rc;
}

static void read_delivery(const PGresult *r, int row, arena *a, crm_delivery *out)
{
    memset(out, 0, sizeof *out);
    pg_col_id(r, row, 0, out->id);
    pg_col_id(r, row, 1, out->org_id);
    pg_col_id(r, row, 2, out->webhook_id);
    out->event_seq = pg_col_int(r, row, 3);
    out->event_name = pg_col_str(a, r, row, 4);
    out->payload_json = pg_col_str(a, r, row, 5);
    out->state = crm_delivery_state_parse(PQgetvalue(r, row, 6));
    out->attempts = (int)pg_col_int(r, row, 7);
    out->last_status = (int)pg_col_int(r, row, 8);
    out->last_error = pg_col_str(a, r, row, 9);
    out->next_attempt_at = pg_col_int(r, row, 10);
    out->created_at = pg_col_int(r, row, 11);
    out->updated_at = pg_col_int(r, row, 12);
}

static int list_deliveries(pg_conn *c, pg_stmt_id id, const pg_params *p, arena *a, crm_delivery **out, size_t *n)
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
        read_delivery(r, i, a, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return 0;
}

int pg_delivery_get(store_conn *c, const char *org_id, const char *delivery_id, arena *a, crm_delivery *out)
{
    pg_params p = {0};
    crm_delivery *list;
    size_t n;
    pg_p_text(&p, org_id);
    pg_p_text(&p, delivery_id);
    int rc = list_deliveries(pg_of(c), PG_DELIVERY_GET, &p, a, &list, &n);
    if (rc)
        return rc;
    if (!n)
        return -CRM_E_NOT_FOUND;
    *out = list[0];
    return 0;
}

int pg_delivery_list(store_conn *sc, const char *org_id, const char *webhook_id, int64_t offset, int64_t limit,
                     arena *a, crm_delivery **out, size_t *n, int64_t *total)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0}, q = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    pg_p_text(&p, webhook_id);
    pg_p_int(&p, limit);
    pg_p_int(&p, offset > 0 ? offset : 0);
    int rc = list_deliveries(c, PG_DELIVERY_LIST, &p, a, out, n);
    if (rc || !total)
        return rc;
    pg_p_text(&q, org_id);
    pg_p_text(&q, webhook_id);
    if ((rc = pg_exec(c, PG_DELIVERY_COUNT, &q, &r)))
        return rc;
    *total = pg_col_int(r, 0, 0);
    PQclear(r);
    return 0;
}

int pg_delivery_due(store_conn *c, int64_t now, int64_t limit, arena *a, crm_delivery **out, size_t *n)
{
    pg_params p = {0};
    pg_p_int(&p, now);
    pg_p_int(&p, limit);
    return list_deliveries(pg_of(c), PG_DELIVERY_DUE, &p, a, out, n);
}
