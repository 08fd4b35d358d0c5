/* SQLite store: webhooks (with the events each subscribes to, in webhook_events) and their
 * deliveries. A delivery's state is kept as its name. */
#include <string.h>

#include "lib/errors.h"
#include "store/sqlite/sqlite_impl.h"

/* Runs a statement whose parameters are ?1 org and ?2 id, returning no rows. */
static int exec_pair(sq_conn *c, sq_stmt_id id, const char *org_id, const char *key)
{
    sqlite3_stmt *st = sq_stmt(c, id);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, key);
    int rc = sq_step(c, id);
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_webhook_insert(store_conn *sc, const crm_webhook *w)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_WEBHOOK_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, w->id);
    sq_bind_text(st, 2, w->org_id);
    sq_bind_text(st, 3, w->url);
    sq_bind_text(st, 4, w->secret);
    sq_bind_id(st, 5, w->created_by);
    sqlite3_bind_int64(st, 6, w->created_at);
    int rc = sq_step(c, SQ_WEBHOOK_INSERT);
    sq_done(st);
    if (rc < 0)
        return rc;
    if (w->nevents && !(st = sq_stmt(c, SQ_WEBHOOK_EVENT_INSERT)))
        return -CRM_E_UNAVAILABLE;
    for (size_t i = 0; i < w->nevents; i++) {
        sq_bind_text(st, 1, w->org_id);
        sq_bind_text(st, 2, w->id);
        sqlite3_bind_int64(st, 3, (int64_t)i);
        sq_bind_text(st, 4, w->events[i]);
        rc = sq_step(c, SQ_WEBHOOK_EVENT_INSERT);
        sq_done(st);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* A row of SQ_WEBHOOK_COLS into out (no events yet). */
static void read_webhook(sqlite3_stmt *st, arena *a, crm_webhook *out)
{
    memset(out, 0, sizeof *out);
    sq_col_id(st, 0, out->id);
    sq_col_id(st, 1, out->org_id);
    out->url = sq_col_str(a, st, 2);
    out->secret = sq_col_str(a, st, 3);
    sq_col_id(st, 4, out->created_by);
    out->created_at = sqlite3_column_int64(st, 5);
}

static int load_events(sq_conn *c, arena *a, crm_webhook *w)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_WEBHOOK_EVENT_LIST);
    size_t cap = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, w->org_id);
    sq_bind_text(st, 2, w->id);
    int rc;
    while ((rc = sq_step(c, SQ_WEBHOOK_EVENT_LIST)) == 1) {
        w->events = sq_grow(a, w->events, &cap, w->nevents, sizeof *w->events);
        w->events[w->nevents++] = sq_col_str(a, st, 0);
    }
    sq_done(st);
    return rc < 0 ? rc : 0;
}

/* Runs a webhook query with ?1 org and ?2 key (NULL: none), reading every row and its events
 * in one snapshot. */
static int list_webhooks(sq_conn *c, sq_stmt_id id, const char *org_id, const char *key, arena *a,
                         crm_webhook **out, size_t *n)
{
    sqlite3_stmt *st = sq_stmt(c, id);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    int rc = sq_read_begin(c);
    if (rc)
        return rc;
    sq_bind_text(st, 1, org_id);
    if (key)
        sq_bind_text(st, 2, key);
    while ((rc = sq_step(c, id)) == 1) {
        *out = sq_grow(a, *out, &cap, *n, sizeof **out);
        read_webhook(st, a, &(*out)[(*n)++]);
    }
    sq_done(st);
    for (size_t i = 0; rc == 0 && i < *n; i++)
        rc = load_events(c, a, &(*out)[i]);
    sq_read_end(c);
    if (rc < 0) {
        *out = NULL;
        *n = 0;
        return rc;
    }
    return 0;
}

int sq_webhook_list(store_conn *c, const char *org_id, arena *a, crm_webhook **out, size_t *n)
{
    return list_webhooks(sq_of(c), SQ_WEBHOOK_LIST, org_id, NULL, a, out, n);
}

int sq_webhook_subscribers(store_conn *c, const char *org_id, const char *event_name, arena *a,
                           crm_webhook **out, size_t *n)
{
    return list_webhooks(sq_of(c), SQ_WEBHOOK_SUBSCRIBERS, org_id, event_name, a, out, n);
}

int sq_webhook_get(store_conn *c, const char *org_id, const char *webhook_id, arena *a, crm_webhook *out)
{
    crm_webhook *found;
    size_t n;
    int rc = list_webhooks(sq_of(c), SQ_WEBHOOK_GET, org_id, webhook_id, a, &found, &n);
    if (rc == 0 && n == 0)
        rc = -CRM_E_NOT_FOUND;
    if (rc == 0)
        *out = found[0];
    return rc;
}

int sq_webhook_delete(store_conn *sc, const char *org_id, const char *webhook_id)
{
    sq_conn *c = sq_of(sc);
    int rc;
    if ((rc = exec_pair(c, SQ_WEBHOOK_DELIVERIES_DELETE, org_id, webhook_id)) ||
        (rc = exec_pair(c, SQ_WEBHOOK_EVENTS_DELETE, org_id, webhook_id)) ||
        (rc = exec_pair(c, SQ_WEBHOOK_DELETE, org_id, webhook_id)))
        return rc;
    return sqlite3_changes(c->db) ? 0 : -CRM_E_NOT_FOUND;
}

/* Binds ?3 state .. ?8 updated_at of DELIVERY_UPDATE, or the same columns at their places in
 * DELIVERY_INSERT (see bind_delivery). */
