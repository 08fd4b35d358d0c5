/* libmicrohttpd glue: the daemon, one arena-backed context per request, body collection with
 * its size limit, routing, replies, request ids and the access log. */
#include "http/http.h"
#include "http/router.h"
#include "http/server_impl.h"
#include "http/metrics.h"
#include "lib/arena.h"
#include "lib/log.h"
#include "lib/objectid.h"
#include "lib/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONN_TIMEOUT_S 30u
#define CONN_LIMIT 10000u
/* Per-connection pool for the request line, headers and I/O buffers (MHD's default is 32 KiB).
 * It stays allocated for the life of an upgraded (WebSocket) connection, so it is much of what
 * an idle Socket.IO client costs: 16 KiB still holds a request with about 14 KB of headers
 * (a bearer token is under 1 KiB); bigger headers get 431. Measured with `node
 * bench/realtime.js rss`: each KiB here is about half a KiB per idle connection (64 KiB → 49.9
 * KiB per connection before other savings; docs/realtime.md). */
#define CONN_MEMORY ((size_t)16 * 1024)
/* A chunked body that crosses its route's limit cannot be answered mid-stream (MHD only takes a
 * response before or after the upload), so the rest is read and dropped to be able to send the
 * 413 once it ends. Dropping costs bandwidth, not memory; a client still sending this long
 * after crossing the limit is cut off without an answer (nginx's lingering_time, 30 s, is the
 * same idea). */
#define DISCARD_MS 10000.0
/* Besides the head itself, MHD keeps in that pool a record per header, cookie and query
 * argument (struct MHD_HTTP_Header: 56 bytes in 0.9.75) and builds the reply's head there. A head
 * that leaves too little of it passes MHD's parser and then gets no reply at all (MHD logs
 * "failed to create response header" and closes), so such a head is refused with a 431 while
 * one still fits. */
#define POOL_RECORD 64
#define REPLY_HEAD_ROOM ((size_t)3 * 1024)
#define LOG_PATH_MAX 256
/* How long http_server_stop waits for requests in progress to be answered. */
#define STOP_GRACE_MS 10000
/* Threads for slow routes' handlers (offload.c): more slow requests at once wait their turn. */
#define SLOW_THREADS 2u

/* ---- request accessors ---- */

const char *http_req_method(const http_req *r) { return r->method ? r->method : ""; }
const char *http_req_path(const http_req *r) { return r->path; }
const char *http_req_id(const http_req *r) { return r->id; }
arena *http_req_arena(http_req *r) { return r->arena; }
void http_req_set_user(http_req *r, void *user) { r->user = user; }
void *http_req_user(const http_req *r) { return r->user; }
bool http_req_replied(const http_req *r) { return r->replied; }
const char *http_req_route(const http_req *r) { return r->route ? r->route->pattern : NULL; }
const char *http_req_problem(const http_req *r) { return r->problem; }

const struct sockaddr *http_req_peer(const http_req *r)
{
    const union MHD_ConnectionInfo *ci = r->conn ? MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    return ci ? ci->client_addr : NULL;
}

const char *http_req_header(const http_req *r, const char *name)
{
    if (!r->conn || !name)
        return NULL;
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_req_query(const http_req *r, const char *name)
{
    const char *v = NULL;
    if (!r->conn || !name)
        return NULL;
    /* "?flag" (no '=') is present with a NULL value in MHD; report it as "" */
    if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
                                      NULL) != MHD_YES)
        return NULL;
    return v ? v : "";
}

const char *http_req_param(const http_req *r, const char *name)
{
    size_t n;
    if (!name)
        return NULL;
    n = strlen(name);
    for (size_t k = 0; k < r->nparams; k++)
        if (r->params[k].name_len == n && memcmp(r->params[k].name, name, n) == 0)
            return r->params[k].value;
    return NULL;
}

const char *http_req_body(const http_req *r, size_t *len)
{
    if (len)
        *len = r->body ? r->body_len : 0;
    return r->body ? r->body : "";
}

size_t http_req_body_max(const http_req *r) { return r->body_max; }

/* ---- replies ---- */

