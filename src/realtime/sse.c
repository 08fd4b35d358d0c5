/* SSE streams: replay from the log, then live from the hub, with one lock ordering both so no
 * event is skipped or sent twice at the switch. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "realtime/sse.h"
#include "service/auth.h"
#include "service/event_audience.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"

#define SSE_BUFFER (4u << 20)      /* a client further behind than this is dropped; it resumes by id */
#define SSE_REPLAY_BATCH 500
#define SSE_PER_USER 10            /* open streams per user: tabs and devices, not a flood */

typedef struct stream {
    http_stream *hs;
    objectid org_id, user_id;
    int64_t token_version;         /* the user's at open: a change revokes the stream */
    bool rep;                      /* a SALES_REP: only events of contacts it may see */
    int64_t last;                  /* seq of the newest event sent */
    bool live;                     /* replay done: the hub feeds it */
    atomic_bool gone;              /* the client left or fell behind: reap it */
    struct stream *next;
} stream;

struct sse {
    crm_app *app;
    event_hub *hub;
    hub_sub *sub;
    unsigned keepalive_ms;
    pthread_mutex_t lock;          /* the list and every stream's state */
    pthread_cond_t wake;
    pthread_t thread;
    bool stopping;
    stream *streams;
};

static void on_client_closed(void *ctx)
{
    stream *st = ctx;
    atomic_store(&st->gone, true);
}

/* Under the lock. A SALES_REP's stream passes over events of contacts it may not see. */
static void send_event(stream *st, const crm_event *e)
{
    char head[96];
    if (st->rep) {
        event_audience aud;
        event_audience_read(e->payload_json, &aud);
        if (!event_audience_has(&aud, st->user_id)) {
            st->last = e->seq;
            return;
        }
    }
    int n = snprintf(head, sizeof head, "id: %lld\nevent: %s\ndata: ", (long long)e->seq, e->name);
    if (http_stream_write(st->hs, head, (size_t)n) != 0 ||
        http_stream_write(st->hs, e->payload_json, strlen(e->payload_json)) != 0 ||
        http_stream_write(st->hs, "\n\n", 2) != 0)
        atomic_store(&st->gone, true);
    st->last = e->seq;
}

static void on_hub_event(const crm_event *e, void *ctx)
{
    sse *s = ctx;
    pthread_mutex_lock(&s->lock);
    for (stream *st = s->streams; st; st = st->next)
        if (st->live && !atomic_load(&st->gone) && e->seq > st->last && strcmp(st->org_id, e->org_id) == 0)
            send_event(st, e);
    pthread_mutex_unlock(&s->lock);
}

/* Under the lock: closes and frees the streams that are gone (all of them when `all`). */
static void reap(sse *s, bool all)
{
    for (stream **p = &s->streams; *p;) {
        stream *st = *p;
        if (all || atomic_load(&st->gone)) {
            *p = st->next;
            http_stream_close(st->hs);
            free(st);
        } else {
            p = &st->next;
        }
    }
}

static void *keepalive_main(void *arg)
{
    pthread_setname_np(pthread_self(), "sse-keepalive");
    sse *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        struct timespec until = time_deadline(CLOCK_REALTIME, s->keepalive_ms);
        if (pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
            continue;
        /* Revocation reaches open streams at their keep-alive. */
        for (stream *st = s->streams; st; st = st->next)
            if (!atomic_load(&st->gone) &&
                (!auth_still_valid(s->app, st->user_id, st->org_id, st->token_version) ||
                 http_stream_write(st->hs, ": keep-alive\n\n", 14) != 0))
                atomic_store(&st->gone, true);
        reap(s, false);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

sse *sse_start(crm_app *app, event_hub *hub, unsigned keepalive_ms, char *err, size_t errlen)
{
    sse *s = xcalloc(1, sizeof *s);
    s->app = app;
    s->hub = hub;
    s->keepalive_ms = keepalive_ms ? keepalive_ms : 15000;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    if (pthread_create(&s->thread, NULL, keepalive_main, s) != 0) {
        snprintf(err, errlen, "cannot start the SSE keep-alive thread");
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    if (hub)
        s->sub = event_hub_subscribe(hub, on_hub_event, s);
    return s;
}

void sse_stop(sse *s)
{
    if (!s)
        return;
    if (s->sub)
        event_hub_unsubscribe(s->hub, s->sub);
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_mutex_lock(&s->lock);
    reap(s, true);
    pthread_mutex_unlock(&s->lock);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Sends the logged events after st->last; returns how many, or -1 on a storage error. The
 * caller holds the lock only for the last round, which is what makes the switch to live exact. */
static int replay_batch(sse *s, stream *st, bool locked)
{
    arena *a = arena_new();
    crm_event *ev;
    size_t n = 0;
    int rc = event_history(s->app, st->org_id, st->last, SSE_REPLAY_BATCH, a, &ev, &n);
    if (rc == 0) {
        if (!locked)
            pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < n && !atomic_load(&st->gone); i++)
            send_event(st, &ev[i]);
        if (!locked)
            pthread_mutex_unlock(&s->lock);
    }
    arena_destroy(a);
    return rc ? -1 : (int)n;
}

int sse_open(sse *s, http_req *r, const crm_user *me, int64_t after)
{
    stream *st = xcalloc(1, sizeof *st);
    memcpy(st->org_id, me->org_id, sizeof st->org_id);
    memcpy(st->user_id, me->id, sizeof st->user_id);
    st->token_version = me->token_version;
    st->rep = me->role == ROLE_SALES_REP;
    st->last = after >= 0 ? after : s->hub ? event_hub_last_seq(s->hub) : 0;
    /* An id from the future (a restored database, a confused client) would mute the stream. */
    int64_t newest = 0;
    bool readable = event_newest_seq(s->app, &newest) == 0;
    if (readable && st->last > newest)
        st->last = newest;

    pthread_mutex_lock(&s->lock);
    bool stopping = s->stopping;
    size_t open = 0;
    for (const stream *o = s->streams; o; o = o->next)
        open += !atomic_load(&o->gone) && strcmp(o->user_id, me->id) == 0;
    pthread_mutex_unlock(&s->lock);
    if (stopping || !readable) {
        free(st);
        return -1;
    }
    if (open >= SSE_PER_USER) {
        free(st);
        return -2;
    }
    http_reply_header(r, "Cache-Control", "no-cache");
    http_reply_header(r, "X-Accel-Buffering", "no");
    st->hs = http_reply_stream(r, 200, "text/event-stream", SSE_BUFFER, on_client_closed, st);
    if (!st->hs) {
        free(st);
        return -1;
    }
    http_stream_write(st->hs, "retry: 2000\n\n", 13);

    /* Catch up outside the lock while there is much to send; the last round holds it. */
    int n = after >= 0 ? SSE_REPLAY_BATCH : 0;
    while (n == SSE_REPLAY_BATCH && !atomic_load(&st->gone))
        n = replay_batch(s, st, false);
    /* Under the lock until the log is exhausted: the hub cannot deliver past us meanwhile, even
     * when one commit appended more than a batch. */
    pthread_mutex_lock(&s->lock);
    if (n >= 0 && after >= 0)
        while ((n = replay_batch(s, st, true)) == SSE_REPLAY_BATCH && !atomic_load(&st->gone))
            ;
    if (n < 0) {
        log_error("SSE: cannot read the event log");
        atomic_store(&st->gone, true);
    }
    st->live = true;
    st->next = s->streams;
    s->streams = st;
    if (s->stopping)
        reap(s, true);
    pthread_mutex_unlock(&s->lock);
    return 0;
}
