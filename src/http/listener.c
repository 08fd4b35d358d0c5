/* The listening socket and the thread that accepts on it. Each new connection goes to
 * MHD_add_connection, which gives it to the pool worker its socket number picks, so the
 * connections spread evenly over the pool.
 *
 * When MHD accepted for itself, the first worker that woke took up to 10 connections in a row.
 * A worker serves its connections one after another, and a handler may block on storage: a
 * group commit, or a PostgreSQL round trip. So after a burst of new connections (a client's
 * pool opening, or a proxy's), half the workers held several connections each and the other
 * half held none. Under 64 connections of durable creates, stack samples showed 15 of 32
 * workers idle the whole time, and the rest with a queue. The price: a new connection may land
 * on a worker that is in a handler, and waits for it, where MHD's accept gave it to one that
 * was free.
 *
 * The limit on open connections is kept here, not by MHD: at the limit the listening socket is
 * left alone, so that new connections wait in its backlog (as they did when MHD accepted).
 * MHD's own limit is set out of reach (server.c): libmicrohttpd 0.9.75 leaves a worker's mutex
 * locked when a connection added to it finds the worker full, and the worker never runs again. */
#include "http/server_impl.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* how long a failing accept4 waits before it tries again */
#define ACCEPT_PAUSE_MS 50
/* at the limit of open connections, how often the count is looked at again */
#define FULL_RECHECK_MS 10

struct http_listener {
    int fd;                     /* the listening socket, non-blocking */
    int wake;                   /* an eventfd: written once to stop the thread */
    unsigned short port;
    long max_open;              /* connections open at once, at most */
    _Atomic long open;          /* given to MHD and not yet closed (http_listener_closed); a
                                   connection MHD drops for want of memory before it starts
                                   (no NOTIFY_CLOSED then) stays counted */
    struct MHD_Daemon *daemon;  /* where accepted connections go; set by http_listener_run */
    pthread_t thread;
    bool running;
};

http_listener *http_listener_open(const struct sockaddr *addr, socklen_t addrlen, bool dual_stack,
                                  unsigned max_open)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    int on = 1, v6only = dual_stack ? 0 : 1;
    struct sockaddr_storage bound;
    socklen_t boundlen = sizeof bound;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (addr->sa_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) ||
        bind(fd, addr, addrlen) != 0 || listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &boundlen) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake < 0) {
        close(fd);
        return NULL;
    }
    http_listener *l = xcalloc(1, sizeof *l);
    l->fd = fd;
    l->wake = wake;
    l->max_open = max_open;
    l->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    return l;
}

unsigned short http_listener_port(const http_listener *l)
{
    return l->port;
}

void http_listener_closed(http_listener *l)
{
    atomic_fetch_sub_explicit(&l->open, 1, memory_order_relaxed);
}

static bool full(http_listener *l)
{
    return atomic_load_explicit(&l->open, memory_order_relaxed) >= l->max_open;
}

/* Waits ms, or less if woken; false when the thread is to stop. */
static bool pause_unless_stopped(http_listener *l, int ms)
{
    struct pollfd p = {.fd = l->wake, .events = POLLIN};
    return !(poll(&p, 1, ms) > 0 && (p.revents & POLLIN));
}

/* Takes what the backlog holds, up to the limit; false when the thread is to stop. */
static bool accept_all(http_listener *l)
{
    static _Atomic long last_warned;
    while (!full(l)) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int c = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            /* MHD closes the socket itself when it cannot take it (the per-address limit) */
            atomic_fetch_add_explicit(&l->open, 1, memory_order_relaxed);
            if (MHD_add_connection(l->daemon, c, (struct sockaddr *)&peer, len) != MHD_YES)
                http_listener_closed(l);
            continue;
        }
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return true;   /* the backlog is empty */
        /* a connection that failed before it was taken (accept(2)): on to the next */
        case EINTR: case ECONNABORTED: case EPROTO: case EPERM: case ENETDOWN: case ENETUNREACH:
        case EHOSTDOWN: case EHOSTUNREACH: case ENONET: case ENOPROTOOPT: case EOPNOTSUPP:
            continue;
        default: {
            /* out of file descriptors or buffers (EMFILE, ENFILE, ENOBUFS, ENOMEM), or worse:
             * the connections wait in the backlog a little, rather than the thread spin */
            long now = (long)time(NULL);
            if (now - last_warned >= 60) {
                last_warned = now;
                log_warn("http: cannot accept connections: %s", strerror(errno));
            }
            return pause_unless_stopped(l, ACCEPT_PAUSE_MS);
        }
        }
    }
    return true;
}

static void *accept_main(void *arg)
{
    http_listener *l = arg;
    struct pollfd p[2] = {{.fd = l->wake, .events = POLLIN}, {.fd = l->fd, .events = POLLIN}};
    for (;;) {
        if (full(l)) {   /* the listening socket is left alone: new connections wait in its backlog */
            if (!pause_unless_stopped(l, FULL_RECHECK_MS))
                break;
            continue;
        }
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("http: the accepting thread stops: %s", strerror(errno));
            break;
        }
        if (p[0].revents)
            break;
        if (p[1].revents && !accept_all(l))
            break;
    }
    return NULL;
}

bool http_listener_run(http_listener *l, struct MHD_Daemon *daemon)
{
    l->daemon = daemon;
    l->running = pthread_create(&l->thread, NULL, accept_main, l) == 0;
    return l->running;
}

void http_listener_stop(http_listener *l)
{
    if (!l || !l->running)
        return;
    uint64_t one = 1;
    if (write(l->wake, &one, sizeof one) != sizeof one)
        log_error("http: cannot wake the accepting thread: %s", strerror(errno));
    pthread_join(l->thread, NULL);
    l->running = false;
}

void http_listener_free(http_listener *l)
{
    if (!l)
        return;
    http_listener_stop(l);
    close(l->fd);
    close(l->wake);
    free(l);
}