void http_reply_header(http_req *r, const char *name, const char *value)
{
    reply_header *h;
    if (!name || !value)
        return;
    if (r->replied) {
        log_warn("request %s: header %s added after the reply, ignored", r->id, name);
        return;
    }
    h = arena_alloc(r->arena, sizeof *h);
    h->name = arena_strdup(r->arena, name);
    h->value = arena_strdup(r->arena, value);
    if (r->hdr_tail)
        r->hdr_tail->next = h;
    else
        r->hdr_head = h;
    r->hdr_tail = h;
}

bool http_impl_begin_reply(http_req *r, int status)
{
    if (r->replied) {
        log_error("request %s: second reply (%d) ignored, %d already sent", r->id, status,
                  r->status);
        return false;
    }
    r->replied = true;
    return true;
}

bool http_impl_queue(http_req *r, int status, const char *content_type, struct MHD_Response *resp)
{
    if (r->offloaded) {
        log_error("request %s: an offloaded route may only reply with a body (http_reply)", r->id);
        r->queue_failed = true;
        return false;
    }
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    if (content_type && MHD_add_response_header(resp, "Content-Type", content_type) != MHD_YES)
        log_error("request %s: bad Content-Type refused", r->id);
    if (r->srv->tls)
        /* A year, the usual value; no includeSubDomains: other hosts of the domain are not ours
         * to commit to HTTPS. */
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    for (reply_header *h = r->hdr_head; h; h = h->next)
        if (MHD_add_response_header(resp, h->name, h->value) != MHD_YES)
            log_error("request %s: bad response header %s refused", r->id, h->name);
    if (status != 101 &&
        (r->close_after || atomic_load_explicit(&r->srv->stopping, memory_order_relaxed)))
        MHD_add_response_header(resp, "Connection", "close");
    if (MHD_queue_response(r->conn, (unsigned)status, resp) != MHD_YES) {
        log_error("request %s: MHD refused to queue the %d response", r->id, status);
        r->queue_failed = true;
        return false;
    }
    r->status = status;
    return true;
}

static void reply(http_req *r, int status, const char *content_type, const char *body, size_t len,
                  enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp;
    if (!http_impl_begin_reply(r, status))
        return;
    if (status < 100 || status > 599 || status == 101) {
        log_error("request %s: invalid status %d replaced by 500", r->id, status);
        status = 500;
    }
    if (!body)
        len = 0;
    if (r->offloaded) {
        /* On an offload thread: MHD takes the response once the connection is resumed. */
        r->held.set = true;
        r->held.status = status;
        r->held.content_type = content_type ? arena_strdup(r->arena, content_type) : NULL;
        r->held.body = mode == MHD_RESPMEM_PERSISTENT || len == 0 ? body : arena_strndup(r->arena, body, len);
        r->held.len = len;
        return;
    }
    if (len == 0)
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    else
        resp = MHD_create_response_from_buffer(len, (void *)body, mode);
    if (!resp) {
        log_error("request %s: cannot create a response (out of memory?)", r->id);
        r->queue_failed = true;
        return;
    }
    if (http_impl_queue(r, status, content_type, resp))
        r->bytes_out = len;
    MHD_destroy_response(resp);   /* MHD keeps its own reference until the response is sent */
}

void http_reply(http_req *r, int status, const char *content_type, const char *body, size_t len)
{
    reply(r, status, content_type, body, len, MHD_RESPMEM_MUST_COPY);
}

/* MHD is done reading the body before on_completed frees the arena: it reports a request
 * complete once the reply has been sent, or when the connection is closed without it. */
void http_reply_in_arena(http_req *r, int status, const char *content_type, const char *body, size_t len)
{
    reply(r, status, content_type, body, len, MHD_RESPMEM_PERSISTENT);
}

/* Errors the HTTP layer itself decides (400, 404, 405, 413, 429, 431, 500) go through the hook
 * so the body has the API's error envelope; a hook that does not reply gets an empty body, not
 * a hang. */
void http_impl_reply_error(http_req *r, int status)
{
    if (r->srv->on_error)
        r->srv->on_error(r, status);
    if (!r->replied) {
        if (r->srv->on_error)
            log_error("request %s: error hook did not reply to %d", r->id, status);
        http_reply(r, status, NULL, NULL, 0);
    }
}

