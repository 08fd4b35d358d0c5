/* Internals shared by the files of the HTTP layer (server.c, upgrade.c, stream.c, ...); nothing
 * outside src/http includes this. */
#ifndef CRM_HTTP_SERVER_IMPL_H
#define CRM_HTTP_SERVER_IMPL_H

#include "http/http.h"
#include "http/guard.h"
#include "http/strict.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#define REQ_ID_MAX 128

typedef struct reply_header {
    struct reply_header *next;
    const char *name, *value;
} reply_header;

typedef struct http_metrics http_metrics;
typedef struct http_offload http_offload;
typedef struct http_listener http_listener;

struct http_server {
    struct MHD_Daemon *daemon;
    http_listener *listener;       /* the socket MHD's pool is fed from (listener.c) */
    const http_route *routes;
    size_t nroutes;
    const http_body_limit *body_limits;
    size_t nbody_limits;
    http_error_hook on_error;
    bool access_log;
    unsigned short port;
    atomic_uint inflight;          /* requests from headers complete to on_completed (an
                                      upgraded request leaves the count at the switch) */
    atomic_uint upgraded;          /* upgraded connections not yet given back (http_upgraded_close) */
    atomic_bool stopping;          /* answer with Connection: close */
    pthread_mutex_t streams_lock;  /* guards streams and each stream's link in it */
    http_stream *streams;          /* open streaming replies, ended by http_server_stop */
    http_metrics *metrics;         /* requests by route and status, latency */
    http_guard *guard;             /* head deadline, per-address slots */
    bool tls;                      /* HTTPS: replies carry Strict-Transport-Security */
    http_offload *slow;            /* the threads of slow routes; NULL when no route is */
    http_offload *waiters;         /* the threads of waiting routes; NULL when none is */
    http_offload **route_pool;     /* per route: the pool its handler runs on; NULL: the server's */
};

struct http_req {
    http_server *srv;
    struct MHD_Connection *conn;   /* valid while MHD runs our callbacks for this request */
    arena *arena;
    const char *method;            /* NULL until the headers are in */
    const char *path;              /* raw request target up to '?', NUL-terminated */
    size_t path_len;
    const http_route *route;       /* matched route, NULL for 400/404/405/413 */
    http_strict strict;            /* the raw request target, for the head checks */
    const char *problem;           /* why the head was refused (400), or NULL */
    struct {
        const char *name;          /* into the route's pattern */
        size_t name_len;
        const char *value;         /* arena copy, NUL-terminated */
    } params[HTTP_MAX_PARAMS];
    size_t nparams;
    char *body;
    size_t body_len, body_cap, body_expect, discarded;
    size_t body_max;             /* the route's limit (HTTP_BODY_MAX unless it says otherwise) */
    reply_header *hdr_head, *hdr_tail;
    void *user;
    struct timespec t0;
    struct timespec discard_t0;    /* when a too large body started being dropped */
    int status;                    /* 0 until replied */
    size_t bytes_out;
    bool started;                  /* the first access-handler call (headers) has been seen */
    bool inflight;                 /* counted in srv->inflight */
    bool too_large;
    bool replied;
    bool close_after;              /* reply with Connection: close (body left unread) */
    bool queue_failed;
    /* A slow or waiting route's handler runs on an http_offload thread while the connection is
     * suspended;
     * its reply waits in `held` until the connection is resumed (MHD takes a response only in
     * its own callback). */
    bool offloaded;
    struct {
        bool set;
        int status;
        const char *content_type, *body;   /* static or in the arena */
        size_t len;
    } held;
    /* http_reply_upgrade: fn is called once, from the upgrade callback or, when the switch
     * never happens, from on_completed with NULL */
    http_upgrade_fn upgrade_fn;
    void *upgrade_ctx;
    http_addr_key upgrade_slot;    /* the per-address slot taken for the upgrade */
    char id[REQ_ID_MAX + 1];
};

/* server.c: marks r replied, or logs and returns false when it already was. */
bool http_impl_begin_reply(http_req *r, int status);
/* server.c: adds X-Request-Id, Content-Type (when given), the headers of http_reply_header and
 * Connection: close when due, then queues resp with status; records the outcome in r. The
 * caller still destroys resp. Returns true when MHD took it. */
bool http_impl_queue(http_req *r, int status, const char *content_type, struct MHD_Response *resp);
/* server.c: the error reply of a status the HTTP layer decided, through the error hook. */
void http_impl_reply_error(http_req *r, int status);
/* server.c: takes r out of srv->inflight (once). */
void http_impl_leave_inflight(http_req *r);

/* server.c: the end of a request: its access-log line (how: "" or why it ended early) and
 * metrics, then its arena goes (r->arena, path, method and body become NULL); r itself stays
 * for MHD until on_completed. Called at completion, or at the switch of an upgraded one. */
void http_impl_finish(http_req *r, const char *how);
/* upgrade.c: the upgrade that never happened (the client left before the 101 went out). */
void http_impl_upgrade_abandoned(http_req *r);

/* offload.c: threads that run handlers off the server's. start: NULL when threads cannot be made.
 * submit suspends r's connection and queues r: a thread runs run(r), then resumes the
 * connection; false once the pool is stopping (the caller runs r itself). stop runs what is
 * queued, then joins the threads; free (stopping first if need be) once MHD no longer calls
 * submit. */
http_offload *http_offload_start(unsigned nthreads, void (*run)(http_req *r));
bool http_offload_submit(http_offload *p, http_req *r);
void http_offload_stop(http_offload *p);
void http_offload_free(http_offload *p);

/* listener.c: the listening socket, and the thread that hands each connection it accepts to
 * MHD (MHD_add_connection), which spreads them over its pool; at most max_open at once, the
 * others wait in the backlog. open: NULL with errno when the address cannot be bound. run:
 * starts the thread (false when it cannot). closed: a connection given to MHD has ended (its
 * NOTIFY_CLOSED). stop: no connection is accepted once it returns; free stops, then closes the
 * socket. */
http_listener *http_listener_open(const struct sockaddr *addr, socklen_t addrlen, bool dual_stack,
                                  unsigned max_open);
unsigned short http_listener_port(const http_listener *l);
bool http_listener_run(http_listener *l, struct MHD_Daemon *daemon);
void http_listener_closed(http_listener *l);
void http_listener_stop(http_listener *l);
void http_listener_free(http_listener *l);

/* stream.c: ends every open stream (server stop): each finishes once its buffer is sent. */
void http_impl_streams_end_all(http_server *s);

#endif
