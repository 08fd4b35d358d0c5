/* WebSocket over a non-blocking socket with wslay's frame API (see websocket.h). */
#include "realtime/websocket.h"
#include "lib/sha1.h"
#include "lib/utf8.h"

#include <errno.h>
#include <stdlib.h>
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

struct ws_out {
    ws_out *next;
    uint8_t opcode;
    size_t len, off;              /* payload bytes, and how many are written */
    uint8_t data[];
};

static ws_out *out_new(uint8_t opcode, const void *data, size_t len)
{
    ws_out *o = malloc(sizeof *o + len);
    if (!o)
        return NULL;
    o->next = NULL;
    o->opcode = opcode;
    o->len = len;
    o->off = 0;
    if (data && len)
        memcpy(o->data, data, len);
    return o;
}

static void out_append(ws_out **head, ws_out **tail, ws_out *o)
{
    if (*tail)
        (*tail)->next = o;
    else
        *head = o;
    *tail = o;
}

static void out_free_all(ws_out *o)
{
    while (o) {
        ws_out *next = o->next;
        free(o);
        o = next;
    }
}

/* ---- the socket, as wslay's frame layer sees it ---- */

static ssize_t on_recv(uint8_t *buf, size_t len, int flags, void *user)
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
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        w->broken = true;   /* EOF or reset */
    return -1;
}

static ssize_t on_send(const uint8_t *data, size_t len, int flags, void *user)
{
    ws *w = user;
    ssize_t n;
    do
        n = send(w->fd, data, len, MSG_NOSIGNAL | (flags & WSLAY_MSG_MORE ? MSG_MORE : 0));
    while (n < 0 && errno == EINTR);
    if (n > 0)
        return n;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        w->broken = true;
    return -1;
}

static int no_mask(uint8_t *buf, size_t len, void *user)
{
    (void)buf;
    (void)len;
    (void)user;
    return -1;   /* a server never masks */
}

int ws_open(ws *w, int fd, const char *extra, size_t extra_len, uint64_t max_msg, ws_msg_fn fn,
            void *user)
{
    static const struct wslay_frame_callbacks cbs = {on_send, on_recv, no_mask};
    memset(w, 0, sizeof *w);
    w->fd = fd;
    w->extra = extra;
    w->extra_len = extra_len;
    w->on_msg = fn;
    w->user = user;
    w->max_msg = max_msg;
    return wslay_frame_context_init(&w->frames, &cbs, w) == 0 ? 0 : -1;
}

void ws_free(ws *w)
{
    if (w->frames)
        wslay_frame_context_free(w->frames);
    w->frames = NULL;
    free(w->msg);
    w->msg = NULL;
    out_free_all(w->sending);
    out_free_all(w->control_head);
    out_free_all(w->data_head);
    w->sending = w->control_head = w->control_tail = w->data_head = w->data_tail = NULL;
}

/* ---- receiving ---- */

/* Gives up on the input: a close frame with code goes out, nothing more is read. */
static void fail(ws *w, uint16_t code)
{
    ws_queue_close(w, code);
    w->read_done = true;
}

static bool is_data(uint8_t opcode)
{
    return opcode == WSLAY_TEXT_FRAME || opcode == WSLAY_BINARY_FRAME;
}

/* The header of a new frame, as a client must send it. */
static bool frame_start(ws *w, const struct wslay_frame_iocb *f)
{
    bool control = f->opcode == WSLAY_CONNECTION_CLOSE || f->opcode == WSLAY_PING || f->opcode == WSLAY_PONG;
    if (!f->mask || f->rsv || !(control || is_data(f->opcode) || f->opcode == WSLAY_CONTINUATION_FRAME) ||
        (f->opcode == WSLAY_CONTINUATION_FRAME && !w->msg_opcode) || (is_data(f->opcode) && w->msg_opcode)) {
        fail(w, 1002);
        return false;
    }
    if (!control && f->payload_length > w->max_msg - w->msg_len) {
        ws_queue_close(w, 1009);
        /* Read on and drop the rest of the frame (a few more KiB for what follows): a close()
         * with it unread would reset the connection and lose the close frame. */
        uint64_t cap = 16u << 20;
        w->discard_left = (f->payload_length < cap ? f->payload_length : cap) + (64u << 10);
        return false;
    }
    w->in_frame = true;
    w->frame_opcode = f->opcode;
    w->frame_fin = f->fin;
    w->frame_left = f->payload_length;
    w->control_len = 0;
    if (is_data(f->opcode))
        w->msg_opcode = f->opcode;
    return true;
}

