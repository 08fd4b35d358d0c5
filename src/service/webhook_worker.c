/* Webhook delivery: starting and stopping the dispatcher (webhook_dispatch.c: events → delivery
 * rows, with a durable cursor) and the sender (webhook_send.c: due deliveries → signed POSTs
 * through one libcurl multi handle → recorded attempts), and waking them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "service/webhook_worker_impl.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"

/* ---- small helpers ---------------------------------------------------------------------- */

static int64_t env_int(const char *name, int64_t min, int64_t max, int64_t def)
{
    const char *s = getenv(name);
    char *end;
    if (!s || !*s)
        return def;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v < min || v > max) {
        log_warn("%s must be a number from %lld to %lld; using %lld", name, (long long)min, (long long)max,
                 (long long)def);
        return def;
    }
    return v;
}

static void wake_dispatcher(webhook_worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->dispatch_pending = true;
    pthread_cond_signal(&w->dispatch_wake);
    pthread_mutex_unlock(&w->lock);
}

void webhook_wake_sender(webhook_worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->send_pending = true;
    pthread_cond_signal(&w->send_wake);
    if (w->multi)
        webhook_curl->multi_wakeup(w->multi);   /* thread-safe; interrupts multi_poll */
    pthread_mutex_unlock(&w->lock);
}

/* Hub thread: must not block, so it only flags the dispatcher. */
static void on_event(const crm_event *e, void *ctx)
{
    (void)e;
    wake_dispatcher(ctx);
}

static void on_notify(void *ctx)
{
    webhook_wake_sender(ctx);
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

webhook_worker *webhook_worker_start(crm_app *app, event_hub *hub, char *err, size_t errlen)
{
    if (!webhook_store_ready(app)) {
        /* A store without the webhook operations: serve the rest, deliver nothing. */
        log_warn("the store has no webhook operations: webhooks are disabled");
        webhook_worker *w = xcalloc(1, sizeof *w);
        w->inert = true;
        return w;
    }
    webhook_worker *w = xcalloc(1, sizeof *w);
    w->app = app;
    w->hub = hub;
    w->backoff_ms = env_int("CRMD_WEBHOOK_BACKOFF_MS", 1, WEBHOOK_BACKOFF_CAP_MS, WEBHOOK_DEFAULT_BACKOFF_MS);
    w->max_attempts = (int)env_int("CRMD_WEBHOOK_MAX_ATTEMPTS", 1, 100, WEBHOOK_DEFAULT_MAX_ATTEMPTS);
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->dispatch_wake, &ca);
    pthread_cond_init(&w->send_wake, &ca);
    pthread_condattr_destroy(&ca);
    w->dispatch_pending = true;   /* on start: dispatch whatever came after the cursor */

    if (app->st->ops->write(app->st, webhook_dispatch_init_unit, &w->cursor) != 0) {
        snprintf(err, errlen, "cannot read or store the webhook cursor in the database");
        goto fail;
    }
    w->persisted = w->cursor;
    w->persisted_at = time_now_ms();
    if (pthread_create(&w->dispatcher, NULL, webhook_dispatch_main, w) != 0) {
        snprintf(err, errlen, "cannot start the webhook dispatcher thread");
        goto fail;
    }
    w->dispatcher_running = true;
    if (pthread_create(&w->sender, NULL, webhook_send_main, w) != 0) {
        snprintf(err, errlen, "cannot start the webhook sender thread");
        goto fail;
    }
    w->sender_running = true;
    if (hub)
        w->sub = event_hub_subscribe(hub, on_event, w);
    webhook_set_notify(on_notify, w);
    return w;
fail:
    webhook_worker_stop(w);
    return NULL;
}

void webhook_worker_stop(webhook_worker *w)
{
    if (!w)
        return;
    if (w->inert) {
        free(w);
        return;
    }
    webhook_set_notify(NULL, NULL);
    if (w->sub)
        event_hub_unsubscribe(w->hub, w->sub);
    w->sub = NULL;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->dispatch_wake);
    pthread_cond_broadcast(&w->send_wake);
    if (w->multi)
        webhook_curl->multi_wakeup(w->multi);
    pthread_mutex_unlock(&w->lock);
    if (w->dispatcher_running)
        pthread_join(w->dispatcher, NULL);
    if (w->sender_running)
        pthread_join(w->sender, NULL);
    if (w->multi)
        webhook_curl->multi_cleanup(w->multi);
    pthread_cond_destroy(&w->send_wake);
    pthread_cond_destroy(&w->dispatch_wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
