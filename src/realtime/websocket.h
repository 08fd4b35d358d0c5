/* WebSocket (RFC 6455) on a non-blocking socket: the handshake key, and messages over wslay's
 * frame API. wslay parses and writes frame headers; this file keeps the per-connection state of
 * the protocol above frames (reassembly of fragments, control frames, the close handshake,
 * the outgoing queue). It uses the frame API rather than wslay's event API because the event
 * context is 8.8 KB per connection and the frame context 4.2 KB: an idle Socket.IO client is
 * mostly this (docs/realtime.md). */
#ifndef CRM_REALTIME_WEBSOCKET_H
#define CRM_REALTIME_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wslay/wslay.h>

#define WS_ACCEPT_LEN 28   /* base64 of a SHA-1 */
#define WS_CONTROL_MAX 125 /* payload of a ping, pong or close frame */

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)). The key must be
 * the base64 of 16 bytes (24 characters); returns -1 (out untouched) otherwise. */
int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);

/* A whole message received: text (valid UTF-8) or binary. */
typedef void (*ws_msg_fn)(void *user, const uint8_t *msg, size_t len, bool binary);

typedef struct ws_out ws_out;   /* one queued frame */

typedef struct ws {
    wslay_frame_context_ptr frames;
    int fd;
    const char *extra;            /* bytes already read by the HTTP server: consumed first */
    size_t extra_len, extra_off;
    ws_msg_fn on_msg;
    void *user;
    uint64_t max_msg;
    /* receiving */
    bool in_frame;                /* inside a frame's payload */
    uint8_t frame_opcode;
    bool frame_fin;
    uint64_t frame_left;          /* payload bytes of that frame still to come */
    uint8_t msg_opcode;           /* text or binary while a fragmented message is open, else 0 */
    uint8_t *msg;                 /* its bytes so far (freed once delivered) */
    size_t msg_len, msg_cap;
    uint8_t control[WS_CONTROL_MAX];
    size_t control_len;
    /* sending: control frames go first, between data frames */
    ws_out *data_head, *data_tail, *control_head, *control_tail, *sending;
    size_t queued_msgs, queued_bytes;
    bool read_done;               /* close received, or input given up on (a close is queued) */
    uint64_t discard_left;        /* after a message too long: its bytes, read and dropped, so that
                                     closing the socket with them unread (a TCP reset) does not
                                     destroy the 1009 close frame before the client reads it */
    bool close_queued, close_sent;
    bool broken;                  /* the socket failed or the peer hung up */
} ws;

/* A server-side connection on fd; messages longer than max_msg close it with 1009. */
int ws_open(ws *w, int fd, const char *extra, size_t extra_len, uint64_t max_msg, ws_msg_fn fn,
            void *user);
void ws_free(ws *w);
/* Reads what the socket has, calling on_msg for each whole message (which may queue messages
 * or a close, but not free w). -1: the connection is broken. A protocol error is not: it
 * queues a close frame with its code (1002, 1007, 1009) and stops reading (after a message too
 * long, once the rest of it has been read and dropped, or the client closed). */
int ws_read(ws *w);
int ws_flush(ws *w);                /* writes what the socket takes; -1: broken */
int ws_queue_text(ws *w, const char *s, size_t n);   /* -1: closing or out of memory */
void ws_queue_close(ws *w, uint16_t code);           /* once; data still queued is dropped */
bool ws_want_read(const ws *w);
bool ws_want_write(const ws *w);
bool ws_done(const ws *w);          /* nothing more to read or write: close the socket */
size_t ws_queued_msgs(const ws *w);   /* data messages not yet fully written */
size_t ws_queued_bytes(const ws *w);

#endif