static bool deliver(ws *w, uint8_t opcode, const uint8_t *msg, size_t len)
{
    bool binary = opcode == WSLAY_BINARY_FRAME;
    if (!binary && !utf8_valid((const char *)msg, len)) {
        fail(w, 1007);
        return false;
    }
    w->on_msg(w->user, msg, len, binary);
    return true;
}

static bool append(ws *w, const uint8_t *data, size_t len)
{
    if (len == 0)
        return true;   /* an empty fragment (and no buffer yet, maybe) */
    if (w->msg_len + len > w->msg_cap) {
        size_t cap = w->msg_cap ? w->msg_cap : 256;
        while (cap < w->msg_len + len)
            cap *= 2;
        if (cap > w->max_msg)
            cap = (size_t)w->max_msg;
        uint8_t *m = realloc(w->msg, cap);
        if (!m) {
            fail(w, 1011);
            return false;
        }
        w->msg = m;
        w->msg_cap = cap;
    }
    memcpy(w->msg + w->msg_len, data, len);
    w->msg_len += len;
    return true;
}

/* A status code a peer may send (RFC 6455 7.4): 1004-1006 and 1015 are reserved, never sent. */
static bool close_code_valid(uint16_t code)
{
    return (code >= 1000 && code <= 1011 && code != 1004 && code != 1005 && code != 1006) ||
           (code >= 3000 && code <= 4999);
}

/* A whole control frame: a ping is answered (only the latest unanswered one), a close is
 * answered with the status it carried and ends the input. */
static void control_done(ws *w)
{
    if (w->frame_opcode == WSLAY_PING) {
        /* A queued frame has not started (the one being written is w->sending), so a pong still
         * queued takes the newest ping's payload: only the latest ping needs an answer. */
        ws_out *pong = w->control_tail;
        if (!pong || pong->opcode != WSLAY_PONG) {
            if (!(pong = out_new(WSLAY_PONG, NULL, WS_CONTROL_MAX))) {
                fail(w, 1011);
                return;
            }
            out_append(&w->control_head, &w->control_tail, pong);
        }
        memcpy(pong->data, w->control, w->control_len);
        pong->len = w->control_len;
    } else if (w->frame_opcode == WSLAY_CONNECTION_CLOSE) {
        uint16_t code = 1000;
        if (w->control_len == 1) {
            fail(w, 1002);
            return;
        }
        if (w->control_len >= 2) {
            code = (uint16_t)(w->control[0] << 8 | w->control[1]);
            if (!close_code_valid(code)) {
                fail(w, 1002);
                return;
            }
            if (!utf8_valid((const char *)w->control + 2, w->control_len - 2)) {
                fail(w, 1007);
                return;
            }
        }
        ws_queue_close(w, code);
        w->read_done = true;
    }
}

/* One piece of a frame's payload, as wslay unmasked it. */
static void frame_data(ws *w, const struct wslay_frame_iocb *f)
{
    w->frame_left -= f->data_length;
    bool last = w->frame_left == 0;
    if (!is_data(w->frame_opcode) && w->frame_opcode != WSLAY_CONTINUATION_FRAME) {
        memcpy(w->control + w->control_len, f->data, f->data_length);   /* wslay caps it at 125 */
        w->control_len += f->data_length;
        if (last) {
            w->in_frame = false;
            control_done(w);
        }
        return;
    }
    if (last)
        w->in_frame = false;
    if (last && w->frame_fin && w->msg_len == 0) {
        /* the whole message in one piece: straight from wslay's buffer */
        uint8_t opcode = w->msg_opcode;
        w->msg_opcode = 0;
        deliver(w, opcode, f->data, f->data_length);
        return;
    }
    if (!append(w, f->data, f->data_length) || !last || !w->frame_fin)
        return;
    uint8_t opcode = w->msg_opcode;
    uint8_t *msg = w->msg;
    size_t len = w->msg_len;
    w->msg = NULL;   /* an idle connection keeps no buffer */
    w->msg_len = w->msg_cap = 0;
    w->msg_opcode = 0;
    deliver(w, opcode, msg, len);
    free(msg);
}

