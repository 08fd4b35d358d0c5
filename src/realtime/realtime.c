/* The real-time loop: one thread owns every upgraded WebSocket (non-blocking, level-triggered
 * epoll), the heartbeat timers and the rooms. Other threads only hand it work through a
 * mutex-guarded mailbox and an eventfd: new connections (server threads) and formatted event
 * frames (the hub thread), so nothing but this thread ever touches a session. */
#include "realtime/realtime.h"
#include "service/event_audience.h"
#include "realtime/engineio.h"
#include "realtime/rooms.h"
#include "realtime/user_sockets.h"
#include "realtime/socketio.h"
#include "realtime/websocket.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "service/auth.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define DEF_PING_INTERVAL_MS 25000u
#define DEF_PING_TIMEOUT_MS 20000u
#define DEF_MAX_PAYLOAD 1000000u
#define DEF_QUEUE_MSGS 1000u
#define DEF_QUEUE_BYTES ((size_t)4 * 1024 * 1024)
#define DEF_PER_USER 20u
#define CONNECT_TIMEOUT_MS 45000   /* to send the Socket.IO connect packet (as socket.io's) */
/* Events waiting for the loop. Far more than a burst of commits: reaching it means the loop
 * is stuck, and then every client is disconnected (they reconnect) rather than lied to. */
#define INBOX_MAX 100000u
#define EPOLL_BATCH 256

typedef struct session session;

/* A FIFO of sessions by due time: every session waits in exactly one, for its next ping
 * (pings) or for its pong (pongs). All sessions share the interval and the timeout, so
 * appending keeps each list sorted and the heads are the only timers to look at. */
typedef struct slist {
    session *head, *tail;
} slist;

struct session {
    ws w;
    http_upgraded *u;
    realtime *rt;
    session *tprev, *tnext;
    slist *tlist;
    room_link room;
    session *grave;          /* next in the loop's list of sessions to free */
    int64_t due, created;
    uint32_t mask;           /* epoll events registered */
    bool connected;          /* to the default namespace, after the token check */
    bool counted;            /* in rt->per_user, until it closes or is dropped */
    bool rep;                   /* a SALES_REP: gets only events of contacts it may see */
    objectid user_id, org_id;   /* who connected, and the token version they held: a change */
    int64_t token_version;      /* (disable, password, deletion) ends the socket at next ping */
    bool closing;            /* a close frame is queued: drop once it is out */
    bool dead;
    char sid[EIO_SID_LEN + 1];
};

typedef struct pending {
    struct pending *next;
    http_upgraded *u;
} pending;

typedef struct frame {
    struct frame *next;
    objectid org_id;
    bool audience_known;       /* read from the payload when the room first has a SALES_REP */
    event_audience audience;   /* the SALES_REPs of the org who may see it */
    size_t payload_off, payload_len;
    size_t len;
    char text[];
} frame;

struct realtime {
    crm_app *app;
    event_hub *hub;
    hub_sub *sub;
    realtime_config cfg;
    int ep, wakefd;
    pthread_t thread;
    bool thread_started;
    atomic_uint nconn;

    pthread_mutex_t lock;    /* the mailbox: everything down to `overflow` */
    pending *pend_head, *pend_tail;
    frame *in_head, *in_tail;
    size_t in_count;
    bool stopping, overflow;

