/* Strict HTTP/1.1 (RFC 9112) for what libmicrohttpd 0.9.75 lets through: the request head is
 * judged once, when the headers are in and before any handler runs.
 *
 * MHD gives no access to the raw bytes, but it parses the head in place in the connection's
 * read buffer and tells where that head starts (the method) and how long it was
 * (MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE). The request line's parts and each header's name
 * and value are strings inside it, the terminator of each written over the space, ':', CR or
 * LF that ended it. So the addresses of the parsed strings show how the raw head looked:
 * - a NUL inside the request target or a header value leaves a gap between one string's end
 *   and the next one's start;
 * - a folded header (obs-fold) is copied elsewhere by MHD, so its name no longer sits right
 *   before its value;
 * - a line with an empty name (":x") after another header ends the head for MHD (the rest
 *   would become a body or a second request), so the last header no longer reaches the end
 *   of the head.
 * That is what the layout checks below verify. It holds for 0.9.75 (connection.c:
 * get_next_header_line, parse_initial_message_line, process_header_line, process_broken_line)
 * and tests/api/test_http_strict.py checks each case; later libmicrohttpd versions parse
 * differently (and refuse these requests themselves), hence the version check. */
#include "http/strict.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#if MHD_VERSION < 0x00097500 || MHD_VERSION >= 0x00097600
#error "strict.c relies on how libmicrohttpd 0.9.75 lays out the parsed head; recheck it"
#endif

/* What a head that fails the layout checks held; the layout alone cannot tell which. */
#define LAYOUT_PROBLEM \
    "The request head is malformed (a NUL byte, a header folded over lines, or an empty header name)"

/* RFC 9110 5.6.2: tchar */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

void http_strict_target(http_strict *st, const char *uri)
{
    st->target = uri;
    st->target_len = strlen(uri);
    st->target_bad = false;
    for (size_t k = 0; k < st->target_len; k++) {
        unsigned char c = (unsigned char)uri[k];
        /* RFC 9112 3.2: the request target is visible ASCII; MHD 0.9.75 accepts spaces and
         * control characters in it (it looks for the version from the end of the line). */
        if (c <= 0x20 || c >= 0x7f)
            st->target_bad = true;
    }
}

struct scan {
    const char *problem;
    uintptr_t expect;          /* where the next header name must start, 0 before the first */
    unsigned n_length, n_coding, n_host;
    const char *coding;
    bool layout_ok;
};

/* Whether [from, from + n) are all NUL: what MHD wrote over a CRLF or a bare LF. Only called
 * with n of 1 or 2 on addresses inside the read buffer (from is one past a parsed string). */
static bool terminator_at(uintptr_t from, size_t n)
{
    const char *p = (const char *)from;
    for (size_t k = 0; k < n; k++)
        if (p[k] != '\0')
            return false;
    return true;
}

/* The string that ended at `end` (its NUL) is followed by the line terminator and then by
 * `next`: one NUL for a bare LF, two for CRLF, and nothing else in between. */
static bool follows_line(uintptr_t end, uintptr_t next)
{
    return (next == end + 1 && terminator_at(end, 1)) || (next == end + 2 && terminator_at(end, 2));
}

/* The last line ended at `end` and the empty line after it closes the head at head_end: two
 * terminators of one or two NULs each. */
static bool ends_head(uintptr_t end, uintptr_t head_end)
{
    return head_end >= end + 2 && head_end <= end + 4 && terminator_at(end, head_end - end);
}

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *name,
                                 size_t name_len, const char *value, size_t value_len)
{
    struct scan *sc = cls;
    uintptr_t n = (uintptr_t)name, v = (uintptr_t)value;
    (void)kind;
    if (sc->problem)
        return MHD_NO;
    if (name_len == 0) {
        sc->problem = "A header line has an empty name";
        return MHD_NO;
    }
    for (size_t k = 0; k < name_len; k++)
        if (!is_tchar((unsigned char)name[k])) {
            /* includes "Content-Length :" (MHD keeps the space in the name, then does not
             * see the length) and "X Foo:" */
            sc->problem = (name[k] == ' ' || name[k] == '\t')
                              ? "A header name contains whitespace (none is allowed before the colon)"
                              : "A header name contains a character that is not allowed";
            return MHD_NO;
        }
    for (size_t k = 0; k < value_len; k++) {
        unsigned char c = (unsigned char)value[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            sc->problem = "A header value contains a control character";
            return MHD_NO;
        }
    }
    /* name ':' OWS value, all in place; then the next line */
    if (v < n + name_len + 1 || v - (n + name_len + 1) > 1024 ||
        (sc->expect && !follows_line(sc->expect, n)))
        sc->layout_ok = false;
    else
        for (uintptr_t p = n + name_len + 1; p < v; p++)
            if (*(const char *)p != ' ' && *(const char *)p != '\t')
                sc->layout_ok = false;
    if (!sc->layout_ok) {
        sc->problem = LAYOUT_PROBLEM;
        return MHD_NO;
    }
    sc->expect = v + value_len;
    if (name_len == 14 && strncasecmp(name, "Content-Length", 14) == 0)
        sc->n_length++;
    else if (name_len == 17 && strncasecmp(name, "Transfer-Encoding", 17) == 0) {
        sc->n_coding++;
        sc->coding = value;
    } else if (name_len == 4 && strncasecmp(name, "Host", 4) == 0)
        sc->n_host++;
    return MHD_YES;
}

const char *http_strict_head(const http_strict *st, struct MHD_Connection *conn, const char *method,
                             const char *version)
{
    struct scan sc = { .layout_ok = true };
    const union MHD_ConnectionInfo *size = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    size_t method_len = method ? strlen(method) : 0;
    /* MHD has answered 505 to anything but HTTP/1.x */
    bool http11 = version && strcmp(version, "HTTP/1.0") != 0;
    uintptr_t ver = (uintptr_t)version;

    if (!size || method_len == 0)
        return "The request head could not be read";   /* not expected from MHD */
    for (size_t k = 0; k < method_len; k++)
        if (!is_tchar((unsigned char)method[k]))
            return "The method is not a token";
    if (st->target_bad)
        return "The request target contains a space, a control character or a non-ASCII byte";
    /* method SP target: MHD skips any number of spaces there */
    if ((uintptr_t)st->target != (uintptr_t)method + method_len + 1)
        return "The request line is malformed (one space between method and target)";
    /* The version string starts right after the target's terminator (what was the space);
     * anything further means a NUL inside the target, which MHD would cut it at. */
    if (!version || ver != (uintptr_t)st->target + st->target_len + 1)
        return "The request target contains a NUL byte";
    sc.expect = ver + strlen(version);
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, on_header, &sc);
    if (sc.problem)
        return sc.problem;
    if (!ends_head(sc.expect, (uintptr_t)method + size->header_size))
        return LAYOUT_PROBLEM;
    if (http11 && sc.n_host == 0)
        return "An HTTP/1.1 request needs a Host header";
    if (sc.n_host > 1)
        return "More than one Host header";
    if (sc.n_length > 1)
        return "More than one Content-Length header";
    if (sc.n_coding) {
        if (!http11)
            return "Transfer-Encoding is not allowed before HTTP/1.1";
        if (sc.n_length)
            return "Transfer-Encoding and Content-Length together";
        /* MHD reads a body in chunks only when the one header says exactly that; any other
         * coding it would read until the client closes. */
        if (sc.n_coding > 1 || strcasecmp(sc.coding, "chunked") != 0)
            return "The only transfer coding accepted is chunked";
    }
    return NULL;
}
