/* The pure pieces of the Socket.IO endpoint: SHA-1, the WebSocket accept key (RFC 6455's own
 * example), Engine.IO packet types and the open packet, Socket.IO packet parsing. */
#include "realtime/engineio.h"
#include "lib/sha1.h"
#include "realtime/socketio.h"
#include "realtime/websocket.h"
#include "tap.h"

#include <stdio.h>

/* is_str wants pointers that may be NULL; arrays never are, and -Waddress says so */
static const char *str(const char *s)
{
    return s;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha1(void)
{
    static const struct { const char *in; const char *want; } cases[] = {
        {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",   /* 56 bytes: two pad blocks */
         "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
        {"The quick brown fox jumps over the lazy dog", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"},
    };
    uint8_t d[SHA1_LEN];
    char h[2 * SHA1_LEN + 1];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sha1(cases[i].in, strlen(cases[i].in), d);
        hex(d, sizeof d, h);
        is_str(str(h), cases[i].want, "sha1(\"%.20s\")", cases[i].in);
    }
    char million[1000];
    memset(million, 'a', sizeof million);
    sha1(million, 64, d);   /* exactly one block plus a padding block */
    hex(d, sizeof d, h);
    is_str(str(h), "0098ba824b5c16427bd7a1122a5a442a25ec644d", "sha1 of 64 'a'");
}

static void test_accept_key(void)
{
    char out[WS_ACCEPT_LEN + 1];
    /* RFC 6455 section 1.3 */
    is_int(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0, "RFC 6455 key accepted");
    is_str(str(out), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC 6455 example accept value");
    ok(ws_accept_key(NULL, out) == -1, "NULL key refused");
    ok(ws_accept_key("", out) == -1, "empty key refused");
    ok(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", out) == -1, "23 characters refused");
    ok(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==x", out) == -1, "25 characters refused");
    ok(ws_accept_key("dGhlIHNhbXBsZSBub25j!Q==", out) == -1, "not base64 refused");
    ok(ws_accept_key("dGhlIHNhbXBsZSBub25jZWVl", out) == -1, "18 bytes refused");
}

static void test_engineio(void)
{
    char sid[EIO_SID_LEN + 1], sid2[EIO_SID_LEN + 1], buf[192];
    is_int(eio_type("2", 1), EIO_PING, "2 is ping");
    is_int(eio_type("3probe", 6), EIO_PONG, "3probe is pong");
    is_int(eio_type("40", 2), EIO_MESSAGE, "40 is a message");
    is_int(eio_type("6", 1), EIO_NOOP, "6 is noop");
    is_int(eio_type("", 0), -1, "empty has no type");
    is_int(eio_type("7", 1), -1, "7 has no type");
    is_int(eio_type("x", 1), -1, "x has no type");
    eio_new_sid(sid);
    eio_new_sid(sid2);
    is_int(strlen(sid), EIO_SID_LEN, "sid length");
    ok(strcmp(sid, sid2) != 0, "sids differ");
    ok(strspn(sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == EIO_SID_LEN,
       "sid is base64url");
    size_t n = eio_open_packet(buf, sizeof buf, "abc", 25000, 20000, 1000000);
    is_str(str(buf), "0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}",
           "open packet");
    is_int(n, strlen(buf), "open packet length");
}

static void test_socketio(void)
{
    static const struct {
        const char *in;
        int rc, type;
        const char *nsp;
        long long id;
        const char *data;
        unsigned att;
    } cases[] = {
        {"0", 0, SIO_CONNECT, "/", -1, "", 0},
        {"0{\"token\":\"x\"}", 0, SIO_CONNECT, "/", -1, "{\"token\":\"x\"}", 0},
        {"0/admin,{\"token\":\"x\"}", 0, SIO_CONNECT, "/admin", -1, "{\"token\":\"x\"}", 0},
        {"0/admin,", 0, SIO_CONNECT, "/admin", -1, "", 0},
        {"0/admin", 0, SIO_CONNECT, "/admin", -1, "", 0},
        {"1", 0, SIO_DISCONNECT, "/", -1, "", 0},
        {"2[\"hello\",1]", 0, SIO_EVENT, "/", -1, "[\"hello\",1]", 0},
        {"212[\"hello\"]", 0, SIO_EVENT, "/", 12, "[\"hello\"]", 0},
        {"2/chat,7[\"a\"]", 0, SIO_EVENT, "/chat", 7, "[\"a\"]", 0},
        {"31[]", 0, SIO_ACK, "/", 1, "[]", 0},
        {"4{\"message\":\"no\"}", 0, SIO_CONNECT_ERROR, "/", -1, "{\"message\":\"no\"}", 0},
        {"51-[\"f\",{\"_placeholder\":true,\"num\":0}]", 0, SIO_BINARY_EVENT, "/", -1,
         "[\"f\",{\"_placeholder\":true,\"num\":0}]", 1},
        {"62-/x,3[]", 0, SIO_BINARY_ACK, "/x", 3, "[]", 2},
        {"", -1, 0, NULL, 0, NULL, 0},
        {"7", -1, 0, NULL, 0, NULL, 0},
        {"x", -1, 0, NULL, 0, NULL, 0},
        {"5[]", -1, 0, NULL, 0, NULL, 0},          /* binary without attachment count */
        {"51[]", -1, 0, NULL, 0, NULL, 0},         /* count without '-' */
        {"21234567890123456[]", -1, 0, NULL, 0, NULL, 0},   /* absurd ack id */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sio_packet p;
        const char *in = cases[i].in;
        int rc = sio_parse(in, strlen(in), &p);
        is_int(rc, cases[i].rc, "sio_parse('%s') rc", in);
        if (rc != 0 || cases[i].rc != 0)
            continue;
        char nsp[64], data[128];
        snprintf(nsp, sizeof nsp, "%.*s", (int)p.nsp_len, p.nsp);
        snprintf(data, sizeof data, "%.*s", (int)p.data_len, p.data);
        ok(p.type == cases[i].type && strcmp(nsp, cases[i].nsp) == 0 && p.id == cases[i].id &&
               strcmp(data, cases[i].data) == 0 && p.attachments == cases[i].att,
           "sio_parse('%s'): type %d nsp '%s' id %lld data '%s' attachments %u", in, p.type, nsp, p.id,
           data, p.attachments);
    }
}

int main(void)
{
    test_sha1();
    test_accept_key();
    test_engineio();
    test_socketio();
    return tap_done();
}
