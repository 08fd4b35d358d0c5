/* The HTTP layer's listening socket (http/listener.c) against a real server on loopback:
 * connections opened together are served by different workers of the pool, connections past
 * the limit wait until one closes, the port is refused once the server stops, a port in use is
 * a clear error, and IPv6 works. */
#include "http/http.h"
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static int waiting;

/* Waits until WORKERS requests are in their handlers at once, or 3 s. Requests served by one
 * worker run one after another, so they can only meet if each has a worker of its own. */
static void h_meet(http_req *r)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 3;
    pthread_mutex_lock(&lock);
    waiting++;
    pthread_cond_broadcast(&arrived);
    while (waiting < WORKERS && pthread_cond_timedwait(&arrived, &lock, &until) == 0)
        ;
    bool met = waiting >= WORKERS;
    pthread_mutex_unlock(&lock);
    http_reply(r, 200, "text/plain", met ? "met" : "alone", met ? 3 : 5);
}

static void h_plain(http_req *r)
{
    http_reply(r, 200, "text/plain", "ok", 2);
}

static const http_route routes[] = {
    {"GET", "/meet", h_meet},
    {"GET", "/plain", h_plain},
};

static bool dial(int fd, int family, const char *host, unsigned short port)
{
    struct sockaddr_storage a = {0};
    socklen_t len;
    if (family == AF_INET6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        inet_pton(AF_INET6, host, &a6->sin6_addr);
        len = sizeof *a6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&a;
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        inet_pton(AF_INET, host, &a4->sin_addr);
        len = sizeof *a4;
    }
    return connect(fd, (struct sockaddr *)&a, len) == 0;
}

static bool send_get(int fd, const char *path)
{
    char req[128];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    return write(fd, req, (size_t)n) == n;
}

/* The reply's body, after its headers, within ms; "" when none came. */
static const char *body_of(int fd, char *buf, size_t cap, int ms)
{
    size_t len = 0;
    buf[0] = '\0';
    for (;;) {
        char *body = strstr(buf, "\r\n\r\n");
        if (body && (strstr(body, "met") || strstr(body, "alone") || strstr(body, "ok")))
            return body + 4;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (len + 1 >= cap || poll(&p, 1, ms) <= 0)
            return "";
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0)
            return "";
        len += (size_t)n;
        buf[len] = '\0';
    }
}

