/* The webhook dispatcher: reads committed events after a cursor kept in the database and turns
 * each into the deliveries of the organization's subscribed webhooks, cursor and deliveries in
 * one unit of work, so a crash neither loses nor duplicates a delivery. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "service/webhook_worker_impl.h"
#include "lib/log.h"
#include "lib/timefmt.h"

#define META_CURSOR "webhook_seq"
#define DISPATCH_BATCH 64
#define PERSIST_EVERY_MS 5000      /* how stale the kept cursor may be when nothing was dispatched */

static int read_cursor(store_conn *c, arena *a, bool *present, int64_t *cursor)
{
    char *text = NULL;
    int rc = c->ops->meta_get(c, META_CURSOR, a, &text);
    *present = false;
    *cursor = 0;
    if (rc == -CRM_E_NOT_FOUND)
        return 0;
    if (rc)
        return rc;
    if (text && *text) {
        *present = true;
        *cursor = strtoll(text, NULL, 10);
    }
    return 0;
}

static int write_cursor(store_conn *c, int64_t seq)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, seq);
    return c->ops->meta_set(c, META_CURSOR, buf);
}

/* A webhook hears of the events created at or after its own creation. */
static bool subscribed_before(const crm_webhook *h, const crm_event *ev)
{
    return h->created_at <= ev->created_at;
}

static int fan_out(store_conn *c, const crm_event *ev, arena *a, size_t *inserted)
{
    crm_webhook *subs = NULL;
    size_t n = 0;
    int rc = c->ops->webhook_subscribers(c, ev->org_id, ev->name, a, &subs, &n);
    int64_t now = time_now_ms();
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!subscribed_before(&subs[i], ev))
            continue;
        crm_delivery d = { 0 };
        objectid_new(d.id);
        memcpy(d.org_id, ev->org_id, sizeof d.org_id);
        memcpy(d.webhook_id, subs[i].id, sizeof d.webhook_id);
        d.event_seq = ev->seq;
        d.event_name = ev->name;
        d.payload_json = webhook_payload(d.id, ev->name, ev->seq, ev->org_id, ev->created_at, ev->payload_json, a);
        d.state = DELIVERY_PENDING;
        d.next_attempt_at = d.created_at = d.updated_at = now;
        if ((rc = c->ops->delivery_insert(c, &d)) == 0)
            (*inserted)++;
    }
    return rc;
}

struct dispatch_result {
    int64_t cursor;      /* the cursor after the unit */
    size_t inserted;
};

/* One unit: the deliveries of the next batch of events and the cursor past them commit together.
 * It starts from the cursor in the database, so a second process on the same database cannot
 * dispatch an event twice either. */
