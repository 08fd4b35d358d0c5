/* WebSocket over a non-blocking socket with wslay: the handshake key and the I/O callbacks. */
#include "realtime/websocket.h"
#include "realtime/sha1.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
    char buf[24 + sizeof ws_guid];
    unsigned char raw[16], digest[SHA1_LEN];
    size_t rawlen = 0;
    if (!key || strlen(key) != 24 ||
        sodium_base642bin(raw, sizeof raw, key, 24, NULL, &rawlen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        rawlen != 16)
        return -1;
    memcpy(buf, key, 24);
    memcpy(buf + 24, ws_guid, sizeof ws_guid - 1);
    sha1(buf, 24 + sizeof ws_guid - 1, digest);
    sodium_bin2base64(out, WS_ACCEPT_LEN + 1, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
    ws *w = user;
    ssize_t n;
    (void)flags;
    if (w->extra_off < w->extra_len) {
        size_t k = w->extra_len - w->extra_off;
        if (k > len)
            k = len;
        memcpy(buf, w->extra + w->extra_off, k);
        w->extra_off += k;
        return (ssize_t)k;
    }
    do
        n = recv(w->fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        return n;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    else
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);   /* EOF or reset */
    return -1;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    ws *w = user;
    ssize_t n;
    do
        n = send(w->fd, data, len, MSG_NOSIGNAL | (flags & WSLAY_MSG_MORE ? MSG_MORE : 0));
    while (n < 0 && errno == EINTR);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    else
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user)
{
    ws *w = user;
    (void)ctx;
    if (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME)
        w->on_msg(w->user, arg->msg, arg->msg_length, arg->opcode == WSLAY_BINARY_FRAME);
}

int ws_open(ws *w, int fd, const char *extra, size_t extra_len, uint64_t max_msg, ws_msg_fn fn,
            void *user)
{
    static const struct wslay_event_callbacks cbs = {
        .recv_callback = on_recv, .send_callback = on_send, .on_msg_recv_callback = on_msg,
    };
    memset(w, 0, sizeof *w);
    w->fd = fd;
    w->extra = extra;
    w->extra_len = extra_len;
    w->on_msg = fn;
    w->user = user;
    if (wslay_event_context_server_init(&w->ctx, &cbs, w) != 0)
        return -1;
    wslay_event_config_set_max_recv_msg_length(w->ctx, max_msg);
    return 0;
}

void ws_free(ws *w)
{
    if (w->ctx)
        wslay_event_context_free(w->ctx);
    w->ctx = NULL;
}

int ws_read(ws *w)
{
    return wslay_event_recv(w->ctx) == 0 ? 0 : -1;
}

int ws_flush(ws *w)
{
    return wslay_event_send(w->ctx) == 0 ? 0 : -1;
}

int ws_queue_text(ws *w, const char *s, size_t n)
{
    struct wslay_event_msg m = {.opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *)s, .msg_length = n};
    return wslay_event_queue_msg(w->ctx, &m) == 0 ? 0 : -1;
}

void ws_queue_close(ws *w, uint16_t code)
{
    wslay_event_queue_close(w->ctx, code, NULL, 0);
}

bool ws_want_write(const ws *w)
{
    return wslay_event_want_write(w->ctx);
}

bool ws_done(const ws *w)
{
    return !wslay_event_want_read(w->ctx) && !wslay_event_want_write(w->ctx);
}

size_t ws_queued_msgs(const ws *w)
{
    return wslay_event_get_queued_msg_count(w->ctx);
}

size_t ws_queued_bytes(const ws *w)
{
    return wslay_event_get_queued_msg_length(w->ctx);
}
