/* The router (http/router.c) on the raw request target, with crmd's own route table: the first
 * byte picks the method, the rest is the path (any bytes, NUL included, as router_find takes
 * a length). A match hands back parameters that lie inside the path and are not empty; the
 * Allow list fits its buffer; 405 comes only with a non-empty Allow. The input is also tried
 * as a route pattern: a valid one must match the path built from it. */
#include <string.h>

#include "fuzz.h"
#include "api/api.h"
#include "http/router.h"

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "get"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const http_route *routes;
    static size_t nroutes;
    if (!routes) {
        api_init(NULL);   /* only fills the table; no handler runs here */
        routes = api_route_table(&nroutes);
    }
    if (size == 0)
        return 0;
    const char *method = methods[data[0] % (sizeof methods / sizeof *methods)];
    const char *path = (const char *)data + 1;
    size_t len = size - 1;
    size_t index = 0, np = 0;
    router_param params[HTTP_MAX_PARAMS];
    router_result r = router_find(routes, nroutes, method, path, len, &index, params, &np);
    char allow[64];
    size_t alen = router_allow(routes, nroutes, path, len, allow, sizeof allow);
    FUZZ_CHECK(alen < sizeof allow && strlen(allow) == alen, "Allow overflows: %zu", alen);
    if (r == ROUTER_FOUND) {
        FUZZ_CHECK(index < nroutes && np <= HTTP_MAX_PARAMS, "index %zu, %zu params", index, np);
        FUZZ_CHECK(strcmp(routes[index].method, method) == 0, "route of another method");
        FUZZ_CHECK(alen > 0, "a found route missing from Allow");
        for (size_t i = 0; i < np; i++)
            FUZZ_CHECK(params[i].value >= path && params[i].value + params[i].value_len <= path + len &&
                           params[i].value_len > 0 && !memchr(params[i].value, '/', params[i].value_len),
                       "parameter %zu outside the path or empty", i);
    } else if (r == ROUTER_METHOD_NOT_ALLOWED) {
        FUZZ_CHECK(alen > 0, "405 with an empty Allow");
    }

    /* The input as a pattern: when valid, substituting "x" for each parameter matches it. */
    char *pat = fuzz_cstr(data + 1, size - 1);
    if (router_pattern_valid(pat) && strlen(pat) < 512) {
        char built[2048];
        size_t b = 0;
        for (const char *p = pat; *p;) {
            if (*p == ':') {
                built[b++] = 'x';
                while (*p && *p != '/')
                    p++;
            } else if (p[0] == '/' && p[1] == '?' && p[2] == '\0') {
                p += 2;   /* the optional trailing slash: leave it out */
            } else {
                built[b++] = *p++;
            }
        }
        built[b] = '\0';
        FUZZ_CHECK(router_match(pat, built, b, params, &np), "pattern \"%s\" does not match \"%s\"", pat, built);
    }
    free(pat);
    return 0;
}