/* Reads and drops input until the client closes or the budget is spent; then reading is done. */
static int discard(ws *w)
{
    uint8_t buf[16384];
    while (w->discard_left > 0) {
        size_t want = w->discard_left < sizeof buf ? (size_t)w->discard_left : sizeof buf;
        ssize_t n = recv(w->fd, buf, want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            break;
        w->discard_left -= (uint64_t)n;
    }
    w->discard_left = 0;
    w->read_done = true;
    return 0;
}

int ws_read(ws *w)
{
    if (w->discard_left)
        return discard(w);
    while (!w->read_done) {
        struct wslay_frame_iocb f;
        memset(&f, 0, sizeof f);
        ssize_t r = wslay_frame_recv(w->frames, &f);
        if (r == WSLAY_ERR_WANT_READ)
            return w->broken ? -1 : 0;
        if (r == WSLAY_ERR_PROTO) {
            fail(w, 1002);
            break;
        }
        if (r < 0)
            return -1;
        if (!w->in_frame && !frame_start(w, &f))
            return w->discard_left ? discard(w) : 0;
        frame_data(w, &f);
    }
    return 0;
}

/* ---- sending ---- */

static ws_out *next_frame(ws *w)
{
    ws_out *o = w->control_head;
    if (o) {
        w->control_head = o->next;
        if (!w->control_head)
            w->control_tail = NULL;
    } else if (!w->close_queued && (o = w->data_head)) {
        w->data_head = o->next;
        if (!w->data_head)
            w->data_tail = NULL;
    }
    if (o)
        o->next = NULL;
    return o;
}

int ws_flush(ws *w)
{
    while (!w->close_sent && !w->broken) {
        if (!w->sending && !(w->sending = next_frame(w)))
            return 0;
        ws_out *o = w->sending;
        struct wslay_frame_iocb f = {.fin = 1, .opcode = o->opcode, .payload_length = o->len,
                                     .data = o->data + o->off, .data_length = o->len - o->off};
        ssize_t r = wslay_frame_send(w->frames, &f);
        if (r == WSLAY_ERR_WANT_WRITE)
            return w->broken ? -1 : 0;
        if (r < 0)
            return -1;
        o->off += (size_t)r;
        if (o->off < o->len)
            continue;
        if (o->opcode == WSLAY_CONNECTION_CLOSE)
            w->close_sent = true;
        if (is_data(o->opcode)) {
            w->queued_msgs--;
            w->queued_bytes -= o->len;
        }
        free(o);
        w->sending = NULL;
    }
    return w->broken ? -1 : 0;
}

int ws_queue_text(ws *w, const char *s, size_t n)
{
    if (w->close_queued)
        return -1;
    ws_out *o = out_new(WSLAY_TEXT_FRAME, s, n);
    if (!o)
        return -1;
    out_append(&w->data_head, &w->data_tail, o);
    w->queued_msgs++;
    w->queued_bytes += n;
    return 0;
}

void ws_queue_close(ws *w, uint16_t code)
{
    uint8_t payload[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    if (w->close_queued)
        return;
    ws_out *o = out_new(WSLAY_CONNECTION_CLOSE, payload, sizeof payload);
    if (!o) {
        w->broken = true;
        return;
    }
    w->close_queued = true;
    out_append(&w->control_head, &w->control_tail, o);
    /* data not yet started is never sent now */
    out_free_all(w->data_head);
    w->data_head = w->data_tail = NULL;
    w->queued_msgs = w->sending && is_data(w->sending->opcode);
    w->queued_bytes = w->queued_msgs ? w->sending->len : 0;
}

bool ws_want_read(const ws *w)
{
    return !w->read_done && !w->broken;
}

bool ws_want_write(const ws *w)
{
    return !w->close_sent && !w->broken && (w->sending || w->control_head || (w->data_head && !w->close_queued));
}

bool ws_done(const ws *w)
{
    return !ws_want_read(w) && !ws_want_write(w);
}

size_t ws_queued_msgs(const ws *w)
{
    return w->queued_msgs;
}

size_t ws_queued_bytes(const ws *w)
{
    return w->queued_bytes;
}