static int dispatch_unit(store_conn *c, void *arg)
{
    struct dispatch_result *res = arg;
    arena *a = arena_new();
    crm_event *ev = NULL;
    size_t n = 0, inserted = 0;
    bool present;
    int64_t cursor;
    int rc = read_cursor(c, a, &present, &cursor);
    if (rc == 0)
        rc = c->ops->event_list_after(c, NULL, cursor, DISPATCH_BATCH, a, &ev, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = fan_out(c, &ev[i], a, &inserted);
    if (rc == 0 && n > 0)
        rc = write_cursor(c, ev[n - 1].seq);
    if (rc == 0) {
        res->cursor = n > 0 ? ev[n - 1].seq : cursor;
        res->inserted = inserted;
    }
    arena_destroy(a);
    return rc;
}

/* Keeps a cursor that only skipped events nobody subscribed to; never moves it back. */
static int persist_unit(store_conn *c, void *arg)
{
    int64_t *want = arg;
    arena *a = arena_new();
    bool present;
    int64_t cursor;
    int rc = read_cursor(c, a, &present, &cursor);
    if (rc == 0 && (!present || cursor < *want))
        rc = write_cursor(c, *want);
    else if (rc == 0)
        *want = cursor;
    arena_destroy(a);
    return rc;
}

/* First start on this database: begin after the newest event (older events predate every webhook). */
int webhook_dispatch_init_unit(store_conn *c, void *arg)
{
    int64_t *out = arg;
    arena *a = arena_new();
    bool present;
    int rc = read_cursor(c, a, &present, out);
    if (rc == 0 && !present) {
        rc = c->ops->event_last_seq(c, out);
        if (rc == 0)
            rc = write_cursor(c, *out);
    }
    arena_destroy(a);
    return rc;
}

static void dispatch_trouble(webhook_worker *w, const char *what)
{
    if (!w->dispatch_failing)
        log_error("webhooks: %s; retrying every second", what);
    w->dispatch_failing = true;
}

/* Whether any event of ev[0..n) has a subscriber; reads on this thread's connection. A batch
 * under load is mostly one organization's events of one name: their subscribers are read once
 * per run of such events, not once per event. */
static int any_subscriber(store_conn *c, const crm_event *ev, size_t n, arena *a, bool *any)
{
    crm_webhook *subs = NULL;
    size_t ns = 0;
    *any = false;
    for (size_t i = 0; i < n && !*any; i++) {
        bool same = i > 0 && strcmp(ev[i].org_id, ev[i - 1].org_id) == 0 && strcmp(ev[i].name, ev[i - 1].name) == 0;
        if (!same) {
            int rc = c->ops->webhook_subscribers(c, ev[i].org_id, ev[i].name, a, &subs, &ns);
            if (rc)
                return rc;
        }
        for (size_t k = 0; k < ns && !*any; k++)
            *any = subscribed_before(&subs[k], &ev[i]);
    }
    return 0;
}

/* Looks at every event after the cursor. Events nobody subscribed to only move the cursor in
 * memory (kept every few seconds), so that a busy installation without webhooks does not pay a
 * write per commit; a batch that has subscribers goes through dispatch_unit. */
static void dispatch_round(webhook_worker *w)
{
    for (;;) {
        store_conn *c = w->app->st->ops->reader(w->app->st);
        if (!c) {
            dispatch_trouble(w, "no read connection");
            return;
        }
        arena *a = arena_new();
        crm_event *ev = NULL;
        size_t n = 0;
        bool need = false;
        int rc = c->ops->event_list_after(c, NULL, w->cursor, DISPATCH_BATCH, a, &ev, &n);
        if (rc == 0)
            rc = any_subscriber(c, ev, n, a, &need);
        int64_t last = n > 0 ? ev[n - 1].seq : w->cursor;
        arena_destroy(a);
        if (rc) {
            dispatch_trouble(w, "cannot read the event log");
            return;
        }
        if (n == 0)
            break;
        if (!need) {
            w->cursor = last;
            if (n < DISPATCH_BATCH)
                break;
            continue;
        }
        struct dispatch_result res = { 0 };
        if (w->app->st->ops->write(w->app->st, dispatch_unit, &res) != 0) {
            dispatch_trouble(w, "cannot store deliveries");
            return;
        }
        w->persisted = res.cursor;
        w->persisted_at = time_now_ms();
        if (w->cursor < res.cursor)
            w->cursor = res.cursor;
        if (res.inserted > 0)
            webhook_wake_sender(w);
    }
    w->dispatch_failing = false;
}

static void persist_cursor(webhook_worker *w, bool force)
{
    if (w->cursor <= w->persisted || (!force && time_now_ms() - w->persisted_at < PERSIST_EVERY_MS))
        return;
    int64_t want = w->cursor;
    if (w->app->st->ops->write(w->app->st, persist_unit, &want) == 0) {
        w->persisted = want;
        w->persisted_at = time_now_ms();
    }
}

void *webhook_dispatch_main(void *arg)
{
    pthread_setname_np(pthread_self(), "webhook-dispatch");
    webhook_worker *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        if (!w->dispatch_pending) {
            struct timespec ts = time_deadline(CLOCK_MONOTONIC, POLL_MS);
            pthread_cond_timedwait(&w->dispatch_wake, &w->lock, &ts);
            if (w->stopping)
                break;
        }
        w->dispatch_pending = false;
        pthread_mutex_unlock(&w->lock);
        dispatch_round(w);
        persist_cursor(w, false);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    persist_cursor(w, true);
    return NULL;
}