static int bind_state(sqlite3_stmt *st, int at, const crm_delivery *d)
{
    const char *state = crm_delivery_state_name(d->state);
    if (!state)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, at, state);
    sqlite3_bind_int(st, at + 1, d->attempts);
    sqlite3_bind_int(st, at + 2, d->last_status);
    sq_bind_text(st, at + 3, d->last_error);
    sqlite3_bind_int64(st, at + 4, d->next_attempt_at);
    return 0;
}

int sq_delivery_insert(store_conn *sc, const crm_delivery *d)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_DELIVERY_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, d->id);
    sq_bind_text(st, 2, d->org_id);
    sq_bind_text(st, 3, d->webhook_id);
    sqlite3_bind_int64(st, 4, d->event_seq);
    sq_bind_text(st, 5, d->event_name);
    sq_bind_text(st, 6, d->payload_json);
    int rc = bind_state(st, 7, d);   /* ?7 state .. ?11 next_attempt_at */
    sqlite3_bind_int64(st, 12, d->created_at);
    sqlite3_bind_int64(st, 13, d->updated_at);
    if (rc == 0)
        rc = sq_step(c, SQ_DELIVERY_INSERT);
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_delivery_update(store_conn *sc, const crm_delivery *d)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_DELIVERY_UPDATE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, d->org_id);
    sq_bind_text(st, 2, d->id);
    int rc = bind_state(st, 3, d);   /* ?3 state .. ?7 next_attempt_at */
    sqlite3_bind_int64(st, 8, d->updated_at);
    if (rc == 0)
        rc = sq_step(c, SQ_DELIVERY_UPDATE);
    sq_done(st);
    if (rc < 0)
        return rc;
    return sqlite3_changes(c->db) ? 0 : -CRM_E_NOT_FOUND;
}

int sq_delivery_claim(store_conn *sc, const char *org_id, const char *delivery_id, int64_t now, int64_t until)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_DELIVERY_CLAIM);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, delivery_id);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, until);
    int rc = sq_step(c, SQ_DELIVERY_CLAIM);
    sq_done(st);
    if (rc < 0)
        return rc;
    return sqlite3_changes(c->db) ? 0 : -CRM_E_NOT_FOUND;
}

/* A row of SQ_DELIVERY_COLS into out. */
static void read_delivery(sqlite3_stmt *st, arena *a, crm_delivery *out)
{
    memset(out, 0, sizeof *out);
    sq_col_id(st, 0, out->id);
    sq_col_id(st, 1, out->org_id);
    sq_col_id(st, 2, out->webhook_id);
    out->event_seq = sqlite3_column_int64(st, 3);
    out->event_name = sq_col_str(a, st, 4);
    out->payload_json = sq_col_str(a, st, 5);
    out->state = crm_delivery_state_parse((const char *)sqlite3_column_text(st, 6));
    out->attempts = sqlite3_column_int(st, 7);
    out->last_status = sqlite3_column_int(st, 8);
    out->last_error = sq_col_str(a, st, 9);
    out->next_attempt_at = sqlite3_column_int64(st, 10);
    out->created_at = sqlite3_column_int64(st, 11);
    out->updated_at = sqlite3_column_int64(st, 12);
}

/* Steps the bound statement id, appending every row to out. */
static int read_deliveries(sq_conn *c, sq_stmt_id id, arena *a, crm_delivery **out, size_t *n)
{
    sqlite3_stmt *st = c->stmt[id];
    size_t cap = 0;
    int rc;
    while ((rc = sq_step(c, id)) == 1) {
        *out = sq_grow(a, *out, &cap, *n, sizeof **out);
        read_delivery(st, a, &(*out)[(*n)++]);
    }
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_delivery_get(store_conn *sc, const char *org_id, const char *delivery_id, arena *a, crm_delivery *out)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_DELIVERY_GET);
    crm_delivery *found = NULL;
    size_t n = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, delivery_id);
    int rc = read_deliveries(c, SQ_DELIVERY_GET, a, &found, &n);
    if (rc == 0 && n == 0)
        rc = -CRM_E_NOT_FOUND;
    if (rc == 0)
        *out = found[0];
    return rc;
}

int sq_delivery_list(store_conn *sc, const char *org_id, const char *webhook_id, int64_t offset, int64_t limit,
                     arena *a, crm_delivery **out, size_t *n, int64_t *total)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_DELIVERY_LIST), *count = sq_stmt(c, SQ_DELIVERY_COUNT);
    *out = NULL;
    *n = 0;
    *total = 0;
    if (!st || !count)
        return -CRM_E_UNAVAILABLE;
    int rc = sq_read_begin(c);
    if (rc)
        return rc;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, webhook_id);
    sqlite3_bind_int64(st, 3, limit);   /* negative: no limit */
    sqlite3_bind_int64(st, 4, offset > 0 ? offset : 0);
    rc = read_deliveries(c, SQ_DELIVERY_LIST, a, out, n);
    if (rc == 0) {
        sq_bind_text(count, 1, org_id);
        sq_bind_text(count, 2, webhook_id);
        rc = sq_step(c, SQ_DELIVERY_COUNT);
        if (rc == 1) {
            *total = sqlite3_column_int64(count, 0);
            rc = 0;
        } else if (rc == 0) {
            rc = -CRM_E_UNAVAILABLE;
        }
        sq_done(count);
    }
    sq_read_end(c);
    if (rc) {
        *out = NULL;
        *n = 0;
        *total = 0;
    }
    return rc;
}

int sq_delivery_due(store_conn *sc, int64_t now, int64_t limit, arena *a, crm_delivery **out, size_t *n)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_DELIVERY_DUE);
    *out = NULL;
    *n = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, limit);
    int rc = read_deliveries(c, SQ_DELIVERY_DUE, a, out, n);
    if (rc) {
        *out = NULL;
        *n = 0;
    }
    return rc;
}