    /* the loop thread's own */
    rooms *rooms;
    user_sockets *per_user;  /* connected sockets per user, for cfg.per_user */
    slist pings, pongs;
    session *graveyard;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake(realtime *rt)
{
    uint64_t one = 1;
    ssize_t n = write(rt->wakefd, &one, sizeof one);
    (void)n;   /* EAGAIN: the counter is already non-zero, the loop will wake anyway */
}

/* ---- timer lists ---- */

static void sl_remove(session *s)
{
    slist *l = s->tlist;
    if (!l)
        return;
    if (s->tprev)
        s->tprev->tnext = s->tnext;
    else
        l->head = s->tnext;
    if (s->tnext)
        s->tnext->tprev = s->tprev;
    else
        l->tail = s->tprev;
    s->tprev = s->tnext = NULL;
    s->tlist = NULL;
}

static void sl_append(slist *l, session *s, int64_t due)
{
    sl_remove(s);
    s->due = due;
    s->tlist = l;
    s->tprev = l->tail;
    s->tnext = NULL;
    if (l->tail)
        l->tail->tnext = s;
    else
        l->head = s;
    l->tail = s;
}

/* ---- sessions ---- */

/* Takes a session out of its user's count: once it is closing, it no longer holds a place. */
static void uncount(session *s)
{
    if (s->counted) {
        s->counted = false;
        user_sockets_remove(s->rt->per_user, s->user_id);
    }
}

/* Drops the connection now. Safe anywhere but inside ws_read's message callback; the memory itself is
 * freed at the end of the loop iteration, since this batch of epoll events may still name s. */
static void drop(session *s)
{
    realtime *rt = s->rt;
    if (s->dead)
        return;
    s->dead = true;
    uncount(s);
    epoll_ctl(rt->ep, EPOLL_CTL_DEL, s->w.fd, NULL);
    rooms_leave(rt->rooms, &s->room);
    sl_remove(s);
    ws_free(&s->w);
    http_upgraded_close(s->u);
    s->u = NULL;
    s->grave = rt->graveyard;
    rt->graveyard = s;
    atomic_fetch_sub_explicit(&rt->nconn, 1, memory_order_relaxed);
}

/* Ends the session with a WebSocket close frame; safe inside ws_read's message callback. */
static void fail(session *s, uint16_t code)
{
    if (s->closing || s->dead)
        return;
    s->closing = true;
    uncount(s);
    ws_queue_close(&s->w, code);
}

static void send_text(session *s, const char *text, size_t len)
{
    if (s->closing || s->dead)
        return;
    if (ws_queue_text(&s->w, text, len) != 0)
        fail(s, 1011);
}

/* After anything that may have queued output or consumed input: write what the socket takes,
 * drop finished connections, and watch for what is still wanted. */
static void settle(session *s)
{
    struct epoll_event ev = {0};
    uint32_t mask;
    if (s->dead)
        return;
    if (ws_want_write(&s->w) && ws_flush(&s->w) != 0) {
        drop(s);
        return;
    }
    if (ws_done(&s->w) || (s->closing && !ws_want_write(&s->w))) {
        drop(s);
        return;
    }
    mask = (ws_want_read(&s->w) ? EPOLLIN : 0) | (ws_want_write(&s->w) ? EPOLLOUT : 0);
    if (mask != s->mask) {
        ev.events = mask;
        ev.data.ptr = s;
        if (epoll_ctl(s->rt->ep, EPOLL_CTL_MOD, s->w.fd, &ev) != 0) {
            drop(s);
            return;
        }
        s->mask = mask;
    }
}

/* Socket.IO CONNECT to the default namespace: {token} checked like any bearer token, and at
 * most cfg.per_user sockets per user (the SUPERADMIN's, which hear nothing, are not counted). */
static void sio_connect(session *s, const char *data, size_t len)
{
    realtime *rt = s->rt;
    json_t *auth = NULL, *reply;
    const char *token = NULL;
    char *text;
    arena *a;
    crm_user me;
    crm_err err = {0};
    int rc;

    if (s->connected)
        return;   /* one connection per namespace */
    if (len) {
        auth = json_loadb(data, len, 0, NULL);
        if (!json_is_object(auth)) {
            json_decref(auth);
            fail(s, 1003);
            return;
        }
        token = json_string_value(json_object_get(auth, "token"));
    }
    a = arena_new();
    if (!token || !*token || strlen(token) > 4096) {
        crm_fail(&err, CRM_E_UNAUTHORIZED, NULL, "%s", "Authentication token required");
        rc = -CRM_E_UNAUTHORIZED;
    } else {
        rc = auth_authenticate(rt->app, arena_printf(a, "Bearer %s", token), a, &me, &err);
    }
    json_decref(auth);
    if (rc == 0 && me.role != ROLE_SUPERADMIN && user_sockets_count(rt->per_user, me.id) >= rt->cfg.per_user)
        rc = crm_fail(&err, CRM_E_RATE_LIMITED, NULL, "Too many connections for this user (at most %u)",
                      rt->cfg.per_user);
    if (rc != 0) {
        int code = err.code ? err.code : CRM_E_UNAUTHORIZED;
        reply = json_pack("{s:s}", "message",
                          err.message[0] && crm_error_status(code) < 500 ? err.message
                                                                           : crm_error_message(code));
        text = json_dumps(reply, JSON_COMPACT);
        json_decref(reply);
        if (!text)
            abort();
        char *pkt = arena_printf(a, "44%s", text);
        free(text);
        send_text(s, pkt, strlen(pkt));
        arena_destroy(a);
        return;
    }
    s->connected = true;
    memcpy(s->user_id, me.id, sizeof s->user_id);
    memcpy(s->org_id, me.org_id, sizeof s->org_id);
    s->token_version = me.token_version;
    s->rep = me.role == ROLE_SALES_REP;
    if (me.role != ROLE_SUPERADMIN && me.org_id[0]) {
        rooms_join(rt->rooms, me.org_id, &s->room);
        user_sockets_add(rt->per_user, s->user_id);
        s->counted = true;
    }
    char sid[EIO_SID_LEN + 1];
    eio_new_sid(sid);
    char *pkt = arena_printf(a, "40{\"sid\":\"%s\"}", sid);
    send_text(s, pkt, strlen(pkt));
    arena_destroy(a);
}

/* A Socket.IO packet (an Engine.IO message without its '4'). */
static void on_sio(session *s, const char *p, size_t n)
{
    sio_packet pk;
    json_t *j;
    if (sio_parse(p, n, &pk) != 0) {
        fail(s, 1003);
        return;
    }
    if (pk.nsp_len != 1 || pk.nsp[0] != '/') {
        if (pk.type == SIO_CONNECT) {
            char pkt[160];
            int k = snprintf(pkt, sizeof pkt, "44%.*s,{\"message\":\"Invalid namespace\"}",
                             (int)(pk.nsp_len < 100 ? pk.nsp_len : 100), pk.nsp);
            /* a namespace name with a quote or a control byte in it is not worth answering */
            bool clean = true;
            for (size_t i = 0; i < pk.nsp_len; i++)
                clean = clean && pk.nsp[i] > ' ' && pk.nsp[i] != '"' && pk.nsp[i] != '\\';
            if (clean && pk.nsp_len < 100)
                send_text(s, pkt, (size_t)k);
            else
                fail(s, 1003);
        }
        return;
    }
    switch (pk.type) {
    case SIO_CONNECT:
        sio_connect(s, pk.data, pk.data_len);
        break;
    case SIO_DISCONNECT:
        fail(s, 1000);   /* the client left the only namespace: nothing more to say */
        break;
    case SIO_EVENT:
    case SIO_ACK:
        /* nothing is served to client events, but they must at least be well-formed */
        j = json_loadb(pk.data, pk.data_len, 0, NULL);
        if (!json_is_array(j))
            fail(s, 1003);
        json_decref(j);
        break;
    default:   /* CONNECT_ERROR is the server's; binary attachments are not supported */
        fail(s, 1003);
        break;
    }
}

/* A whole WebSocket message; runs inside ws_read. */
static void on_message(void *user, const uint8_t *msg, size_t len, bool binary)
{
    session *s = user;
    const char *m = (const char *)msg;
    if (s->closing)
        return;
    if (binary) {
        fail(s, 1003);
        return;
    }
    switch (eio_type(m, len)) {
    case EIO_PING: {   /* a v3-style client ping: answer in kind */
        char pong[128];
        if (len > sizeof pong) {
            fail(s, 1003);
            break;
        }
        memcpy(pong, m, len);
        pong[0] = '3';
        send_text(s, pong, len);
        break;
    }
    case EIO_PONG:
        if (s->tlist == &s->rt->pongs)
            sl_append(&s->rt->pings, s, now_ms() + s->rt->cfg.ping_interval_ms);
        break;
    case EIO_MESSAGE:
        on_sio(s, m + 1, len - 1);
        break;
    case EIO_CLOSE:
        fail(s, 1000);
        break;
    case EIO_NOOP:
        break;
    default:   /* open and upgrade are the server's; anything else is not Engine.IO */
        fail(s, 1003);
        break;
    }
}

static void session_new(realtime *rt, http_upgraded *u)
{
    session *s = xcalloc(1, sizeof *s);
    struct epoll_event ev = {.events = EPOLLIN};
    char open[192];
    size_t extra_len, n;
    const char *extra = http_upgraded_extra(u, &extra_len);
    s->rt = rt;
    s->u = u;
    if (ws_open(&s->w, http_upgraded_fd(u), extra, extra_len, rt->cfg.max_payload, on_message, s) != 0) {
        log_error("socket.io: cannot set up a WebSocket context");
        http_upgraded_close(u);
        free(s);
        return;
    }
    ev.data.ptr = s;
    if (epoll_ctl(rt->ep, EPOLL_CTL_ADD, s->w.fd, &ev) != 0) {
        log_error("socket.io: epoll_ctl: %s", strerror(errno));
        ws_free(&s->w);
        http_upgraded_close(u);
        free(s);
        return;
    }
    s->mask = EPOLLIN;
    atomic_fetch_add_explicit(&rt->nconn, 1, memory_order_relaxed);
    s->created = now_ms();
    sl_append(&rt->pings, s, s->created + rt->cfg.ping_interval_ms);
    eio_new_sid(s->sid);
    n = eio_open_packet(open, sizeof open, s->sid, rt->cfg.ping_interval_ms,
                        rt->cfg.ping_timeout_ms, rt->cfg.max_payload);
    send_text(s, open, n);
    /* bytes the HTTP server read past the request are not signalled by epoll */
    if (extra_len && ws_read(&s->w) != 0) {
        drop(s);
        return;
    }
    settle(s);
}

static void session_io(session *s, uint32_t events)
{
    if (s->dead)
        return;
    if (events & EPOLLERR) {
        drop(s);
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP)) {
        if (!ws_want_read(&s->w)) {
            if (events & EPOLLHUP) {
                drop(s);
                return;
            }
        } else if (ws_read(&s->w) != 0) {
            drop(s);   /* reset or EOF (a protocol error or a frame over maxPayload queues a close) */
            return;
        }
    }
    settle(s);
}

