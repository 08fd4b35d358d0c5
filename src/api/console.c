/* §13: the web console's files, served from inside the binary (api/console_assets.h). The page
 * is revalidated on every load; the fingerprinted assets are cached for a year. Pre-gzipped
 * bodies go to clients that accept gzip. No credentials: the page signs in through the API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api/console.h"
#include "api/console_assets.h"
#include "api/routes.h"

/* No inline script or style; the socket connects to this origin only ('self' admits its ws: or wss:). */
#define CONSOLE_CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
                    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " \
                    "frame-ancestors 'none'"

const console_asset *console_find(const char *path)
{
    for (size_t i = 0; i < console_nassets; i++)
        if (strcmp(console_assets[i].path, path) == 0)
            return &console_assets[i];
    return NULL;
}

/* True when an Accept-Encoding value admits gzip: a "gzip" (or "*") coding whose q is not 0. */
bool console_accepts_gzip(const char *ae)
{
    if (!ae)
        return false;
    bool star = false, gzip = false, gzip_listed = false;
    const char *p = ae;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *tok = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        size_t toklen = (size_t)(p - tok);
        bool ok = true;   /* q defaults to 1 */
        while (*p && *p != ',') {
            if (*p == ';') {
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
                    ok = strtod(p + 2, NULL) > 0;
                continue;
            }
            p++;
        }
        if (toklen == 4 && strncasecmp(tok, "gzip", 4) == 0) {
            gzip_listed = true;
            gzip = ok;
        } else if (toklen == 1 && *tok == '*') {
            star = ok;
        }
    }
    return gzip_listed ? gzip : star;
}

/* True when If-None-Match names this ETag (either encoding's; weak comparison, as RFC 9110
 * wants for GET), or is "*". */
static bool not_modified(const char *inm, const char *etag)
{
    if (!inm)
        return false;
    size_t n = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return true;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p == '"' && strncmp(p + 1, etag, n) == 0 &&
            (p[1 + n] == '"' || strncmp(p + 1 + n, "-gz\"", 4) == 0))
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

static void serve(http_req *r, const console_asset *a)
{
    bool gz = console_accepts_gzip(http_req_header(r, "Accept-Encoding"));
    char etag[64];
    snprintf(etag, sizeof etag, "\"%s%s\"", a->etag, gz ? "-gz" : "");
    http_reply_header(r, "ETag", etag);
    http_reply_header(r, "Vary", "Accept-Encoding");
    http_reply_header(r, "Cache-Control", a->immutable ? "public, max-age=31536000, immutable" : "no-cache");
    http_reply_header(r, "X-Content-Type-Options", "nosniff");
    http_reply_header(r, "Content-Security-Policy", CONSOLE_CSP);
    http_reply_header(r, "Referrer-Policy", "no-referrer");
    if (not_modified(http_req_header(r, "If-None-Match"), a->etag)) {
        http_reply(r, 304, NULL, "", 0);
        return;
    }
    if (gz)
        http_reply_header(r, "Content-Encoding", "gzip");
    http_reply(r, 200, a->content_type, (const char *)(gz ? a->gz : a->body), gz ? a->gzlen : a->len);
}

static void page(http_req *r)
{
    const console_asset *a = console_find("/");
    if (a)
        serve(r, a);
    else
        api_send_code(r, CRM_E_NOT_FOUND, NULL, "This build has no console");
}

static void asset(http_req *r)
{
    const console_asset *a = console_find(http_req_path(r));
    if (a && a->immutable)
        serve(r, a);
    else
        api_send_code(r, CRM_E_NOT_FOUND, NULL, "No such file");
}

const http_route api_console_routes[] = {
    { "GET", "/", page },
    { "HEAD", "/", page },
    { "GET", "/assets/:name", asset },
    { "HEAD", "/assets/:name", asset },
};
const size_t api_console_nroutes = sizeof api_console_routes / sizeof api_console_routes[0];
