/* The request-head deadline and the per-address slots of long-lived replies (see guard.h).
 *
 * Deadline: every connection gets a record at MHD's "started" notification and loses it at
 * "closed", which MHD sends before it closes the socket; a watchdog thread walks the records
 * and shuts down (never closes) the sockets of those past their deadline, all under one lock,
 * so it never touches a descriptor that was closed and reused. MHD sees the shutdown as the
 * client going away and cleans up as usual. */
#include "http/guard.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define SLOT_BUCKETS 1024u
#define SWEEP_MS 200

typedef struct conn_rec {
    struct conn_rec *prev, *next;
    int fd;
    bool waiting;                  /* for a request head */
    bool cut;                      /* shut down already */
    struct timespec deadline;
} conn_rec;

typedef struct slot_rec {
    struct slot_rec *next;
    http_addr_key key;
    unsigned n[2];                 /* by http_slot_kind */
} slot_rec;

struct http_guard {
    unsigned head_ms;
    unsigned max[2];               /* by http_slot_kind; 0: no limit */
    pthread_mutex_t lock;          /* guards conns, slots and stop */
    pthread_cond_t wake;
    conn_rec *conns;
    slot_rec *slots[SLOT_BUCKETS];
    bool stop;
    bool thread_started;
    pthread_t thread;
};

static void deadline_in(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static bool passed(const struct timespec *now, const struct timespec *t)
{
    return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

/* Whether the socket holds something the server has not read yet: bytes, or the client's
 * close. Then the server is behind (its threads busy with handlers), not the client, and the
 * head may well be complete: the connection is looked at again on a later sweep. A slow
 * client's few bytes are read at once, so it is seen with nothing pending. */
static bool pending(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

static void *watchdog(void *arg)
{
    http_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        struct timespec now, until;
        unsigned cut = 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (conn_rec *c = g->conns; c; c = c->next)
            if (c->waiting && !c->cut && passed(&now, &c->deadline) && !pending(c->fd)) {
                /* Both directions: MHD's next read sees the end, and nothing half-sent
                 * lingers. The descriptor stays MHD's to close. */
                shutdown(c->fd, SHUT_RDWR);
                c->cut = true;
                cut++;
            }
        if (cut)
            log_warn("http: closed %u connection%s that sent no complete request head within %u ms",
                     cut, cut == 1 ? "" : "s", g->head_ms);
        deadline_in(&until, SWEEP_MS);
        /* CLOCK_MONOTONIC for the wait too: see the condattr in http_guard_new */
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

http_guard *http_guard_new(unsigned head_ms, unsigned max_streams, unsigned max_upgrades)
{
    http_guard *g = xcalloc(1, sizeof *g);
    pthread_condattr_t ca;
    g->head_ms = head_ms;
    g->max[HTTP_SLOT_STREAM] = max_streams;
    g->max[HTTP_SLOT_UPGRADE] = max_upgrades;
    pthread_mutex_init(&g->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (head_ms) {
        if (pthread_create(&g->thread, NULL, watchdog, g) != 0)
            abort();
        g->thread_started = true;
    }
    return g;
}

void http_guard_free(http_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    if (g->thread_started)
        pthread_join(g->thread, NULL);
    /* MHD has closed every connection by now (each "closed" freed its record) */
    for (unsigned i = 0; i < SLOT_BUCKETS; i++)
        while (g->slots[i]) {
            slot_rec *s = g->slots[i];
            g->slots[i] = s->next;
            free(s);
        }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void http_guard_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    http_guard *g = cls;
    conn_rec *c;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c = xcalloc(1, sizeof *c);
        c->fd = fd ? fd->connect_fd : -1;
        c->waiting = g->head_ms && c->fd >= 0;
        if (c->waiting)
            deadline_in(&c->deadline, g->head_ms);
        pthread_mutex_lock(&g->lock);
        c->next = g->conns;
        if (c->next)
            c->next->prev = c;
        g->conns = c;
        pthread_mutex_unlock(&g->lock);
        *socket_context = c;
        return;
    }
    c = *socket_context;
    if (!c)
        return;
    *socket_context = NULL;
    pthread_mutex_lock(&g->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&g->lock);
    free(c);
}

static conn_rec *record_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

void http_guard_head_done(http_guard *g, struct MHD_Connection *conn)
{
    conn_rec *c = record_of(conn);
    if (!c || !g->head_ms)
        return;
    pthread_mutex_lock(&g->lock);
    c->waiting = false;
    pthread_mutex_unlock(&g->lock);
}

void http_guard_head_next(http_guard *g, struct MHD_Connection *conn)
{
    conn_rec *c = conn ? record_of(conn) : NULL;
    if (!c || !g->head_ms || c->fd < 0)
        return;
    pthread_mutex_lock(&g->lock);
    c->waiting = true;
    deadline_in(&c->deadline, g->head_ms);
    pthread_mutex_unlock(&g->lock);
}

/* ---- per-address slots ---- */

static bool key_of(struct MHD_Connection *conn, http_addr_key *key)
{
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = i ? i->client_addr : NULL;
    memset(key, 0, sizeof *key);
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        key->b[10] = key->b[11] = 0xff;   /* as ::ffff:a.b.c.d, so both families share keys */
        memcpy(key->b + 12, &in4->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (memcmp(in6->sin6_addr.s6_addr, mapped, 12) == 0)
            memcpy(key->b, in6->sin6_addr.s6_addr, 16);   /* an IPv4 client on a dual-stack socket */
        else {
            memcpy(key->b, in6->sin6_addr.s6_addr, 8);    /* its /64 */
            key->b[15] = 1;   /* never all zero (::/64), which means "no address" */
        }
        return true;
    }
    return false;
}

static slot_rec **slot_find(http_guard *g, const http_addr_key *key)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (size_t k = 0; k < sizeof key->b; k++)
        h = (h ^ key->b[k]) * 16777619u;
    slot_rec **s = &g->slots[h % SLOT_BUCKETS];
    while (*s && memcmp((*s)->key.b, key->b, sizeof key->b) != 0)
        s = &(*s)->next;
    return s;
}

bool http_guard_take(http_guard *g, struct MHD_Connection *conn, http_slot_kind kind,
                     http_addr_key *key)
{
    bool ok = true;
    slot_rec **s;
    if (!key_of(conn, key))
        return true;   /* not an IP socket: nothing to count by */
    pthread_mutex_lock(&g->lock);
    s = slot_find(g, key);
    if (!*s) {
        *s = xcalloc(1, sizeof **s);
        (*s)->key = *key;
    }
    if (g->max[kind] && (*s)->n[kind] >= g->max[kind])
        ok = false;
    else
        (*s)->n[kind]++;
    if (!(*s)->n[0] && !(*s)->n[1]) {
        slot_rec *gone = *s;
        *s = gone->next;
        free(gone);
    }
    pthread_mutex_unlock(&g->lock);
    return ok;
}

void http_guard_give(http_guard *g, const http_addr_key *key, http_slot_kind kind)
{
    static const http_addr_key none;
    slot_rec **s;
    if (memcmp(key->b, none.b, sizeof none.b) == 0)
        return;   /* taken without an address */
    pthread_mutex_lock(&g->lock);
    s = slot_find(g, key);
    if (*s && (*s)->n[kind]) {
        (*s)->n[kind]--;
        if (!(*s)->n[0] && !(*s)->n[1]) {
            slot_rec *gone = *s;
            *s = gone->next;
            free(gone);
        }
    }
    pthread_mutex_unlock(&g->lock);
}