/* ---- request lifecycle ---- */

static double elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static bool valid_request_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n == REQ_ID_MAX || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
                                 c == '-'))
            return false;
    }
    return n > 0;
}

/* MHD_OPTION_URI_LOG_CALLBACK: the one place that sees the request target before MHD splits
 * off the query and percent-decodes it in place, so the router gets the raw path (see
 * router.h). What we return becomes the request's con_cls; MHD then reports the request to
 * on_completed even if it fails before the access handler runs, so the arena is freed once. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    http_server *s = cls;
    arena *a = arena_new();
    http_req *r = xcalloc(1, sizeof *r);   /* not in the arena: it outlives it once upgraded */
    size_t n;
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    r->srv = s;
    r->conn = conn;
    r->arena = a;
    if (!uri)
        uri = "";
    http_strict_target(&r->strict, uri);
    n = strcspn(uri, "?#");
    r->path = arena_strndup(a, uri, n);
    r->path_len = n;
    r->body_max = HTTP_BODY_MAX;
    r->id[0] = '-';   /* until the headers are in */
    return r;
}

/* The body limit of the route a request goes to: HTTP_BODY_MAX unless the route has its own. */
static size_t route_body_max(const http_server *s, const char *method, const char *path, size_t len)
{
    router_param ps[HTTP_MAX_PARAMS];
    size_t np;
    for (size_t i = 0; i < s->nbody_limits; i++) {
        const http_body_limit *l = &s->body_limits[i];
        if (strcmp(l->method, method) == 0 && router_match(l->pattern, path, len, ps, &np))
            return l->max;
    }
    return HTTP_BODY_MAX;
}

static void start_request(http_req *r, const char *method)
{
    const char *rid = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Request-Id");
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    r->started = true;
    http_guard_head_done(r->srv->guard, r->conn);
    /* Counted from here, not from on_uri: MHD 0.9.75 can miss a client that hangs up in the
     * middle of its headers until the connection times out, and stop must not wait for it. */
    atomic_fetch_add_explicit(&r->srv->inflight, 1, memory_order_relaxed);
    r->inflight = true;
    r->method = arena_strdup(r->arena, method);
    if (rid && valid_request_id(rid))
        memcpy(r->id, rid, strlen(rid) + 1);
    else
        objectid_new(r->id);
    r->body_max = route_body_max(r->srv, r->method, r->path, r->path_len);
    if (cl) {
        /* MHD has already refused a malformed Content-Length; only the size matters here. */
        unsigned long long v = 0;
        for (const char *p = cl; *p >= '0' && *p <= '9'; p++) {
            v = v * 10 + (unsigned)(*p - '0');
            if (v > r->body_max)
                break;
        }
        if (v > r->body_max)
            r->too_large = true;
        else
            r->body_expect = (size_t)v;
    }
}

static bool body_append(http_req *r, const char *data, size_t n)
{
    size_t need;
    if (n > r->body_max - r->body_len)
        return false;
    need = r->body_len + n + 1;
    if (need > r->body_cap) {
        /* Grow with what arrives, not with what Content-Length promises: a client that
         * announces 1 MiB and sends nothing must not cost 1 MiB. Doubling keeps the copies,
         * and the old buffers left in the arena, under the final size. */
        size_t limit = r->body_expect ? r->body_expect + 1 : r->body_max + 1;
        size_t cap = r->body_cap ? r->body_cap * 2 : 16 * 1024;
        if (cap > limit)
            cap = limit;
        if (cap < need)
            cap = need;
        char *nb = arena_alloc(r->arena, cap);
        if (r->body_len)
            memcpy(nb, r->body, r->body_len);
        r->body = nb;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return true;
}

static void run_handler(http_req *r)
{
    r->route->handler(r);
    if (!r->replied) {
        log_error("request %s: %s %s: handler returned without a reply", r->id, r->method, r->route->pattern);
        r->hdr_head = r->hdr_tail = NULL;   /* whatever it meant to send is moot */
        http_impl_reply_error(r, 500);
    }
}

/* The reply an offloaded handler made while its connection was suspended. */
static void send_held(http_req *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->held.len, (void *)(r->held.len ? r->held.body : ""), MHD_RESPMEM_PERSISTENT);
    r->held.set = false;
    if (!resp) {
        log_error("request %s: cannot create a response (out of memory?)", r->id);
        r->queue_failed = true;
        return;
    }
    if (http_impl_queue(r, r->held.status, r->held.content_type, resp))
        r->bytes_out = r->held.len;
    MHD_destroy_response(resp);
}

