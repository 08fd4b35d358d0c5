/* Unit tests for api/console: Accept-Encoding negotiation and the built-in file table (each
 * asset fingerprinted and named by the page, with a gzip of it). */
#include <string.h>

#include "api/console.h"
#include "tap.h"

static void test_accepts_gzip(void)
{
    static const struct { const char *ae; int want; } cases[] = {
        {NULL, 0}, {"", 0}, {"identity", 0}, {"br", 0}, {"gzip", 1}, {"GZip", 1},
        {"br, gzip", 1}, {"gzip, deflate, br", 1}, {"gzip;q=1.0", 1}, {"gzip; q=0.5", 1},
        {"gzip;q=0", 0}, {"gzip;q=0.0", 0}, {"gzip;q=0.000", 0}, {"gzip;q=0.001", 1},
        {"*", 1}, {"*;q=0", 0}, {"deflate, *", 1}, {"*, gzip;q=0", 0}, {"gzip;q=0, *", 0},
        {"x-gzip", 0}, {"gzipx", 0}, {"  ,, gzip ,", 1}, {"br;q=1, gzip;level=9", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_int(console_accepts_gzip(cases[i].ae), cases[i].want, "Accept-Encoding \"%s\"",
               cases[i].ae ? cases[i].ae : "(none)");
}

/* A gzip member of this length: magic bytes, deflate, and the trailer's ISIZE (RFC 1952). The
 * API tests decompress the bodies for real. */
static int gzip_of_length(const unsigned char *gz, size_t gzlen, size_t len)
{
    if (gzlen < 18 || gz[0] != 0x1f || gz[1] != 0x8b || gz[2] != 8)
        return 0;
    const unsigned char *t = gz + gzlen - 4;
    return ((size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24) == (len & 0xffffffffu);
}

static void test_table(void)
{
    ok(console_nassets >= 4, "the page and at least its CSS, app and socket.io client");
    const console_asset *page = console_find("/");
    ok(page && !page->immutable && strcmp(page->content_type, "text/html; charset=utf-8") == 0, "the page");
    for (size_t i = 0; i < console_nassets; i++) {
        const console_asset *a = &console_assets[i];
        ok(console_find(a->path) == a, "%s is found", a->path);
        is_int(strlen(a->etag), 12, "%s has a 12-digit ETag", a->path);
        if (a != page) {
            ok(a->immutable && strncmp(a->path, "/assets/", 8) == 0 && strstr(a->path, a->etag),
               "%s is fingerprinted with its ETag", a->path);
            ok(memmem(page->body, page->len, a->path, strlen(a->path)) != NULL, "the page names %s", a->path);
        }
        ok(gzip_of_length(a->gz, a->gzlen, a->len) && a->gzlen < a->len, "%s has a smaller gzip of its length", a->path);
    }
    ok(console_find("/assets/") == NULL && console_find("") == NULL && console_find("/index.html") == NULL,
       "nothing else is found");
}

int main(void)
{
    test_accepts_gzip();
    test_table();
    return tap_done();
}