static void test_spread(void)
{
    char err[256], buf[4096];
    http_config cfg = {.routes = routes, .nroutes = 2, .threads = WORKERS};
    http_server *s = http_server_start(&cfg, err, sizeof err);
    ok(s != NULL, "a server of %d workers starts (%s)", WORKERS, s ? "ok" : err);
    if (!s)
        return;
    unsigned short port = http_server_port(s);
    ok(port != 0, "port 0 is replaced by the port bound (%u)", port);

    /* The sockets first, then the connections in a burst: the server's sockets then follow
     * one another, as a client pool's do when it opens. */
    int fds[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool dialed = true;
    for (int i = 0; i < WORKERS; i++)
        dialed = dial(fds[i], AF_INET, "127.0.0.1", port) && dialed;
    ok(dialed, "%d connections opened together", WORKERS);
    for (int i = 0; i < WORKERS; i++)
        send_get(fds[i], "/meet");
    int met = 0;
    for (int i = 0; i < WORKERS; i++)
        met += strcmp(body_of(fds[i], buf, sizeof buf, 5000), "met") == 0;
    ok(met == WORKERS, "their %d requests ran at once, each on a worker of its own (%d did)", WORKERS, met);

    /* a connection keeps being served after that */
    send_get(fds[0], "/plain");
    is_str(body_of(fds[0], buf, sizeof buf, 2000), "ok", "a kept-alive connection is served again");
    for (int i = 0; i < WORKERS; i++)
        close(fds[i]);

    http_server_stop(s);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool refused = !dial(fd, AF_INET, "127.0.0.1", port) && errno == ECONNREFUSED;
    ok(refused, "after stop, the port refuses connections");
    close(fd);
}

static int dial_and_get(unsigned short port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (!dial(fd, AF_INET, "127.0.0.1", port) || !send_get(fd, "/plain")) {
        close(fd);
        return -1;
    }
    return fd;
}

/* At the limit the listener takes no more connections; they wait in the backlog, and are
 * served once one closes. (It is the listener's limit, not MHD's: a connection added to a full
 * worker of libmicrohttpd 0.9.75 left the worker's mutex locked, and the server hung.) */
static void test_limit(void)
{
    char err[256], buf[4096];
    enum { LIMIT = 3 };
    http_config cfg = {.routes = routes, .nroutes = 2, .threads = 2, .max_connections = LIMIT};
    http_server *s = http_server_start(&cfg, err, sizeof err);
    ok(s != NULL, "a server of at most %d connections starts (%s)", LIMIT, s ? "ok" : err);
    if (!s)
        return;
    unsigned short port = http_server_port(s);
    int open[LIMIT], served = 0;
    for (int i = 0; i < LIMIT; i++) {
        open[i] = dial_and_get(port);
        served += open[i] >= 0 && strcmp(body_of(open[i], buf, sizeof buf, 2000), "ok") == 0;
    }
    is_int(served, LIMIT, "%d connections are served", LIMIT);

    int extra = dial_and_get(port);
    ok(extra >= 0, "one more connects (the backlog takes it)");
    is_str(body_of(extra, buf, sizeof buf, 300), "", "but is not served while %d are open", LIMIT);
    close(open[0]);
    is_str(body_of(extra, buf, sizeof buf, 3000), "ok", "until one of them closes");
    close(extra);
    for (int i = 1; i < LIMIT; i++)
        close(open[i]);

    /* a burst far past the limit, each connection closed at once */
    int burst[40];
    for (int i = 0; i < 40; i++)
        burst[i] = dial_and_get(port);
    for (int i = 0; i < 40; i++)
        if (burst[i] >= 0)
            close(burst[i]);
    served = 0;
    for (int i = 0; i < LIMIT; i++) {
        int tries = 0;
        do {   /* the burst's connections close on the server's side meanwhile */
            open[i] = dial_and_get(port);
            if (open[i] >= 0 && strcmp(body_of(open[i], buf, sizeof buf, 3000), "ok") == 0)
                break;
            close(open[i]);
            open[i] = -1;
        } while (++tries < 5);
        served += open[i] >= 0;
    }
    is_int(served, LIMIT, "after it, %d connections at once are served again (every close was counted)", LIMIT);
    for (int i = 0; i < LIMIT; i++)
        if (open[i] >= 0)
            close(open[i]);
    http_server_stop(s);
    ok(1, "and the server stops");
}

static void test_port_in_use(void)
{
    char err[256];
    http_config cfg = {.routes = routes, .nroutes = 2, .threads = 1};
    http_server *a = http_server_start(&cfg, err, sizeof err);
    ok(a != NULL, "a one-worker server starts (%s)", a ? "ok" : err);
    if (!a)
        return;
    cfg.port = http_server_port(a);
    http_server *b = http_server_start(&cfg, err, sizeof err);
    ok(b == NULL, "a second server on the same port does not start");
    ok(strstr(err, "cannot listen on 127.0.0.1 port") && strstr(err, "in use"),
       "and says why: %s", err);
    http_server_stop(b);

    char buf[4096];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ok(dial(fd, AF_INET, "127.0.0.1", cfg.port) && send_get(fd, "/plain"), "the first still accepts");
    is_str(body_of(fd, buf, sizeof buf, 2000), "ok", "and answers");
    close(fd);
    http_server_stop(a);
}

static void test_ipv6(void)
{
    char err[256], buf[4096];
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool have_v6 = probe >= 0 && bind(probe, (struct sockaddr *)&lo, sizeof lo) == 0;
    if (probe >= 0)
        close(probe);
    if (!have_v6) {
        ok(1, "# SKIP this machine has no IPv6 loopback");
        return;
    }
    const char *hosts[] = {"::1", "[::]"};
    for (int h = 0; h < 2; h++) {
        http_config cfg = {.routes = routes, .nroutes = 2, .threads = 2, .host = hosts[h]};
        http_server *s = http_server_start(&cfg, err, sizeof err);
        ok(s != NULL, "a server on %s starts (%s)", hosts[h], s ? "ok" : err);
        if (!s)
            continue;
        int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ok(dial(fd, AF_INET6, "::1", http_server_port(s)) && send_get(fd, "/plain"), "::1 connects");
        is_str(body_of(fd, buf, sizeof buf, 2000), "ok", "and is answered");
        close(fd);
        /* "[::]" is both stacks: an IPv4 client reaches it too; "::1" is IPv6 alone */
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool v4 = dial(fd, AF_INET, "127.0.0.1", http_server_port(s));
        ok(v4 == (h == 1), "an IPv4 client %s", h == 1 ? "reaches [::] too" : "does not reach ::1");
        if (v4) {
            send_get(fd, "/plain");
            is_str(body_of(fd, buf, sizeof buf, 2000), "ok", "and is answered");
        }
        close(fd);
        http_server_stop(s);
    }
}

int main(void)
{
    test_spread();   /* first: it wants a file table without holes */
    test_limit();
    test_port_in_use();
    test_ipv6();
    return tap_done();
}
