/* The WebSocket frame path (realtime/websocket.c over wslay's frame API), as a client's bytes
 * reach it: the first byte says whether they arrive read ahead by the HTTP server (the
 * `extra` of ws_open), from the socket, or split between the two; the rest are the frames.
 * Every message handed up is within the size limit and, when text, valid UTF-8; each is
 * echoed back so that sending, control frames and the close handshake run too. */
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "lib/utf8.h"
#include "realtime/websocket.h"

#define MAX_MSG 4096

static void on_msg(void *user, const uint8_t *msg, size_t len, bool binary)
{
    ws *w = user;
    FUZZ_CHECK(len <= MAX_MSG, "a message of %zu bytes passed the %d limit", len, MAX_MSG);
    FUZZ_CHECK(binary || utf8_valid((const char *)msg, len) || (len == 0),
               "a text message of %zu bytes is not UTF-8", len);
    if (!binary)
        ws_queue_text(w, (const char *)msg, len);
}

static void drain(int fd)
{
    char buf[65536];
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    ws w;
    if (size == 0)
        return 0;
    unsigned mode = data[0] % 3;
    data++;
    size--;
    size_t split = mode == 0 ? size : mode == 1 ? 0 : size / 2;   /* bytes given as extra */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    if (size - split > 0 && write(sv[1], data + split, size - split) != (ssize_t)(size - split))
        abort();   /* a few KB always fit in a socketpair's buffer */
    if (ws_open(&w, sv[0], (const char *)data, split, MAX_MSG, on_msg, &w) != 0)
        abort();
    for (int round = 0; round < 64; round++) {
        int r = ws_read(&w);
        int f = ws_flush(&w);
        drain(sv[1]);
        if (r < 0 || f < 0 || ws_done(&w) || (!ws_want_write(&w) && round > 0))
            break;
    }
    FUZZ_CHECK(ws_queued_msgs(&w) <= 1000000, "queue count wrapped: %zu", ws_queued_msgs(&w));
    ws_free(&w);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
