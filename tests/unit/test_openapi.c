/* The OpenAPI document embedded in crmd (openapi/openapi.yaml) against the server itself: every
 * route of api_route_table() is an operation of the document and every operation is a route, and
 * the error envelope's `error` enum is exactly the catalogue of lib/errors.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "tap.h"
#include "api/api.h"
#include "api/assets.h"
#include "lib/errors.h"

static const char *const methods[] = { "get", "put", "post", "delete", "patch", "options", "head", "trace" };

/* "/api/contacts/:id" → "/api/contacts/{id}"; the router's optional trailing slash ("/?") is the
 * slash itself. */
static void openapi_path(const char *pattern, char *out, size_t max)
{
    size_t o = 0;
    for (const char *p = pattern; *p && o + 2 < max; p++) {
        if (*p == ':') {
            out[o++] = '{';
            for (p++; *p && *p != '/' && o + 2 < max; p++)
                out[o++] = *p;
            out[o++] = '}';
            p--;
        } else if (!(p[0] == '?' && p[1] == '\0')) {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static void lower(const char *in, char *out, size_t max)
{
    size_t i = 0;
    for (; in[i] && i + 1 < max; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

static bool route_exists(const http_route *routes, size_t n, const char *path, const char *method)
{
    char p[256], m[16];
    for (size_t i = 0; i < n; i++) {
        openapi_path(routes[i].pattern, p, sizeof p);
        lower(routes[i].method, m, sizeof m);
        if (strcmp(p, path) == 0 && strcmp(m, method) == 0)
            return true;
    }
    return false;
}

int main(void)
{
    api_asset doc_asset, js_asset;
    json_error_t jerr;
    size_t n;

    api_init(NULL);
    const http_route *routes = api_route_table(&n);
    ok(n > 40, "the server has its route table (%zu routes)", n);

    if (!ok(api_asset_get("openapi.json", &doc_asset), "openapi.json is embedded"))
        return tap_done();
    ok(api_asset_get("redoc.standalone.js", &js_asset) && js_asset.len > 100000,
       "the renderer of /api/docs is embedded");
    ok(!api_asset_get("nothing.js", &js_asset), "an unknown asset is not found");
    json_t *doc = json_loadb(doc_asset.data, doc_asset.len, 0, &jerr);
    if (!ok(doc != NULL, "the embedded document is JSON (%s)", doc ? "" : jerr.text))
        return tap_done();
    is_str(json_string_value(json_object_get(doc, "openapi")), "3.1.0", "it is OpenAPI 3.1.0");
    json_t *paths = json_object_get(doc, "paths");

    /* Every route is an operation of the document... */
    for (size_t i = 0; i < n; i++) {
        char p[256], m[16];
        openapi_path(routes[i].pattern, p, sizeof p);
        lower(routes[i].method, m, sizeof m);
        ok(json_object_get(json_object_get(paths, p), m) != NULL, "route %s %s is in the document", routes[i].method,
           routes[i].pattern);
    }
    /* ...and every operation of the document is a route. */
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item) {
        for (size_t k = 0; k < sizeof methods / sizeof *methods; k++)
            if (json_object_get(item, methods[k]))
                ok(route_exists(routes, n, path, methods[k]), "operation %s %s is a route of the server", methods[k],
                   path);
    }

    /* The envelope's codes are the catalogue's, both ways. */
    json_t *codes = json_object_get(json_object_get(json_object_get(json_object_get(json_object_get(
        json_object_get(doc, "components"), "schemas"), "Error"), "properties"), "error"), "enum");
    ok(json_is_array(codes), "the Error schema lists its codes");
    for (int code = 1; code < CRM_E__COUNT; code++) {
        bool found = false;
        size_t i;
        json_t *v;
        json_array_foreach(codes, i, v)
            found = found || strcmp(json_string_value(v), crm_error_code(code)) == 0;
        ok(found, "error code %s is in the document", crm_error_code(code));
    }
    is_int(json_array_size(codes), CRM_E__COUNT - 1, "the document lists no other error code");

    json_decref(doc);
    return tap_done();
}
