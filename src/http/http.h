/* The HTTP layer: libmicrohttpd glue seen through a small request/reply interface.
 * Only this layer knows libmicrohttpd. Handlers run on the server's worker threads and may block. */
#ifndef CRM_HTTP_H
#define CRM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
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

/* Request accessors. Strings live as long as the request. */
const char *http_req_method(const http_req *r);
const char *http_req_path(const http_req *r);   /* raw, as sent: not percent-decoded, no query */
const char *http_req_header(const http_req *r, const char *name);   /* case-insensitive; NULL if absent */
const char *http_req_query(const http_req *r, const char *name);    /* decoded; NULL if absent */
const char *http_req_param(const http_req *r, const char *name);    /* path parameter, raw (still
                                                                       percent-encoded); NULL if none */
const char *http_req_body(const http_req *r, size_t *len);          /* never NULL; NUL-terminated */
const char *http_req_id(const http_req *r);                         /* X-Request-Id of this request */
arena *http_req_arena(http_req *r);                                 /* freed when the request ends */
void http_req_set_user(http_req *r, void *user);                    /* caller-defined slot */
void *http_req_user(const http_req *r);
const char *http_req_route(const http_req *r);   /* pattern of the matched route (for metrics);
                                                    NULL for 404/405/413 */

/* Replies. Exactly one reply per request, from the handler (or error hook) before it returns,
 * on its thread; the body is copied. Headers added before the reply are sent with it. Every
 * reply carries X-Request-Id. A second reply is ignored and logged; a handler that returns
 * without replying gets a 500 through the error hook, logged as a bug. */
void http_reply_header(http_req *r, const char *name, const char *value);
void http_reply(http_req *r, int status, const char *content_type, const char *body, size_t len);

/* The server. Routes are matched in order on the raw path (see http/router.h: no decoding,
 * a trailing slash or an empty segment is a different path); a path that matches a pattern
 * with another method answers 405 with Allow, an unknown path 404 — both through the error
 * hook. The route table and its strings must outlive the server (a static table). */
typedef struct http_server http_server;
/* Writes the error reply for a status the HTTP layer decided: 404, 405 (Allow already added),
 * 413 (the body was not read: http_req_body is empty), 500 (a handler that did not reply).
 * It must call http_reply; if it does not, an empty-bodied reply with that status goes out. */
typedef void (*http_error_hook)(http_req *r, int status);

typedef struct http_config {
    const char *host;          /* "127.0.0.1", "0.0.0.0", "::1", "::" (v4+v6), "localhost";
                                  NULL: 127.0.0.1 */
    unsigned short port;       /* 0: pick a free one (see http_server_port) */
    unsigned threads;          /* worker threads; 0: one per CPU */
    const http_route *routes;
    size_t nroutes;
    http_error_hook on_error;
    bool access_log;           /* one line per request on stderr */
} http_config;

http_server *http_server_start(const http_config *cfg, char *err, size_t errlen);
unsigned short http_server_port(const http_server *s);
unsigned http_server_connections(const http_server *s);   /* open connections now (for metrics) */
void http_server_stop(http_server *s);   /* stops accepting, finishes in-flight requests (up to
                                            10 s), frees */

#endif