static void dispatch(http_req *r)
{
    const http_server *s = r->srv;
    router_param ps[HTTP_MAX_PARAMS];
    size_t idx = 0, np = 0;
    switch (router_find(s->routes, s->nroutes, r->method, r->path, r->path_len, &idx, ps, &np)) {
    case ROUTER_FOUND:
        r->route = &s->routes[idx];
        r->nparams = np;
        for (size_t k = 0; k < np; k++) {
            r->params[k].name = ps[k].name;
            r->params[k].name_len = ps[k].name_len;
            r->params[k].value = arena_strndup(r->arena, ps[k].value, ps[k].value_len);
        }
        /* a pool that is stopping (the server is) takes no more: run it here */
        if (!s->route_pool[idx] || !http_offload_submit(s->route_pool[idx], r))
            run_handler(r);
        break;
    case ROUTER_METHOD_NOT_ALLOWED: {
        char allow[256];
        router_allow(s->routes, s->nroutes, r->path, r->path_len, allow, sizeof allow);
        http_reply_header(r, "Allow", allow);
        http_impl_reply_error(r, 405);
        break;
    }
    case ROUTER_NOT_FOUND:
        http_impl_reply_error(r, 404);
        break;
    }
}

/* Whether the reply to this head will still fit in the connection's memory (see POOL_RECORD). */
static bool head_fits(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *size = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    int n = MHD_get_connection_values_n(conn, MHD_HEADER_KIND | MHD_COOKIE_KIND | MHD_GET_ARGUMENT_KIND,
                                        NULL, NULL);
    return size && n >= 0 && size->header_size + (size_t)n * POOL_RECORD + REPLY_HEAD_ROOM <= CONN_MEMORY;
}

/* MHD calls this once when the headers are in, once per chunk of body, and once more when the
 * body is complete (or right after the first call when there is none). */
static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    http_req *r = *con_cls;
    if (!r) {
        /* on_uri always runs first; this only guards against MHD changing that. */
        r = on_uri(cls, url, conn);
        *con_cls = r;
    }
    r->conn = conn;
    if (!r->started) {
        start_request(r, method);
        if ((r->problem = http_strict_head(&r->strict, conn, method, version))) {
            /* Answered before the body is read, and the connection closes after: whatever
             * follows this head cannot be trusted to be its body or a next request. */
            r->close_after = true;
            http_impl_reply_error(r, 400);
        } else if (!head_fits(conn)) {
            r->problem = "The request head is too large";
            r->close_after = true;
            http_impl_reply_error(r, 431);
        } else if (r->too_large) {
            /* Answer before reading the body: MHD then skips the upload (no 100 Continue)
             * and closes the connection after the response. */
            r->close_after = true;
            http_impl_reply_error(r, 413);
        }
        return r->queue_failed ? MHD_NO : MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->replied || r->too_large || !body_append(r, upload_data, n)) {
            if (!r->discarded)
                clock_gettime(CLOCK_MONOTONIC, &r->discard_t0);
            r->too_large = true;
            r->discarded += n;
            if (elapsed_ms(&r->discard_t0) <= DISCARD_MS)
                return MHD_YES;
            log_warn("request %s: body still going %.0f s after passing %zu bytes (%zu dropped), "
                     "connection closed", r->id, DISCARD_MS / 1000, r->body_max, r->discarded);
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (r->held.set) {
        send_held(r);
        return r->queue_failed ? MHD_NO : MHD_YES;
    }
    if (!r->replied) {
        if (r->too_large) {
            r->close_after = true;
            http_impl_reply_error(r, 413);
        } else {
            dispatch(r);
        }
    }
    return r->queue_failed ? MHD_NO : MHD_YES;
}

