/* WebSocket (RFC 6455): the handshake key, and wslay's event API glued to a non-blocking socket.
 * Framing, masking, control frames and the close handshake are wslay's; this file only moves
 * bytes between wslay and the socket and reports whole messages. */
#ifndef CRM_REALTIME_WEBSOCKET_H
#define CRM_REALTIME_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wslay/wslay.h>

#define WS_ACCEPT_LEN 28   /* base64 of a SHA-1 */

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)). The key must be
 * the base64 of 16 bytes (24 characters); returns -1 (out untouched) otherwise. */
int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);

/* A whole message received: text (opcode 1) or binary (2). */
typedef void (*ws_msg_fn)(void *user, const uint8_t *msg, size_t len, bool binary);

typedef struct ws {
    wslay_event_context_ptr ctx;
    int fd;
    const char *extra;            /* bytes already read by the HTTP server: consumed first */
    size_t extra_len, extra_off;
    ws_msg_fn on_msg;
    void *user;
} ws;

/* A server-side context on fd; messages longer than max_msg close the connection (1009). */
int ws_open(ws *w, int fd, const char *extra, size_t extra_len, uint64_t max_msg, ws_msg_fn fn,
            void *user);
void ws_free(ws *w);
int ws_read(ws *w);                 /* reads what the socket has; -1: the connection is broken */
int ws_flush(ws *w);                /* writes what the socket takes; -1: broken */
int ws_queue_text(ws *w, const char *s, size_t n);   /* -1: closing or out of memory */
void ws_queue_close(ws *w, uint16_t code);
bool ws_want_write(const ws *w);
bool ws_done(const ws *w);          /* nothing more to read or write: close the socket */
size_t ws_queued_msgs(const ws *w);
size_t ws_queued_bytes(const ws *w);

#endif