/* One event to its organization's room. The frame is copied into each client's queue; a
 * client whose queue is full is too far behind to catch up and is dropped. */
static void fan_out(realtime *rt, frame *f)
{
    room_link *l = rooms_first(rt->rooms, f->org_id), *next;
    for (; l; l = next) {
        session *s = (session *)((char *)l - offsetof(session, room));
        next = l->next;   /* kill takes s out of the room */
        if (s->rep && !f->audience_known) {
            event_audience_readn(f->text + f->payload_off, f->payload_len, &f->audience);
            f->audience_known = true;
        }
        if (s->closing || (s->rep && !event_audience_has(&f->audience, s->user_id)))
            continue;
        if (ws_queued_msgs(&s->w) >= rt->cfg.queue_msgs ||
            ws_queued_bytes(&s->w) + f->len > rt->cfg.queue_bytes) {
            log_warn("socket.io: client %s fell %zu frames behind, disconnected", s->sid,
                     ws_queued_msgs(&s->w));
            drop(s);
            continue;
        }
        send_text(s, f->text, f->len);
        settle(s);
    }
}

static void drop_all(realtime *rt)
{
    while (rt->pings.head)
        drop(rt->pings.head);
    while (rt->pongs.head)
        drop(rt->pongs.head);
}

static void bury(realtime *rt)
{
    while (rt->graveyard) {
        session *s = rt->graveyard;
        rt->graveyard = s->grave;
        free(s);
    }
}