/* Copies s into out for a log line: at most LOG_PATH_MAX bytes, control characters, spaces,
 * quotes and non-ASCII bytes escaped as %XX so a path cannot forge log lines. */
static void log_safe(char *out, size_t outlen, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < outlen; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\') {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    if (*s && o + 4 >= outlen && outlen >= 4)
        o = outlen - 4, out[o++] = '.', out[o++] = '.', out[o++] = '.';
    out[o] = '\0';
}

/* Why a request ended, for the access log, by MHD_RequestTerminationCode. */
static const char *const why[] = {"", " error", " timeout", " shutdown", " read-error", " client-abort"};

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_req *r = *con_cls;
    http_server *s = cls;
    if (!r)
        return;
    *con_cls = NULL;
    if (r->arena) {   /* else it was upgraded, and this is the close of that connection */
        http_impl_finish(r, (unsigned)toe < sizeof why / sizeof *why ? why[toe] : " aborted");
        if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
            http_guard_head_next(s->guard, conn);   /* keep-alive: the next head is due */
    }
    free(r);
}

void http_impl_finish(http_req *r, const char *how)
{
    http_server *s = r->srv;
    if (s->access_log) {
        char path[LOG_PATH_MAX + 4], method[32];
        log_safe(path, sizeof path, r->path);
        log_safe(method, sizeof method, r->method ? r->method : "-");
        log_info("%s %s %d %zu %.1fms %s%s", method, path, r->status, r->bytes_out,
                 elapsed_ms(&r->t0), r->id, how);
    }
    if (r->method)
        http_metrics_record(s->metrics, r->route ? (size_t)(r->route - s->routes) : s->nroutes, r->status,
                            elapsed_ms(&r->t0));
    if (r->upgrade_fn)
        http_impl_upgrade_abandoned(r);
    http_impl_leave_inflight(r);
    arena_destroy(r->arena);
    r->arena = NULL;
    r->path = r->method = NULL;
    r->body = NULL;
    r->route = NULL;
}

void http_impl_leave_inflight(http_req *r)
{
    if (r->inflight) {
        r->inflight = false;
        atomic_fetch_sub_explicit(&r->srv->inflight, 1, memory_order_release);
    }
}

/* ---- the daemon ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    size_t n;
    (void)cls;
    vsnprintf(buf, sizeof buf, fmt, ap);
    n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    log_warn("http: %s", buf);
}

static bool parse_host(const char *host, unsigned short port, struct sockaddr_storage *ss,
                       bool *ipv6)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    char buf[INET6_ADDRSTRLEN + 2];
    size_t n;
    memset(ss, 0, sizeof *ss);
    if (!host || !*host || strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
        memcpy(buf, host + 1, n - 2);   /* "[::1]" as in URLs */
        buf[n - 2] = '\0';
        host = buf;
    }
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        *ipv6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *ipv6 = true;
        return true;
    }
    return false;
}

/* A connection's start and end: the guard's record of it, and the listener's count. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    http_server *s = cls;
    http_guard_on_connection(s->guard, conn, socket_context, code);
    if (code == MHD_CONNECTION_NOTIFY_CLOSED)
        http_listener_closed(s->listener);
}

bool http_route_listed(const http_route_ref *refs, size_t n, const char *method, const char *pattern)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(method, refs[k].method) == 0 && strcmp(pattern, refs[k].pattern) == 0)
            return true;
    return false;
}

/* Gives the routes of refs (by method and pattern) to pool; NULL leaves them on the server's
 * threads. */
static void route_pools(http_server *s, const http_route_ref *refs, size_t n, http_offload *pool)
{
    for (size_t i = 0; pool && i < s->nroutes; i++)
        if (http_route_listed(refs, n, s->routes[i].method, s->routes[i].pattern))
            s->route_pool[i] = pool;
}

