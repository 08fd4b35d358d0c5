/* The HTTP layer's streaming replies against a real server on a free port: data written from
 * another thread reaches the client, the bound refuses a writer that outruns it, the owner's
 * close ends the body, a client that leaves is reported, and stop ends open streams promptly. */
#include "http/http.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static http_stream *volatile the_stream;
static atomic_int closed_calls;
static size_t max_buffered = 1024;

static void on_closed(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&closed_calls, 1);
}

static void h_stream(http_req *r)
{
    http_reply_header(r, "Cache-Control", "no-cache");
    the_stream = http_reply_stream(r, 200, "text/event-stream", max_buffered, on_closed, NULL);
}

static void h_plain(http_req *r)
{
    http_reply(r, 200, "text/plain", "ok", 2);
}

static const http_route routes[] = {
    {"GET", "/events", h_stream},
    {"GET", "/plain", h_plain},
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int dial(unsigned short port, const char *path)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    char req[256];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        return -1;
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n)
        return -1;
    return fd;
}

/* Reads into buf (NUL-terminated) until `want` appears or ms pass; returns true if it did. */
static bool read_until(int fd, char *buf, size_t cap, size_t *len, const char *want, int ms)
{
    double end = now_s() + ms / 1000.0;
    while (!strstr(buf, want)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)((end - now_s()) * 1000);
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return false;
        ssize_t n = read(fd, buf + *len, cap - 1 - *len);
        if (n <= 0)
            return strstr(buf, want) != NULL;
        *len += (size_t)n;
        buf[*len] = '\0';
    }
    return true;
}

static bool wait_stream(int ms)
{
    for (int i = 0; i < ms && !the_stream; i++)
        usleep(1000);
    return the_stream != NULL;
}

int main(void)
{
    char err[256], buf[65536];
    size_t len;
    http_config cfg = {.routes = routes, .nroutes = 2, .threads = 2};
    http_server *s = http_server_start(&cfg, err, sizeof err);
    ok(s != NULL, "server starts (%s)", s ? "ok" : err);
    if (!s)
        return tap_done();
    unsigned short port = http_server_port(s);

    /* 1. data flows; the owner's close ends the body */
    int fd = dial(port, "/events");
    ok(wait_stream(2000), "stream created");
    http_stream *st = the_stream;
    len = 0;
    buf[0] = '\0';
    ok(read_until(fd, buf, sizeof buf, &len, "\r\n\r\n", 2000), "headers arrive before any data");
    ok(strstr(buf, "200") && strstr(buf, "text/event-stream") && strstr(buf, "chunked"),
       "200, text/event-stream, chunked");
    usleep(50000);   /* the reader has parked the connection by now */
    is_int(http_stream_write(st, "data: one\n\n", 11), 0, "write accepted");
    ok(read_until(fd, buf, sizeof buf, &len, "data: one\n\n", 2000), "the write wakes the connection");
    is_int(http_stream_write(st, "data: two\n\n", 11), 0, "second write");
    ok(read_until(fd, buf, sizeof buf, &len, "data: two\n\n", 2000), "second chunk arrives");
    char big[2048];
    memset(big, 'x', sizeof big);
    is_int(http_stream_write(st, big, sizeof big), -1, "a write over the bound is refused");
    http_stream_close(st);
    the_stream = NULL;
    ok(read_until(fd, buf, sizeof buf, &len, "0\r\n\r\n", 2000), "close ends the chunked body");
    is_int(atomic_load(&closed_calls), 0, "on_closed not called after the owner closed");
    close(fd);

    /* 2. a client that leaves is reported (on the next write) */
    fd = dial(port, "/events");
    ok(wait_stream(2000), "second stream");
    st = the_stream;
    len = 0;
    buf[0] = '\0';
    read_until(fd, buf, sizeof buf, &len, "\r\n\r\n", 2000);
    close(fd);
    for (int i = 0; i < 300 && atomic_load(&closed_calls) == 0; i++) {
        http_stream_write(st, ": keep-alive\n\n", 14);
        usleep(10000);
    }
    is_int(atomic_load(&closed_calls), 1, "on_closed once the client is gone");
    is_int(http_stream_write(st, "x", 1), -1, "writes fail after the client left");
    http_stream_close(st);
    the_stream = NULL;

    /* 3. a writer that outruns a client that does not read is refused, not buffered */
    max_buffered = 64 * 1024;
    fd = dial(port, "/events");
    ok(wait_stream(2000), "third stream");
    st = the_stream;
    int refused = 0;
    for (int i = 0; i < 20000 && !refused; i++)
        refused = http_stream_write(st, big, sizeof big) != 0;
    ok(refused, "a client that does not read fills the bound");

    /* 4. stop with that stream still open: prompt, and the owner hears of it */
    int fd2 = dial(port, "/events");   /* and an idle, parked one */
    usleep(100000);
    http_stream *st2 = the_stream;
    int before = atomic_load(&closed_calls);
    double t0 = now_s();
    http_server_stop(s);
    double took = now_s() - t0;
    ok(took < 2.0, "stop with open streams took %.2f s", took);
    ok(st2 != st, "the idle stream is a separate one");
    is_int(atomic_load(&closed_calls) - before, 2, "on_closed for both streams");
    is_int(http_stream_write(st, "x", 1), -1, "writes fail after stop");
    http_stream_close(st);
    http_stream_close(st2);
    close(fd);
    close(fd2);
    return tap_done();
}
