/* The HTTP layer: libmicrohttpd glue seen through a small request/reply interface.
 * Only this layer knows libmicrohttpd. Handlers run on the server's worker threads and may block. */
#ifndef CRM_HTTP_H
#define CRM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "lib/arena.h"

#define HTTP_BODY_MAX (1024 * 1024)   /* larger bodies get 413 without being read whole */
#define HTTP_MAX_PARAMS 4

typedef struct http_req http_req;
typedef void (*http_handler)(http_req *req);

typedef struct http_route {
    const char *method;    /* "GET", "POST", ... */
    const char *pattern;   /* "/api/contacts/:id" — ":name" matches one non-empty segment */
    http_handler handler;
} http_route;

/* A route named by its method and pattern, as in its http_route: in http_config's lists of
 * routes whose handlers run on a pool of threads of their own while the connection waits
 * suspended (offload.c), so that the server thread goes on serving the other connections it
 * holds. Their reply must be one of http_reply's. */
typedef struct http_route_ref {
    const char *method, *pattern;   /* as the route's */
} http_route_ref;
/* Whether refs[0..n) names the route with that method and pattern. */
bool http_route_listed(const http_route_ref *refs, size_t n, const char *method, const char *pattern);

/* A route that takes bodies larger than HTTP_BODY_MAX (a file upload): a body over max gets
 * 413 without being read whole, as one over HTTP_BODY_MAX does elsewhere. */
typedef struct http_body_limit {
    const char *method, *pattern;   /* as the route's */
    size_t max;
} http_body_limit;

/* Request accessors. Strings live as long as the request. */
const char *http_req_method(const http_req *r);
const char *http_req_path(const http_req *r);   /* raw, as sent: not percent-decoded, no query */
const char *http_req_header(const http_req *r, const char *name);   /* case-insensitive; NULL if absent */
const char *http_req_query(const http_req *r, const char *name);    /* decoded; NULL if absent */
const char *http_req_param(const http_req *r, const char *name);    /* path parameter, raw (still
                                                                       percent-encoded); NULL if none */
const char *http_req_body(const http_req *r, size_t *len);          /* never NULL; NUL-terminated */
size_t http_req_body_max(const http_req *r);                        /* the body limit of its route */
const char *http_req_id(const http_req *r);                         /* X-Request-Id of this request */
arena *http_req_arena(http_req *r);                                 /* freed when the request ends */
void http_req_set_user(http_req *r, void *user);                    /* caller-defined slot */
void *http_req_user(const http_req *r);
bool http_req_replied(const http_req *r);                           /* a reply has been queued */
const char *http_req_route(const http_req *r);   /* pattern of the matched route (for metrics);
                                                    NULL for 400/404/405/413 */
const char *http_req_problem(const http_req *r); /* for a 400 or 429 of the HTTP layer: why
                                                    (not valid HTTP/1.1, too many streams); else NULL */
struct sockaddr;
/* The client's address as the socket sees it (a proxy's, behind one); NULL if unknown. Valid
 * while the handler runs. */
const struct sockaddr *http_req_peer(const http_req *r);

/* Replies. Exactly one reply per request, from the handler (or error hook) before it returns,
 * on its thread; the body is copied. Headers added before the reply are sent with it. Every
 * reply carries X-Request-Id. A second reply is ignored and logged; a handler that returns
 * without replying gets a 500 through the error hook, logged as a bug. */
void http_reply_header(http_req *r, const char *name, const char *value);
void http_reply(http_req *r, int status, const char *content_type, const char *body, size_t len);
/* http_reply without the copy: body must be memory of http_req_arena(r), which lives until the
 * reply has been sent, and must not change after this call. */
void http_reply_in_arena(http_req *r, int status, const char *content_type, const char *body, size_t len);

/* A reply whose body is made on demand (a large download): the request's one reply, with the
 * headers added so far. fn(ctx, buf, max) is called on a server thread each time the connection
 * can take more, until it returns 0 (the end of the body) or a negative value (a failure after
 * the headers went out: the connection is closed without the last chunk, so that the client sees
 * a truncated body, never a complete-looking one). It writes at most max bytes into buf and
 * returns how many. done(ctx) runs exactly once, when the reply is over or could not be sent. */
typedef long (*http_pull_fn)(void *ctx, char *buf, size_t max);
void http_reply_pull(http_req *r, int status, const char *content_type, http_pull_fn fn,
                     void (*done)(void *ctx), void *ctx);

/* Protocol upgrade (WebSocket). http_reply_upgrade is the request's one reply: 101 Switching
 * Protocols with the nheaders name/value pairs given (e.g. Upgrade, Connection,
 * Sec-WebSocket-Accept; copied). Once the 101 has gone out, fn(ctx, u) runs on a server thread
 * and must not block: u owns the connection's socket from then on, and its owner calls
 * http_upgraded_close(u) exactly once, from any thread, when done. If the client goes away
 * before the switch, fn(ctx, NULL) runs instead. Either way fn runs exactly once.
 * The upgraded request no longer counts as in flight, but http_server_stop requires every
 * upgraded connection to be closed first (close them, and refuse new ones, before stopping). */
typedef struct http_upgraded http_upgraded;
typedef void (*http_upgrade_fn)(void *ctx, http_upgraded *u);
/* When the client's address already has http_config.upgrades_per_ip upgraded connections, the
 * reply is a 429 through the error hook instead, and fn(ctx, NULL) runs. */
