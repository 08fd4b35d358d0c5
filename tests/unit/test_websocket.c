/* The WebSocket layer (realtime/websocket.c) against a client written here, over a socketpair:
 * messages whole and in fragments, control frames, the close handshake, every protocol error
 * with its close code, backpressure on a full socket, and bytes read ahead by the HTTP server. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "realtime/websocket.h"
#include "tap.h"

/* ---- a client ---- */

/* Appends one masked frame to buf (returns its length). */
static size_t frame(uint8_t *buf, int fin, int rsv, int opcode, int masked, const void *payload, size_t len)
{
    static const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
    size_t n = 0;
    buf[n++] = (uint8_t)((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    uint8_t m = masked ? 0x80 : 0;
    if (len < 126) {
        buf[n++] = m | (uint8_t)len;
    } else if (len < 65536) {
        buf[n++] = m | 126;
        buf[n++] = (uint8_t)(len >> 8);
        buf[n++] = (uint8_t)len;
    } else {
        buf[n++] = m | 127;
        for (int i = 7; i >= 0; i--)
            buf[n++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    if (masked) {
        memcpy(buf + n, key, 4);
        n += 4;
    }
    for (size_t i = 0; i < len; i++)
        buf[n + i] = ((const uint8_t *)payload)[i] ^ (masked ? key[i % 4] : 0);
    return n + len;
}

static void send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t k = write(fd, b, n);
        if (k <= 0)
            abort();
        b += k;
        n -= (size_t)k;
    }
}

/* Reads one unmasked frame from the server: its opcode and payload (into out, *len). -1 on
 * EOF or a malformed frame; 0 when nothing is waiting. */
static int read_frame(int fd, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t h[10];
    ssize_t k = recv(fd, h, 2, MSG_DONTWAIT | MSG_PEEK);
    if (k < 2)
        return k == 0 ? -1 : 0;
    if (recv(fd, h, 2, MSG_WAITALL) != 2 || (h[1] & 0x80))
        return -1;
    uint64_t n = h[1] & 0x7f;
    if (n == 126) {
        if (recv(fd, h + 2, 2, MSG_WAITALL) != 2)
            return -1;
        n = (uint64_t)h[2] << 8 | h[3];
    } else if (n == 127) {
        if (recv(fd, h + 2, 8, MSG_WAITALL) != 8)
            return -1;
        n = 0;
        for (int i = 2; i < 10; i++)
            n = n << 8 | h[i];
    }
    if (n > cap || (n && recv(fd, out, n, MSG_WAITALL) != (ssize_t)n))
        return -1;
    *len = (size_t)n;
    return h[0] & 0x0f;
}

/* ---- the server side ---- */

struct received {
    int count;
    char last[256];
    size_t last_len;
    bool binary;
};

static void on_msg(void *user, const uint8_t *msg, size_t len, bool binary)
{
    struct received *r = user;
    r->count++;
    r->last_len = len;
    r->binary = binary;
    memcpy(r->last, msg, len < sizeof r->last - 1 ? len : sizeof r->last - 1);
    r->last[len < sizeof r->last - 1 ? len : sizeof r->last - 1] = '\0';
}

struct pair {
    int server, client;
    ws w;
    struct received got;
};

static void open_pair(struct pair *p, const char *extra, size_t extra_len, uint64_t max)
{
    int sv[2];
    memset(p, 0, sizeof *p);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    p->server = sv[0];
    p->client = sv[1];
    fcntl(p->server, F_SETFL, fcntl(p->server, F_GETFL) | O_NONBLOCK);
    if (ws_open(&p->w, p->server, extra, extra_len, max, on_msg, &p->got) != 0)
        abort();
}

static void close_pair(struct pair *p)
{
    ws_free(&p->w);
    close(p->server);
    close(p->client);
}

/* The close frame the server sent, or -1. */
static int close_code(struct pair *p)
{
    uint8_t b[128];
    size_t n = 0;
    if (ws_flush(&p->w) != 0 || read_frame(p->client, b, sizeof b, &n) != WSLAY_CONNECTION_CLOSE || n < 2)
        return -1;
    return b[0] << 8 | b[1];
}

static void test_messages(void)
{
    struct pair p;
    uint8_t buf[512];
    size_t n;
    open_pair(&p, NULL, 0, 1000);

    n = frame(buf, 1, 0, WSLAY_TEXT_FRAME, 1, "40{\"token\":\"x\"}", 15);
    send_all(p.client, buf, n);
    is_int(ws_read(&p.w), 0, "a text frame is read");
    is_int(p.got.count, 1, "one message");
    is_str(p.got.last, "40{\"token\":\"x\"}", "unmasked, whole");
    ok(!p.got.binary, "as text");

    /* a message in three fragments with a ping in the middle */
    n = frame(buf, 0, 0, WSLAY_TEXT_FRAME, 1, "hel", 3);
    n += frame(buf + n, 0, 0, WSLAY_CONTINUATION_FRAME, 1, "lo ", 3);
    n += frame(buf + n, 1, 0, WSLAY_PING, 1, "are you there", 13);
    n += frame(buf + n, 1, 0, WSLAY_CONTINUATION_FRAME, 1, "wörld", 6);
    send_all(p.client, buf, n);
    is_int(ws_read(&p.w), 0, "fragments are read");
    is_int(p.got.count, 2, "one more message");
    is_str(p.got.last, "hello wörld", "put together in order");
    ok(ws_want_write(&p.w), "a pong is due");
    is_int(ws_flush(&p.w), 0, "flushed");
    uint8_t out[64];
    size_t len = 0;
    is_int(read_frame(p.client, out, sizeof out, &len), WSLAY_PONG, "the client gets a pong");
    ok(len == 13 && memcmp(out, "are you there", 13) == 0, "with the ping's payload");
    is_int(ws_queued_msgs(&p.w), 0, "control frames are not counted as queued messages");

    /* two pings before the server writes: one pong, for the latest */
    n = frame(buf, 1, 0, WSLAY_PING, 1, "first", 5);
    n += frame(buf + n, 1, 0, WSLAY_PING, 1, "second!", 7);
    send_all(p.client, buf, n);
    is_int(ws_read(&p.w), 0, "two pings are read");
    is_int(ws_flush(&p.w), 0, "flushed");
    ok(read_frame(p.client, out, sizeof out, &len) == WSLAY_PONG && len == 7 && memcmp(out, "second!", 7) == 0,
       "one pong, with the latest ping's payload");
    is_int(read_frame(p.client, out, sizeof out, &len), 0, "and no other");

    n = frame(buf, 1, 0, WSLAY_BINARY_FRAME, 1, "\x01\x02\x00\x03", 4);
    n += frame(buf + n, 1, 0, WSLAY_PONG, 1, "", 0);   /* unsolicited pongs are ignored */
    send_all(p.client, buf, n);
    is_int(ws_read(&p.w), 0, "a binary frame is read");
    ok(p.got.count == 3 && p.got.binary && p.got.last_len == 4 && p.got.last[2] == 0, "as binary, NUL and all");

    /* outgoing messages, in order, unmasked */
    is_int(ws_queue_text(&p.w, "2", 1), 0, "queue a ping packet");
    is_int(ws_queue_text(&p.w, "42[\"contact_created\",{}]", 24), 0, "and an event");
    is_int(ws_queued_msgs(&p.w), 2, "two queued");
    is_int(ws_queued_bytes(&p.w), 25, "25 bytes queued");
    is_int(ws_flush(&p.w), 0, "flushed");
    is_int(ws_queued_msgs(&p.w), 0, "nothing queued after");
    ok(!ws_want_write(&p.w), "nothing to write");
    ok(read_frame(p.client, out, sizeof out, &len) == WSLAY_TEXT_FRAME && len == 1 && out[0] == '2', "first frame");
    ok(read_frame(p.client, out, sizeof out, &len) == WSLAY_TEXT_FRAME && len == 24, "second frame");

    /* a fragmented message that starts and ends with empty fragments */
    n = frame(buf, 0, 0, WSLAY_TEXT_FRAME, 1, "", 0);
    n += frame(buf + n, 0, 0, WSLAY_CONTINUATION_FRAME, 1, "x", 1);
    n += frame(buf + n, 1, 0, WSLAY_CONTINUATION_FRAME, 1, "", 0);
    send_all(p.client, buf, n);
    is_int(ws_read(&p.w), 0, "empty fragments are read");
    ok(p.got.count == 4 && p.got.last_len == 1 && p.got.last[0] == 'x', "the message is their sum");
    n = frame(buf, 1, 0, WSLAY_TEXT_FRAME, 1, "", 0);
    send_all(p.client, buf, n);
    is_int(ws_read(&p.w), 0, "an empty message is read");
    ok(p.got.count == 5 && p.got.last_len == 0, "and delivered, empty");

    /* the client closes: the server answers with the same code and is done */
    uint8_t cp[] = {0x03, 0xe8, 'b', 'y', 'e'};
    n = frame(buf, 1, 0, WSLAY_CONNECTION_CLOSE, 1, cp, sizeof cp);
    send_all(p.client, buf, n);
    is_int(ws_read(&p.w), 0, "a close is read");
    ok(!ws_want_read(&p.w), "nothing more is read");
    is_int(ws_queue_text(&p.w, "late", 4), -1, "nothing can be queued after it");
    is_int(close_code(&p), 1000, "the close is answered with 1000");
    ok(ws_done(&p.w), "and the connection is done");
    close_pair(&p);
}

static void test_protocol_errors(void)
{
    static const struct {
        const char *what;
        int fin, rsv, opcode, masked;
        const char *payload;
        size_t len;
        int code;
    } cases[] = {
        {"an unmasked frame", 1, 0, WSLAY_TEXT_FRAME, 0, "hi", 2, 1002},
        {"a reserved bit", 1, 4, WSLAY_TEXT_FRAME, 1, "hi", 2, 1002},
        {"an unknown opcode", 1, 0, 3, 1, "hi", 2, 1002},
        {"a continuation with nothing to continue", 1, 0, WSLAY_CONTINUATION_FRAME, 1, "hi", 2, 1002},
        {"a fragmented ping", 0, 0, WSLAY_PING, 1, "hi", 2, 1002},
        {"a message over the limit", 1, 0, WSLAY_TEXT_FRAME, 1, "0123456789abcdefg", 17, 1009},
        {"text that is not UTF-8", 1, 0, WSLAY_TEXT_FRAME, 1, "bad \xff\xfe", 6, 1007},
        {"a close with a 1-byte payload", 1, 0, WSLAY_CONNECTION_CLOSE, 1, "x", 1, 1002},
        {"a close with the reserved code 1005", 1, 0, WSLAY_CONNECTION_CLOSE, 1, "\x03\xed", 2, 1002},
        {"a close with the reserved code 1006", 1, 0, WSLAY_CONNECTION_CLOSE, 1, "\x03\xee", 2, 1002},
        {"a close with the code 999", 1, 0, WSLAY_CONNECTION_CLOSE, 1, "\x03\xe7", 2, 1002},
        {"a close with the code 5000", 1, 0, WSLAY_CONNECTION_CLOSE, 1, "\x13\x88", 2, 1002},
        {"a close with a reason that is not UTF-8", 1, 0, WSLAY_CONNECTION_CLOSE, 1, "\x03\xe8\xff", 3, 1007},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pair p;
        uint8_t buf[256];
        open_pair(&p, NULL, 0, 16);
        size_t n = frame(buf, cases[i].fin, cases[i].rsv, cases[i].opcode, cases[i].masked, cases[i].payload,
                         cases[i].len);
        n += frame(buf + n, 1, 0, WSLAY_TEXT_FRAME, 1, "after", 5);
        send_all(p.client, buf, n);
        is_int(ws_read(&p.w), 0, "%s: not a broken connection", cases[i].what);
        is_int(p.got.count, 0, "%s: no message, nor the one after it", cases[i].what);
        if (cases[i].code == 1009) {
            /* The rest of a message too long is read and dropped until the client closes, so
             * that closing never resets a connection with the close frame still in flight. */
            ok(ws_want_read(&p.w), "%s: the rest is read and dropped", cases[i].what);
            shutdown(p.client, SHUT_WR);
            is_int(ws_read(&p.w), 0, "%s: the client's end", cases[i].what);
            is_int(p.got.count, 0, "%s: still no message", cases[i].what);
        }
        ok(!ws_want_read(&p.w), "%s: reading stops", cases[i].what);
        is_int(close_code(&p), cases[i].code, "%s: closed with %d", cases[i].what, cases[i].code);
        ok(ws_done(&p.w), "%s: done once the close is out", cases[i].what);
        close_pair(&p);
    }

    /* a new message while a fragmented one is open */
    struct pair p;
    uint8_t buf[64];
    open_pair(&p, NULL, 0, 100);
    size_t n = frame(buf, 0, 0, WSLAY_TEXT_FRAME, 1, "a", 1);
    n += frame(buf + n, 1, 0, WSLAY_TEXT_FRAME, 1, "b", 1);
    send_all(p.client, buf, n);
    is_int(ws_read(&p.w), 0, "interleaved messages: read");
    is_int(close_code(&p), 1002, "interleaved messages: 1002");
    close_pair(&p);

    /* fragments that add up to more than the limit */
    open_pair(&p, NULL, 0, 4);
    n = frame(buf, 0, 0, WSLAY_TEXT_FRAME, 1, "abc", 3);
    n += frame(buf + n, 1, 0, WSLAY_CONTINUATION_FRAME, 1, "de", 2);
    send_all(p.client, buf, n);
    is_int(ws_read(&p.w), 0, "fragments over the limit: read");
    is_int(p.got.count, 0, "fragments over the limit: no message");
    is_int(close_code(&p), 1009, "fragments over the limit: 1009");
    close_pair(&p);

    /* the peer goes away */
    open_pair(&p, NULL, 0, 100);
    shutdown(p.client, SHUT_WR);
    is_int(ws_read(&p.w), -1, "EOF is a broken connection");
    close_pair(&p);
}

static void test_server_close_and_backpressure(void)
{
    struct pair p;
    open_pair(&p, NULL, 0, 100);
    is_int(ws_queue_text(&p.w, "queued before the close", 23), 0, "a message queued");
    ws_queue_close(&p.w, 4000);
    ws_queue_close(&p.w, 1000);   /* only the first close counts */
    is_int(ws_queued_msgs(&p.w), 0, "data not started is dropped by a close");
    is_int(close_code(&p), 4000, "the close goes out with its code");
    ok(ws_want_read(&p.w), "the server still reads, for the client's close");
    ok(!ws_want_write(&p.w), "and has nothing more to write");
    uint8_t buf[32];
    size_t n = frame(buf, 1, 0, WSLAY_CONNECTION_CLOSE, 1, "\x0f\xa0", 2);
    send_all(p.client, buf, n);
    is_int(ws_read(&p.w), 0, "the client's close is read");
    ok(ws_done(&p.w), "the handshake is complete");
    close_pair(&p);

    /* a message larger than the socket takes at once goes out over several flushes */
    open_pair(&p, NULL, 0, 100);
    int small = 4096;
    setsockopt(p.server, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    size_t big = 300000;
    char *text = malloc(big);
    for (size_t i = 0; i < big; i++)
        text[i] = (char)('a' + i % 26);
    is_int(ws_queue_text(&p.w, text, big), 0, "a large message queued");
    is_int(ws_queue_text(&p.w, "next", 4), 0, "and a small one after it");
    /* the client drains raw bytes between the server's flushes */
    uint8_t *raw = malloc(big + 64);
    size_t have = 0;
    int flushes = 0, rc = 0;
    while (ws_want_write(&p.w) && flushes < 100000) {
        rc = ws_flush(&p.w);
        if (rc != 0)
            break;
        flushes++;
        ssize_t k = recv(p.client, raw + have, big + 64 - have, MSG_DONTWAIT);
        if (k > 0)
            have += (size_t)k;
    }
    is_int(rc, 0, "flushing never fails on a full socket");
    ok(flushes > 1, "it took several flushes (%d)", flushes);
    ssize_t k;
    while ((k = recv(p.client, raw + have, big + 64 - have, MSG_DONTWAIT)) > 0)
        have += (size_t)k;
    /* header: 0x81, 127, 8-byte length */
    ok(have == 10 + big + 2 + 4 && raw[0] == 0x81 && raw[1] == 127, "one text frame with a 64-bit length, then the next");
    ok(memcmp(raw + 10, text, big) == 0, "its payload intact");
    ok(raw[10 + big] == 0x81 && raw[10 + big + 1] == 4 && memcmp(raw + 10 + big + 2, "next", 4) == 0,
       "the small message follows");
    is_int(ws_queued_bytes(&p.w), 0, "nothing left queued");
    free(raw);
    free(text);
    close_pair(&p);
}

static void test_extra_bytes(void)
{
    /* the HTTP server read the first frame along with the upgrade request */
    uint8_t early[64], more[64];
    size_t n = frame(early, 1, 0, WSLAY_TEXT_FRAME, 1, "40", 2);
    n += frame(early + n, 0, 0, WSLAY_TEXT_FRAME, 1, "he", 2);   /* and the start of another */
    struct pair p;
    open_pair(&p, (const char *)early, n, 100);
    is_int(ws_read(&p.w), 0, "bytes read ahead are consumed first");
    is_int(p.got.count, 1, "the first message");
    is_str(p.got.last, "40", "is delivered");
    size_t m = frame(more, 1, 0, WSLAY_CONTINUATION_FRAME, 1, "llo", 3);
    send_all(p.client, more, m);
    is_int(ws_read(&p.w), 0, "the socket's bytes follow");
    is_str(p.got.last, "hello", "the message that straddled them");
    close_pair(&p);
}

int main(void)
{
    test_messages();
    test_protocol_errors();
    test_server_close_and_backpressure();
    test_extra_bytes();
    return tap_done();
}