/* Takes the mailbox; returns true when the loop must stop. */
static bool take_mail(realtime *rt)
{
    uint64_t cnt;
    pending *p;
    frame *f;
    bool stop, overflow;
    ssize_t n = read(rt->wakefd, &cnt, sizeof cnt);
    (void)n;
    pthread_mutex_lock(&rt->lock);
    p = rt->pend_head;
    f = rt->in_head;
    rt->pend_head = rt->pend_tail = NULL;
    rt->in_head = rt->in_tail = NULL;
    rt->in_count = 0;
    stop = rt->stopping;
    overflow = rt->overflow;
    rt->overflow = false;
    pthread_mutex_unlock(&rt->lock);
    if (overflow) {
        log_error("socket.io: event backlog over %u; every client disconnected", INBOX_MAX);
        drop_all(rt);
    }
    while (p) {
        pending *next = p->next;
        if (stop)
            http_upgraded_close(p->u);
        else
            session_new(rt, p->u);
        free(p);
        p = next;
    }
    while (f) {
        frame *next = f->next;
        if (!stop && !overflow)
            fan_out(rt, f);
        free(f);
        f = next;
    }
    return stop;
}

static void run_timers(realtime *rt)
{
    int64_t now = now_ms();
    while (rt->pings.head && rt->pings.head->due <= now) {
        session *s = rt->pings.head;
        if (!s->connected && now - s->created >= CONNECT_TIMEOUT_MS) {
            drop(s);
            continue;
        }
        if (s->connected && !auth_still_valid(rt->app, s->user_id, s->org_id, s->token_version)) {
            /* The server ends the Socket.IO session, then the socket; should the close not get
             * out, the pong timer drops it. */
            sl_append(&rt->pongs, s, now + rt->cfg.ping_timeout_ms);
            send_text(s, "41", 2);
            settle(s);   /* the 41 goes to the framing layer before the close frame does */
            if (!s->dead) {
                fail(s, 1000);
                settle(s);
            }
            continue;
        }
        sl_append(&rt->pongs, s, now + rt->cfg.ping_timeout_ms);
        send_text(s, "2", 1);
        settle(s);
    }
    while (rt->pongs.head && rt->pongs.head->due <= now)
        drop(rt->pongs.head);   /* no pong in time: a dead peer */
}

