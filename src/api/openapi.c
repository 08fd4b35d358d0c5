/* §12 (beyond): the OpenAPI document of this server and its rendering for people, both served
 * from files embedded at build time (api/assets.h); no credentials, nothing from another host. */
#include "api/assets.h"
#include "api/routes.h"

/* Redoc renders in the page itself: its styles are injected inline and its search index runs in
 * a worker made from a blob: URL; everything else comes from this server. */
#define DOCS_CSP                                                                                \
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "               \
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; " \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const char docs_page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>crmd API</title>\n"
    "</head>\n"
    "<body>\n"
    "<redoc spec-url=\"/api/openapi.json\"></redoc>\n"
    "<script src=\"/api/docs/redoc.standalone.js\"></script>\n"
    "</body>\n"
    "</html>\n";

static void send_asset(http_req *r, const char *name)
{
    api_asset a;
    if (!api_asset_get(name, &a)) {
        api_send_code(r, CRM_E_INTERNAL, NULL, NULL);
        return;
    }
    http_reply_header(r, "Cache-Control", "no-cache");
    http_reply_header(r, "X-Content-Type-Options", "nosniff");
    http_reply(r, 200, a.content_type, a.data, a.len);
}

static void openapi_json(http_req *r)
{
    http_reply_header(r, "Access-Control-Allow-Origin", "*");   /* for tools in a browser */
    send_asset(r, "openapi.json");
}

static void docs(http_req *r)
{
    http_reply_header(r, "Content-Security-Policy", DOCS_CSP);
    http_reply_header(r, "X-Content-Type-Options", "nosniff");
    http_reply_header(r, "Cache-Control", "no-cache");
    http_reply(r, 200, "text/html; charset=utf-8", docs_page, sizeof docs_page - 1);
}

static void docs_script(http_req *r)
{
    send_asset(r, "redoc.standalone.js");
}

const http_route api_openapi_routes[] = {
    { "GET", "/api/openapi.json", openapi_json },
    { "GET", "/api/docs", docs },
    { "GET", "/api/docs/redoc.standalone.js", docs_script },
};
const size_t api_openapi_nroutes = sizeof api_openapi_routes / sizeof *api_openapi_routes;
