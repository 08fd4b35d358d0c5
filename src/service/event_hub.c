/* The event hub: one thread that turns "something was committed" into ordered calls of the
 * subscribers, reading the committed events back from the durable log. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "service/event_hub.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define HUB_BATCH 256

struct hub_sub {
    hub_event_fn fn;
    void *ctx;
    hub_sub *next;
};

struct event_hub {
    crm_app *app;
    pthread_t thread;
    pthread_mutex_t lock;      /* guards pending, stopping, subs, last_seq */
    pthread_cond_t wake;
    pthread_mutex_t deliver;   /* held while subscribers run: unsubscribe waits on it */
    bool pending, stopping;
    hub_sub *subs;
    int64_t last_seq;
};

void event_hub_poke(event_hub *h)
{
    pthread_mutex_lock(&h->lock);
    h->pending = true;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
}

static void on_commit(void *ctx)
{
    event_hub_poke(ctx);
}

/* Hands every event after last_seq to the subscribers; returns false on a storage error. */
static bool drain(event_hub *h)
{
    store_conn *c = h->app->st->ops->reader(h->app->st);
    if (!c)
        return false;
    for (;;) {
        arena *a = arena_new();
        crm_event *ev;
        size_t n = 0;
        int rc = c->ops->event_list_after(c, NULL, h->last_seq, HUB_BATCH, a, &ev, &n);
        if (rc == 0 && n > 0) {
            pthread_mutex_lock(&h->deliver);
            for (size_t i = 0; i < n; i++) {
                pthread_mutex_lock(&h->lock);
                hub_sub *subs = h->subs;
                h->last_seq = ev[i].seq;   /* per event: a live-only subscriber starts right here */
                pthread_mutex_unlock(&h->lock);
                for (hub_sub *s = subs; s; s = s->next)
                    s->fn(&ev[i], s->ctx);
            }
            pthread_mutex_unlock(&h->deliver);
        }
        arena_destroy(a);
        if (rc != 0)
            return false;
        if (n < HUB_BATCH)
            return true;
    }
}

static void *hub_main(void *arg)
{
    pthread_setname_np(pthread_self(), "event-hub");
    event_hub *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        while (!h->pending && !h->stopping)
            pthread_cond_wait(&h->wake, &h->lock);
        h->pending = false;
        pthread_mutex_unlock(&h->lock);
        if (!drain(h))
            log_error("event hub: cannot read the event log; will retry on the next commit");
        pthread_mutex_lock(&h->lock);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

int event_newest_seq(crm_app *app, int64_t *seq)
{
    store_conn *c = app->st->ops->reader(app->st);
    *seq = 0;
    return c && c->ops->event_last_seq(c, seq) == 0 ? 0 : -1;
}

int event_history(crm_app *app, const char *org_id, int64_t after, size_t limit, arena *a, crm_event **ev,
                  size_t *n)
{
    store_conn *c = app->st->ops->reader(app->st);
    *n = 0;
    return c && c->ops->event_list_after(c, org_id, after, limit, a, ev, n) == 0 ? 0 : -1;
}

event_hub *event_hub_start(crm_app *app, char *err, size_t errlen)
{
    event_hub *h = xcalloc(1, sizeof *h);
    h->app = app;
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->deliver, NULL);
    pthread_cond_init(&h->wake, NULL);
    if (event_newest_seq(app, &h->last_seq) != 0) {
        snprintf(err, errlen, "cannot read the event log");
        goto fail;
    }
    if (pthread_create(&h->thread, NULL, hub_main, h) != 0) {
        snprintf(err, errlen, "cannot start the event hub thread");
        goto fail;
    }
    app->st->ops->set_commit_hook(app->st, on_commit, h);
    return h;
fail:
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->deliver);
    pthread_mutex_destroy(&h->lock);
    free(h);
    return NULL;
}

void event_hub_stop(event_hub *h)
{
    if (!h)
        return;
    h->app->st->ops->set_commit_hook(h->app->st, NULL, NULL);
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    while (h->subs) {
        hub_sub *s = h->subs;
        h->subs = s->next;
        free(s);
    }
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->deliver);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

hub_sub *event_hub_subscribe(event_hub *h, hub_event_fn fn, void *ctx)
{
    hub_sub *s = xcalloc(1, sizeof *s);
    s->fn = fn;
    s->ctx = ctx;
    pthread_mutex_lock(&h->lock);
    s->next = h->subs;
    h->subs = s;
    pthread_mutex_unlock(&h->lock);
    return s;
}

void event_hub_unsubscribe(event_hub *h, hub_sub *s)
{
    /* Taking `deliver` waits out a delivery round that may still be calling s. */
    pthread_mutex_lock(&h->deliver);
    pthread_mutex_lock(&h->lock);
    for (hub_sub **p = &h->subs; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_unlock(&h->deliver);
    free(s);
}

int64_t event_hub_last_seq(event_hub *h)
{
    pthread_mutex_lock(&h->lock);
    int64_t seq = h->last_seq;
    pthread_mutex_unlock(&h->lock);
    return seq;
}
