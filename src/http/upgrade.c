/* Protocol upgrade: the 101 reply and the hand-over of the socket to its new owner (WebSocket).
 * libmicrohttpd keeps the connection until MHD_UPGRADE_ACTION_CLOSE; until then it is ours. */
#include "http/server_impl.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

struct http_upgraded {
    http_server *srv;
    http_addr_key slot;            /* the client address's upgrade slot */
    struct MHD_UpgradeResponseHandle *urh;
    int fd;
    size_t extra_len;
    char extra[];                  /* bytes MHD read past the request */
};

/* MHD_UpgradeHandler: the 101 is out. con_cls is the request, still alive (MHD reports its
 * completion only when the upgraded connection is closed). */
static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    http_req *r = con_cls;
    http_upgrade_fn fn = r->upgrade_fn;
    void *ctx = r->upgrade_ctx;
    http_upgraded *u = xmalloc(sizeof *u + extra_in_size + 1);
    int fl;
    (void)cls;
    (void)conn;
    u->srv = r->srv;
    u->slot = r->upgrade_slot;
    u->urh = urh;
    u->fd = sock;
    u->extra_len = extra_in_size;
    if (extra_in_size)
        memcpy(u->extra, extra_in, extra_in_size);
    u->extra[extra_in_size] = '\0';
    fl = fcntl(sock, F_GETFL);
    if (fl != -1 && !(fl & O_NONBLOCK))
        fcntl(sock, F_SETFL, fl | O_NONBLOCK);
    /* Messages on an upgraded connection are small and latency-bound: MHD may leave the socket
     * corked after the 101, and Nagle would hold a lone frame for the peer's delayed ACK. */
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CORK_OFF);
    fl = 1;
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &fl, sizeof fl);
    r->upgrade_fn = NULL;
    atomic_fetch_add_explicit(&r->srv->upgraded, 1, memory_order_relaxed);
    /* The request is over: its log line and metrics now (101), and its arena goes, so that an
     * idle WebSocket keeps only MHD's connection and r. http_server_stop no longer waits for it. */
    http_impl_finish(r, " upgraded");
    fn(ctx, u);
}

void http_impl_upgrade_abandoned(http_req *r)
{
    http_upgrade_fn fn = r->upgrade_fn;
    r->upgrade_fn = NULL;
    http_guard_give(r->srv->guard, &r->upgrade_slot, HTTP_SLOT_UPGRADE);
    fn(r->upgrade_ctx, NULL);
}

void http_reply_upgrade(http_req *r, const char *const headers[][2], size_t nheaders,
                        http_upgrade_fn fn, void *ctx)
{
    struct MHD_Response *resp;
    if (!r->replied && !http_guard_take(r->srv->guard, r->conn, HTTP_SLOT_UPGRADE, &r->upgrade_slot)) {
        r->problem = "Too many Socket.IO connections are open from your address";
        http_reply_header(r, "Retry-After", "10");
        http_impl_reply_error(r, 429);
        fn(ctx, NULL);
        return;
    }
    if (!http_impl_begin_reply(r, 101)) {
        fn(ctx, NULL);   /* a second reply: nothing was taken */
        return;
    }
    resp = MHD_create_response_for_upgrade(on_upgrade, NULL);
    if (!resp) {
        log_error("request %s: cannot create an upgrade response", r->id);
        http_guard_give(r->srv->guard, &r->upgrade_slot, HTTP_SLOT_UPGRADE);
        r->queue_failed = true;
        fn(ctx, NULL);
        return;
    }
    for (size_t k = 0; k < nheaders; k++)
        if (MHD_add_response_header(resp, headers[k][0], headers[k][1]) != MHD_YES)
            log_error("request %s: bad upgrade header %s refused", r->id, headers[k][0]);
    r->upgrade_fn = fn;
    r->upgrade_ctx = ctx;
    if (!http_impl_queue(r, MHD_HTTP_SWITCHING_PROTOCOLS, NULL, resp)) {
        r->upgrade_fn = NULL;
        http_guard_give(r->srv->guard, &r->upgrade_slot, HTTP_SLOT_UPGRADE);
        fn(ctx, NULL);
    }
    MHD_destroy_response(resp);
}

int http_upgraded_fd(const http_upgraded *u)
{
    return u->fd;
}

const char *http_upgraded_extra(const http_upgraded *u, size_t *len)
{
    *len = u->extra_len;
    return u->extra;
}

void http_upgraded_close(http_upgraded *u)
{
    http_server *s = u->srv;
    if (MHD_upgrade_action(u->urh, MHD_UPGRADE_ACTION_CLOSE) != MHD_YES)
        log_error("http: closing an upgraded connection failed");
    http_guard_give(s->guard, &u->slot, HTTP_SLOT_UPGRADE);
    free(u);
    atomic_fetch_sub_explicit(&s->upgraded, 1, memory_order_release);
}