static int next_timeout(const realtime *rt)
{
    int64_t due = INT64_MAX, now;
    if (rt->pings.head)
        due = rt->pings.head->due;
    if (rt->pongs.head && rt->pongs.head->due < due)
        due = rt->pongs.head->due;
    if (due == INT64_MAX)
        return -1;
    now = now_ms();
    return due <= now ? 0 : due - now > 60000 ? 60000 : (int)(due - now);
}

static void *loop(void *arg)
{
    pthread_setname_np(pthread_self(), "socketio");
    realtime *rt = arg;
    struct epoll_event evs[EPOLL_BATCH];
    bool stop = false;
    while (!stop) {
        int n = epoll_wait(rt->ep, evs, EPOLL_BATCH, next_timeout(rt));
        if (n < 0 && errno != EINTR) {
            log_error("socket.io: epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL)
                stop = take_mail(rt) || stop;
            else
                session_io(evs[i].data.ptr, evs[i].events);
        }
        run_timers(rt);
        bury(rt);
    }
    drop_all(rt);
    bury(rt);
    return NULL;
}

/* ---- other threads ---- */

/* The hub's subscriber (hub thread): format once, post to the loop, never block on clients. */
static void on_event(const crm_event *e, void *ctx)
{
    realtime *rt = ctx;
    size_t nl = strlen(e->name), pl = strlen(e->payload_json);
    frame *f;
    if (atomic_load_explicit(&rt->nconn, memory_order_relaxed) == 0)
        return;   /* nobody to send it to (a socket connecting now hears the next one) */
    for (size_t i = 0; i < nl; i++)
        if (!((e->name[i] >= 'a' && e->name[i] <= 'z') || e->name[i] == '_'))
            return;   /* not an event name the API defines: nothing to send */
    f = xmalloc(sizeof *f + nl + pl + 8);
    f->next = NULL;
    memcpy(f->org_id, e->org_id, sizeof f->org_id);
    f->audience_known = false;
    f->len = (size_t)sprintf(f->text, "42[\"%s\",%s]", e->name, e->payload_json);
    f->payload_off = 4 + nl + 2;   /* after 42[" name ", */
    f->payload_len = pl;
    pthread_mutex_lock(&rt->lock);
    if (rt->stopping || rt->overflow) {
        free(f);
        f = NULL;
    } else if (rt->in_count >= INBOX_MAX) {
        rt->overflow = true;
        free(f);
        f = NULL;
    } else {
        if (rt->in_tail)
            rt->in_tail->next = f;
        else
            rt->in_head = f;
        rt->in_tail = f;
        rt->in_count++;
    }
    pthread_mutex_unlock(&rt->lock);
    wake(rt);
}

void realtime_accept(void *ctx, http_upgraded *u)
{
    realtime *rt = ctx;
    pending *p;
    if (!u)
        return;   /* the client left before the switch */
    p = xmalloc(sizeof *p);
    p->next = NULL;
    p->u = u;
    pthread_mutex_lock(&rt->lock);
    if (rt->stopping) {
        pthread_mutex_unlock(&rt->lock);
        free(p);
        http_upgraded_close(u);
        return;
    }
    if (rt->pend_tail)
        rt->pend_tail->next = p;
    else
        rt->pend_head = p;
    rt->pend_tail = p;
    pthread_mutex_unlock(&rt->lock);
    wake(rt);
}

unsigned realtime_connections(realtime *rt)
{
    return rt ? atomic_load_explicit(&rt->nconn, memory_order_relaxed) : 0;
}

realtime *realtime_start(crm_app *app, event_hub *hub, const realtime_config *cfg, char *err,
                         size_t errlen)
{
    realtime *rt = xcalloc(1, sizeof *rt);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    rt->app = app;
    rt->hub = hub;
    if (cfg)
        rt->cfg = *cfg;
    if (!rt->cfg.ping_interval_ms)
        rt->cfg.ping_interval_ms = DEF_PING_INTERVAL_MS;
    if (!rt->cfg.ping_timeout_ms)
        rt->cfg.ping_timeout_ms = DEF_PING_TIMEOUT_MS;
    if (!rt->cfg.max_payload)
        rt->cfg.max_payload = DEF_MAX_PAYLOAD;
    if (!rt->cfg.queue_msgs)
        rt->cfg.queue_msgs = DEF_QUEUE_MSGS;
    if (!rt->cfg.queue_bytes)
        rt->cfg.queue_bytes = DEF_QUEUE_BYTES;
    if (!rt->cfg.per_user)
        rt->cfg.per_user = DEF_PER_USER;
    atomic_init(&rt->nconn, 0);
    pthread_mutex_init(&rt->lock, NULL);
    rt->rooms = rooms_new();
    rt->per_user = user_sockets_new();
    rt->ep = epoll_create1(EPOLL_CLOEXEC);
    rt->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (rt->ep < 0 || rt->wakefd < 0 || epoll_ctl(rt->ep, EPOLL_CTL_ADD, rt->wakefd, &ev) != 0) {
        snprintf(err, errlen, "socket.io: cannot set up epoll: %s", strerror(errno));
        goto fail;
    }
    if (pthread_create(&rt->thread, NULL, loop, rt) != 0) {
        snprintf(err, errlen, "socket.io: cannot start the real-time thread");
        goto fail;
    }
    rt->thread_started = true;
    if (hub)
        rt->sub = event_hub_subscribe(hub, on_event, rt);
    return rt;
fail:
    realtime_free(rt);
    return NULL;
}

void realtime_stop(realtime *rt)
{
    if (!rt)
        return;
    if (rt->sub) {
        event_hub_unsubscribe(rt->hub, rt->sub);   /* on_event never runs again */
        rt->sub = NULL;
    }
    pthread_mutex_lock(&rt->lock);
    rt->stopping = true;
    pthread_mutex_unlock(&rt->lock);
    wake(rt);
    if (rt->thread_started) {
        pthread_join(rt->thread, NULL);
        rt->thread_started = false;
    }
}

void realtime_free(realtime *rt)
{
    if (!rt)
        return;
    realtime_stop(rt);
    /* what arrived between the loop's last look and now */
    while (rt->pend_head) {
        pending *p = rt->pend_head;
        rt->pend_head = p->next;
        http_upgraded_close(p->u);
        free(p);
    }
    while (rt->in_head) {
        frame *f = rt->in_head;
        rt->in_head = f->next;
        free(f);
    }
    if (rt->ep >= 0)
        close(rt->ep);
    if (rt->wakefd >= 0)
        close(rt->wakefd);
    rooms_free(rt->rooms);
    user_sockets_free(rt->per_user);
    pthread_mutex_destroy(&rt->lock);
    free(rt);
}
