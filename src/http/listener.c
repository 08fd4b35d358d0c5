/* The listening socket and the thread that accepts on it. Each new connection goes to
 * MHD_add_connection, which gives it to the pool worker its socket number picks, so the
 * connections spread evenly over the pool.
 *
 * When MHD accepted for itself, the first worker that woke took up to 10 connections in a row.
 * A worker serves its connections one after another, and a handler may block on storage: a
 * group commit, or a PostgreSQL round trip. So after a burst of new connections (a client's
 * pool opening, or a proxy's), half the workers held several connections each and the other
 * half held none. Under 64 connections of durable creates, stack samples showed 15 of 32
 * workers idle the whole time, and the rest with a queue. */
#include "http/server_impl.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <fcntl.h>
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

/* accept4 fails so while the process or the system has no file descriptor or buffer left:
 * the connection stays in the backlog, so wait a little instead of spinning on it. */
#define OUT_OF_RESOURCES_PAUSE_MS 50

struct http_listener {
    int fd;                     /* the listening socket, non-blocking */
    int wake;                   /* an eventfd: written once to stop the thread */
    unsigned short port;
    struct MHD_Daemon *daemon;  /* where accepted connections go; set by http_listener_run */
    pthread_t thread;
    bool running;
};

http_listener *http_listener_open(const struct sockaddr *addr, socklen_t addrlen, bool dual_stack)
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
    l->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    return l;
}

unsigned short http_listener_port(const http_listener *l)
{
    return l->port;
}

/* Takes what the backlog holds; false when the thread is to stop. */
static bool accept_all(http_listener *l)
{
    static _Atomic long last_warned;
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int c = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            /* MHD closes the socket itself when it cannot take it (its connection limits) */
            MHD_add_connection(l->daemon, c, (struct sockaddr *)&peer, len);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            long now = (long)time(NULL);
            if (now - last_warned >= 60) {
                last_warned = now;
                log_warn("http: cannot accept connections: %s (they wait in the backlog)",
                         strerror(errno));
            }
            struct pollfd p = {.fd = l->wake, .events = POLLIN};
            return poll(&p, 1, OUT_OF_RESOURCES_PAUSE_MS) == 0;
        }
        return true;   /* EAGAIN: the backlog is empty */
    }
}

static void *accept_main(void *arg)
{
    http_listener *l = arg;
    struct pollfd p[2] = {{.fd = l->fd, .events = POLLIN}, {.fd = l->wake, .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (p[0].revents && !accept_all(l))
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
