/* JSON text straight into an arena buffer, byte for byte as jansson's compact json_dumps
 * prints it: strings escape '"', '\\' and the control characters (\b \f \n \r \t by name,
 * the others as \u00XX in upper-case hex) and nothing else, '/' and non-ASCII included. */
#include "lib/json_writer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/timefmt.h"
#include "lib/utf8.h"

#define MIN_CAP 256

void jw_init(jw_writer *w, arena *a, size_t cap)
{
    w->a = a;
    w->cap = cap < MIN_CAP ? MIN_CAP : cap;
    w->buf = arena_alloc(a, w->cap);
    w->len = 0;
    w->comma = false;
    w->refused = false;
}

/* Room for n more bytes and the NUL. A grown buffer is a new one; the old stays in the arena. */
static char *reserve(jw_writer *w, size_t n)
{
    if (n >= SIZE_MAX / 2 - w->len)
        abort();
    if (w->cap - w->len <= n) {
        size_t cap = w->cap * 2 > w->len + n + 1 ? w->cap * 2 : w->len + n + 1;
        char *buf = arena_alloc(w->a, cap);
        memcpy(buf, w->buf, w->len);
        w->buf = buf;
        w->cap = cap;
    }
    return w->buf + w->len;
}

static void put(jw_writer *w, const char *s, size_t n)
{
    memcpy(reserve(w, n), s, n);
    w->len += n;
}

/* A value or key goes after a comma unless it is its container's first. */
static void separate(jw_writer *w)
{
    if (w->comma)
        put(w, ",", 1);
    w->comma = true;
}

static void open_container(jw_writer *w, char bracket)
{
    separate(w);
    put(w, &bracket, 1);
    w->comma = false;
}

static void close_container(jw_writer *w, char bracket)
{
    put(w, &bracket, 1);
    w->comma = true;
}

void jw_object_begin(jw_writer *w) { open_container(w, '{'); }
void jw_object_end(jw_writer *w) { close_container(w, '}'); }
void jw_array_begin(jw_writer *w) { open_container(w, '['); }
void jw_array_end(jw_writer *w) { close_container(w, ']'); }

void jw_null(jw_writer *w)
{
    separate(w);
    put(w, "null", 4);
}

void jw_bool(jw_writer *w, bool v)
{
    separate(w);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void jw_int(jw_writer *w, int64_t v)
{
    char digits[20], *p = digits + sizeof digits;
    /* The magnitude as unsigned, so that INT64_MIN has one too. */
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    separate(w);
    if (v < 0)
        put(w, "-", 1);
    put(w, p, (size_t)(digits + sizeof digits - p));
}

/* s[0..n) quoted and escaped at o, which has room for the worst case; returns the end, and in
 * *high the OR of its bytes (0x80 set: there is non-ASCII text to check). */
static char *escape(char *o, const char *s, size_t n, unsigned char *high)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;   /* start of the bytes not copied yet */
    unsigned char all = 0;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        all |= c;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        memcpy(o, s + run, i - run);
        o += i - run;
        run = i + 1;
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
            break;
        }
    }
    memcpy(o, s + run, n - run);
    o += n - run;
    *o++ = '"';
    *high = all;
    return o;
}

/* What jansson would not print: null in its place, and the writer refused. */
static void refuse(jw_writer *w)
{
    w->refused = true;
    put(w, "null", 4);
}

static void put_string(jw_writer *w, const char *s)
{
    unsigned char high;
    if (!s) {
        refuse(w);
        return;
    }
    size_t n = strlen(s);
    if (n > SIZE_MAX / 8)
        abort();
    /* Room for every byte as \u00XX and the quotes. Non-ASCII text is checked after it was
     * escaped, as most text is ASCII; refused, what escape wrote stays unused past len. */
    char *end = escape(reserve(w, 6 * n + 2), s, n, &high);
    if ((high & 0x80) && !utf8_valid(s, n)) {
        refuse(w);
        return;
    }
    w->len = (size_t)(end - w->buf);
}

void jw_key(jw_writer *w, const char *key)
{
    separate(w);
    put_string(w, key);
    put(w, ":", 1);
    w->comma = false;
}

void jw_string(jw_writer *w, const char *s)
{
    separate(w);
    put_string(w, s);
}

void jw_string_or_null(jw_writer *w, const char *s)
{
    if (s && *s)
        jw_string(w, s);
    else
        jw_null(w);
}

void jw_time(jw_writer *w, int64_t ms)
{
    separate(w);
    char *o = reserve(w, TIMEFMT_ISO_LEN + 2);
    o[0] = '"';
    time_iso8601(ms, o + 1);   /* its NUL is overwritten by the closing quote */
    o[TIMEFMT_ISO_LEN + 1] = '"';
    w->len += TIMEFMT_ISO_LEN + 2;
}

bool jw_refused(const jw_writer *w)
{
    return w->refused;
}

char *jw_text(jw_writer *w, size_t *len)
{
    reserve(w, 0)[0] = '\0';
    if (len)
        *len = w->len;
    return w->buf;
}