http_server *http_server_start(const http_config *cfg, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    bool ipv6 = false;
    unsigned threads = cfg->threads;
    unsigned int flags;
    http_server *s;

    if (errlen)
        err[0] = '\0';
    for (size_t k = 0; k < cfg->nroutes; k++) {
        const http_route *rt = &cfg->routes[k];
        if (!rt->method || !*rt->method || !rt->handler || !router_pattern_valid(rt->pattern)) {
            snprintf(err, errlen, "invalid route %zu: %s %s", k, rt->method ? rt->method : "?",
                     rt->pattern ? rt->pattern : "?");
            return NULL;
        }
    }
    if (!parse_host(cfg->host, cfg->port, &addr, &ipv6)) {
        snprintf(err, errlen, "invalid listen address '%s' (an IPv4 or IPv6 literal, or localhost)",
                 cfg->host);
        return NULL;
    }
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }

    /* ITC wakes a worker for a connection added to it (listener.c). MHD_USE_TURBO is left out: it skips the
     * shutdown() before close, and a client still sending a body we refused (413) would then
     * see a reset instead of the response. Upgrade is for WebSocket (upgrade.c), suspend and
     * resume for streaming replies (stream.c). */
    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC |
            MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE | MHD_USE_NO_LISTEN_SOCKET;
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        flags |= MHD_USE_EPOLL;
    else if (MHD_is_feature_supported(MHD_FEATURE_POLL) == MHD_YES)
        flags |= MHD_USE_POLL;
    if (cfg->tls_cert_pem && cfg->tls_key_pem) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, errlen, "this libmicrohttpd was built without TLS support");
            return NULL;
        }
        /* MHD forwards an upgraded (WebSocket) connection through a socket pair then, so
         * realtime/ still reads and writes plain bytes. */
        flags |= MHD_USE_TLS;
    }
    bool dual_stack = ipv6 && (strcmp(cfg->host, "::") == 0 || strcmp(cfg->host, "[::]") == 0);
    unsigned max_conns = cfg->max_connections ? cfg->max_connections : CONN_LIMIT;
    http_listener *listener = http_listener_open(
        (struct sockaddr *)&addr, ipv6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), dual_stack,
        max_conns);
    if (!listener) {
        snprintf(err, errlen, "cannot listen on %s port %u: %s", cfg->host ? cfg->host : "127.0.0.1",
                 (unsigned)cfg->port, strerror(errno));
        return NULL;
    }

    s = xcalloc(1, sizeof *s);
    s->listener = listener;
    atomic_init(&s->inflight, 0);
    atomic_init(&s->stopping, false);
    atomic_init(&s->upgraded, 0);
    pthread_mutex_init(&s->streams_lock, NULL);
    s->routes = cfg->routes;
    s->nroutes = cfg->nroutes;
    s->body_limits = cfg->body_limits;
    s->nbody_limits = cfg->nbody_limits;
    s->metrics = http_metrics_new(s->nroutes);
    s->on_error = cfg->on_error;
    s->access_log = cfg->access_log;
    s->tls = (flags & MHD_USE_TLS) != 0;
    s->guard = http_guard_new(cfg->head_timeout_ms, cfg->streams_per_ip, cfg->upgrades_per_ip);
    s->route_pool = xcalloc(s->nroutes + 1, sizeof *s->route_pool);
    if (cfg->nslow_routes)
        s->slow = http_offload_start(SLOW_THREADS, run_handler);
    if (cfg->nwait_routes && cfg->wait_threads)
        s->waiters = http_offload_start(cfg->wait_threads, run_handler);
    route_pools(s, cfg->slow_routes, cfg->nslow_routes, s->slow);
    route_pools(s, cfg->wait_routes, cfg->nwait_routes, s->waiters);

    /* A pool of one is just the polling thread; MHD wants the option only above that. TLS:
     * GnuTLS's defaults without SSL 3 and TLS 1.0/1.1 (RFC 8996). */
    struct MHD_OptionItem extra[] = {
        {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)threads, NULL},
        {MHD_OPTION_END, 0, NULL},
        {MHD_OPTION_END, 0, NULL},
        {MHD_OPTION_END, 0, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    size_t nextra = threads > 1 ? 1 : 0;
    if (s->tls) {
        extra[nextra++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem};
        extra[nextra++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem};
        extra[nextra++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                                   (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"};
    }
    s->daemon = MHD_start_daemon(
        flags, cfg->port, NULL, NULL, on_access, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, (void *)NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S,
        /* out of reach: the listener keeps the limit (listener.c says why); a worker's share
         * of this is more than all connections the listener lets in */
        MHD_OPTION_CONNECTION_LIMIT, max_conns * (threads + 1),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, (void *)s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, (void *)s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, (void *)s,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->conns_per_ip,
        MHD_OPTION_ARRAY, extra,
        MHD_OPTION_END);
    if (!s->daemon || !http_listener_run(listener, s->daemon)) {
        if (s->daemon)
            snprintf(err, errlen, "cannot start the thread that accepts connections");
        else if (s->tls)
            snprintf(err, errlen, "cannot start HTTPS on %s port %u (a certificate and key that GnuTLS "
                     "refuses or that do not match?)",
                     cfg->host ? cfg->host : "127.0.0.1", (unsigned)cfg->port);
        else
            snprintf(err, errlen, "cannot start the HTTP server on %s port %u",
                     cfg->host ? cfg->host : "127.0.0.1", (unsigned)cfg->port);
        if (s->daemon)
            MHD_stop_daemon(s->daemon);
        http_listener_free(listener);
        http_offload_free(s->slow);
        http_offload_free(s->waiters);
        free(s->route_pool);
        http_guard_free(s->guard);
        pthread_mutex_destroy(&s->streams_lock);
        http_metrics_free(s->metrics);
        free(s);
        return NULL;
    }
    s->port = http_listener_port(listener);
    return s;
}

unsigned short http_server_port(const http_server *s)
{
    return s->port;
}

bool http_server_tls(const http_server *s)
{
    return s->tls;
}

unsigned http_server_connections(const http_server *s)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

void http_server_stop(http_server *s)
{
    if (!s)
        return;
    /* Stop accepting, then let the requests in progress be answered: MHD_stop_daemon alone
     * would close their connections with the response still unsent. Replies from now on
     * carry Connection: close so keep-alive clients go away instead of sending more; idle
     * connections do not count. Streaming replies are ended (they finish once what is
     * buffered is sent). A request that will not finish (a stalled upload) is cut off after
     * STOP_GRACE_MS. Upgraded connections belong to their owners, who must have given them
     * back (http_upgraded_close) by now: MHD cannot stop under them. MHD_stop_daemon then
     * closes what is left and joins the threads. The listening socket is closed only after
     * that: a connection still in its backlog is refused then, not before. */
    atomic_store(&s->stopping, true);
    http_listener_stop(s->listener);
    http_impl_streams_end_all(s);
    int waited = 0;
    for (; waited < STOP_GRACE_MS; waited += 10) {
        if (atomic_load_explicit(&s->inflight, memory_order_acquire) == 0 &&
            atomic_load_explicit(&s->upgraded, memory_order_acquire) == 0)
            break;
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    if (waited >= STOP_GRACE_MS && atomic_load(&s->upgraded) != 0)
        log_error("http: %u upgraded connections still open at stop (a bug in their owner)",
                  atomic_load(&s->upgraded));
    /* After the grace: what still runs there ends and is answered, and its connection is
     * resumed (MHD aborts when it stops with a connection suspended); a request that comes now
     * runs on the server's thread. */
    http_offload_stop(s->slow);
    http_offload_stop(s->waiters);
    MHD_stop_daemon(s->daemon);
    http_offload_free(s->slow);
    http_offload_free(s->waiters);
    free(s->route_pool);
    http_guard_free(s->guard);
    http_listener_free(s->listener);
    pthread_mutex_destroy(&s->streams_lock);
    http_metrics_free(s->metrics);
    free(s);
}

const http_server *http_req_server(const http_req *r)
{
    return r->srv;
}

void http_server_write_metrics(const http_server *s, FILE *f)
{
    http_metrics_write(s->metrics, s->routes, s->nroutes, f);
    fprintf(f, "# HELP crmd_http_open_connections Requests in flight and upgraded connections.\n"
               "# TYPE crmd_http_open_connections gauge\ncrmd_http_open_connections %u\n",
            http_server_connections(s));
}