void http_reply_upgrade(http_req *r, const char *const headers[][2], size_t nheaders,
                        http_upgrade_fn fn, void *ctx);
int http_upgraded_fd(const http_upgraded *u);   /* non-blocking; never close() it yourself */
/* Bytes the client sent after its request that the server had already read: treat them as
 * the first bytes read from the socket. Valid until http_upgraded_close. */
const char *http_upgraded_extra(const http_upgraded *u, size_t *len);
void http_upgraded_close(http_upgraded *u);     /* closes the socket and frees u */

/* Streaming replies (Server-Sent Events). http_reply_stream is the request's one reply (or, when
 * the client's address already has http_config.streams_per_ip of them open, a 429 through the
 * error hook, and NULL): status
 * and headers now, then a body of unknown length (chunked) that any thread feeds with
 * http_stream_write while the handler has long returned. At most max_buffered bytes wait to be
 * sent; a write that would exceed that, or comes after the end, fails: the client is too slow
 * or gone, and the owner should close its handle.
 * on_closed(ctx) runs once, on a server thread, when the response is over (client gone, or
 * server stopping): it must not block, and it is never called after http_stream_close
 * returns. The owner calls http_stream_close(s) exactly once: the response then ends after
 * what is buffered has been sent, and s is invalid. A disconnect is only noticed while
 * something is being sent: write a comment line now and then (": keep-alive\n\n").
 * http_server_stop ends every stream promptly (what is buffered is still sent).
 * Returns NULL if the reply could not be queued (nothing will be called then). */
typedef struct http_stream http_stream;
typedef void (*http_stream_closed_fn)(void *ctx);
http_stream *http_reply_stream(http_req *r, int status, const char *content_type,
                               size_t max_buffered, http_stream_closed_fn on_closed, void *ctx);
int http_stream_write(http_stream *s, const void *data, size_t len);   /* 0, or -1 (full/ended) */
void http_stream_close(http_stream *s);

/* The server. Routes are matched in order on the raw path (see http/router.h: no decoding,
 * a trailing slash or an empty segment is a different path); a path that matches a pattern
 * with another method answers 405 with Allow, an unknown path 404 — both through the error
 * hook. The route table and its strings must outlive the server (a static table). */
typedef struct http_server http_server;
/* Writes the error reply for a status the HTTP layer decided: 400 (not valid HTTP/1.1, see
 * http_req_problem; the connection closes after it), 404, 405 (Allow already added), 413 (the
 * body was not read: http_req_body is empty), 429 (too many streams or upgraded connections
 * from the client's address), 431 (a head too large to answer in the connection's memory; the
 * connection closes after it), 500 (a handler that did not reply).
 * It must call http_reply; if it does not, an empty-bodied reply with that status goes out. */
typedef void (*http_error_hook)(http_req *r, int status);

typedef struct http_config {
    const char *host;          /* "127.0.0.1", "0.0.0.0", "::1", "::" (v4+v6), "localhost";
                                  NULL: 127.0.0.1 */
    unsigned short port;       /* 0: pick a free one (see http_server_port) */
    unsigned threads;          /* worker threads; 0: one per CPU */
    const http_route *routes;
    size_t nroutes;
    const http_body_limit *body_limits;   /* may be NULL; must outlive the server */
    size_t nbody_limits;
    /* Handlers that may run for seconds (a bulk move): two threads, more wait their turn. */
    const http_route_ref *slow_routes;   /* may be NULL */
    size_t nslow_routes;
    /* Handlers that mostly wait (a durable write, for its group commit): wait_threads threads,
     * so that the server's own threads, which never wait then, can be about as many as cores.
     * 0: they run on the server's threads. */
    const http_route_ref *wait_routes;   /* may be NULL */
    size_t nwait_routes;
    unsigned wait_threads;
    http_error_hook on_error;
    bool access_log;           /* one line per request on stderr */
    /* Slow and greedy clients (0: no limit). head_timeout_ms: from the accept, or the end of
     * the previous request, to a complete request head (also the keep-alive idle time). Per
     * client address (IPv4, or IPv6 /64 for the streams and upgrades): open connections (MHD
     * closes any more at once), streaming replies and upgraded connections (429 beyond). */
    unsigned head_timeout_ms;
    unsigned max_connections;  /* open at once (0: 10,000); more wait in the listen backlog */
    unsigned conns_per_ip;
    unsigned streams_per_ip;
    unsigned upgrades_per_ip;
    /* TLS (HTTPS and WSS) when both are set: PEM text of the certificate chain and of its
     * private key. TLS 1.2 and 1.3 only; every reply then carries Strict-Transport-Security. */
    const char *tls_cert_pem;
    const char *tls_key_pem;
} http_config;

http_server *http_server_start(const http_config *cfg, char *err, size_t errlen);
unsigned short http_server_port(const http_server *s);
bool http_server_tls(const http_server *s);
const http_server *http_req_server(const http_req *r);   /* the server the request came to */
/* Prometheus text: requests by route and status, latency histogram, open connections. */
void http_server_write_metrics(const http_server *s, FILE *f);
unsigned http_server_connections(const http_server *s);   /* open connections now (for metrics) */
void http_server_stop(http_server *s);   /* stops accepting, ends streams, finishes in-flight
                                            requests (up to 10 s), frees */

#endif
