/* Router: pattern validity, matching, parameters, 404 versus 405 and the Allow list. */
#include "http/router.h"
#include "tap.h"

#include <stdlib.h>

static void h_dummy(http_req *r) { (void)r; }

static const http_route routes[] = {
    {"GET", "/healthz", h_dummy},                               /* 0 */
    {"POST", "/api/contact", h_dummy},                          /* 1 */
    {"PUT", "/api/contact", h_dummy},                           /* 2 */
    {"GET", "/api/contacts", h_dummy},                          /* 3 */
    {"DELETE", "/api/contacts/bulk-delete", h_dummy},           /* 4 */
    {"GET", "/api/contacts/:id", h_dummy},                      /* 5 */
    {"PATCH", "/api/contacts/:id", h_dummy},                    /* 6 */
    {"DELETE", "/api/contacts/:id", h_dummy},                   /* 7 */
    {"GET", "/api/contacts/:id", h_dummy},                      /* 8: duplicate of 5 */
    {"PUT", "/api/organizations/:orgId/timezone", h_dummy},     /* 9 */
    {"GET", "/api/a/:p1/b/:p2/c/:p3/:p4", h_dummy},             /* 10 */
    {"GET", "/", h_dummy},                                      /* 11 */
};
#define NROUTES (sizeof routes / sizeof *routes)

/* find on a NUL-terminated path; returns the result, sets idx/np */
static router_result find(const char *method, const char *path, size_t *idx,
                          router_param *ps, size_t *np)
{
    *idx = (size_t)-1;
    *np = 0;
    return router_find(routes, NROUTES, method, path, strlen(path), idx, ps, np);
}

static int param_is(const router_param *p, const char *name, const char *value)
{
    return p->name_len == strlen(name) && memcmp(p->name, name, p->name_len) == 0 &&
           p->value_len == strlen(value) && memcmp(p->value, value, p->value_len) == 0;
}

static void test_patterns(void)
{
    static const struct { const char *p; int valid; } cases[] = {
        {"/", 1},
        {"/healthz", 1},
        {"/api/contacts/:id", 1},
        {"/api/:a/:b/:c/:d", 1},
        {"/api/:a/:b/:c/:d/:e", 0},    /* more than HTTP_MAX_PARAMS */
        {"", 0},
        {"api/contacts", 0},           /* no leading slash */
        {"/api/contacts/", 0},         /* trailing slash */
        {"/api//contacts", 0},         /* empty segment */
        {"//", 0},
        {"/api/:", 0},                 /* empty name */
        {"/api/:id.json", 0},
        {"/api/:i-d", 0},
        {"/api/a:b", 0},               /* ':' inside a literal */
        {"/api/x?y", 0},
        {"/api/x y", 0},
        {"/api/x#y", 0},
        {"/api/%41", 1},               /* literal, matched byte for byte */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        is_int(router_pattern_valid(cases[i].p), cases[i].valid, "pattern '%s' valid=%d",
               cases[i].p, cases[i].valid);
    ok(!router_pattern_valid(NULL), "NULL pattern invalid");
    for (size_t i = 0; i < NROUTES; i++)
        ok(router_pattern_valid(routes[i].pattern), "table pattern %s valid", routes[i].pattern);
}

static void test_exact(void)
{
    router_param ps[HTTP_MAX_PARAMS];
    size_t idx, np;
    is_int(find("GET", "/healthz", &idx, ps, &np), ROUTER_FOUND, "GET /healthz found");
    is_int(idx, 0, "  route 0");
    is_int(np, 0, "  no params");
    is_int(find("POST", "/api/contact", &idx, ps, &np), ROUTER_FOUND, "POST /api/contact");
    is_int(idx, 1, "  route 1");
    is_int(find("PUT", "/api/contact", &idx, ps, &np), ROUTER_FOUND, "PUT /api/contact");
    is_int(idx, 2, "  route 2");
    is_int(find("GET", "/", &idx, ps, &np), ROUTER_FOUND, "GET / found");
    is_int(idx, 11, "  route 11");
    is_int(find("GET", "/api/contacts", &idx, ps, &np), ROUTER_FOUND, "GET /api/contacts");
    is_int(idx, 3, "  route 3, not the :id one");
    /* first match wins: the literal route is listed before the parameter route */
    is_int(find("DELETE", "/api/contacts/bulk-delete", &idx, ps, &np), ROUTER_FOUND,
           "DELETE bulk-delete found");
    is_int(idx, 4, "  literal route listed first wins");
    is_int(find("GET", "/api/contacts/bulk-delete", &idx, ps, &np), ROUTER_FOUND,
           "GET bulk-delete falls to :id");
    is_int(idx, 5, "  route 5");
    ok(param_is(&ps[0], "id", "bulk-delete"), "  id=bulk-delete");
}

static void test_params(void)
{
    router_param ps[HTTP_MAX_PARAMS];
    size_t idx, np;
    is_int(find("GET", "/api/contacts/65f1a2b3c4d5e6f7a8b9c0d1", &idx, ps, &np), ROUTER_FOUND,
           "GET contact by id");
    is_int(idx, 5, "  route 5");
    is_int(np, 1, "  one param");
    ok(param_is(&ps[0], "id", "65f1a2b3c4d5e6f7a8b9c0d1"), "  id captured");
    is_int(find("PATCH", "/api/contacts/abc", &idx, ps, &np), ROUTER_FOUND, "PATCH by id");
    is_int(idx, 6, "  route 6");
    is_int(find("DELETE", "/api/contacts/abc", &idx, ps, &np), ROUTER_FOUND, "DELETE by id");
    is_int(idx, 7, "  route 7 (bulk-delete literal does not match abc)");

    is_int(find("PUT", "/api/organizations/org1/timezone", &idx, ps, &np), ROUTER_FOUND,
           "param in the middle");
    is_int(idx, 9, "  route 9");
    ok(np == 1 && param_is(&ps[0], "orgId", "org1"), "  orgId=org1");
    is_int(find("PUT", "/api/organizations/org1/timezones", &idx, ps, &np), ROUTER_NOT_FOUND,
           "literal after a param must match whole");
    is_int(find("PUT", "/api/organizations/org1", &idx, ps, &np), ROUTER_NOT_FOUND,
           "missing trailing literal segment");

    is_int(find("GET", "/api/a/1/b/two/c/3.0/x:y", &idx, ps, &np), ROUTER_FOUND,
           "four params");
    is_int(np, 4, "  four captured");
    ok(param_is(&ps[0], "p1", "1"), "  p1=1");
    ok(param_is(&ps[1], "p2", "two"), "  p2=two");
    ok(param_is(&ps[2], "p3", "3.0"), "  p3=3.0");
    ok(param_is(&ps[3], "p4", "x:y"), "  p4=x:y (':' is an ordinary byte in a path)");
    is_int(find("GET", "/api/a/1/b/2/c/3", &idx, ps, &np), ROUTER_NOT_FOUND,
           "one segment short");
    is_int(find("GET", "/api/a/1/b/2/c/3/4/5", &idx, ps, &np), ROUTER_NOT_FOUND,
           "one segment too many");
}

static void test_method_mismatch(void)
{
    router_param ps[HTTP_MAX_PARAMS];
    size_t idx, np;
    char allow[128];
    const char *got = allow;   /* is_str wants a pointer, not an array */
    size_t n;

    is_int(find("POST", "/healthz", &idx, ps, &np), ROUTER_METHOD_NOT_ALLOWED, "POST /healthz 405");
    n = router_allow(routes, NROUTES, "/healthz", 8, allow, sizeof allow);
    is_str(got, "GET", "  Allow: GET");
    is_int(n, 3, "  length 3");

    is_int(find("GET", "/api/contact", &idx, ps, &np), ROUTER_METHOD_NOT_ALLOWED,
           "GET /api/contact 405");
    router_allow(routes, NROUTES, "/api/contact", 12, allow, sizeof allow);
    is_str(got, "POST, PUT", "  Allow: POST, PUT in route order");

    is_int(find("POST", "/api/contacts/x1", &idx, ps, &np), ROUTER_METHOD_NOT_ALLOWED,
           "POST /api/contacts/:id 405");
    router_allow(routes, NROUTES, "/api/contacts/x1", 16, allow, sizeof allow);
    is_str(got, "GET, PATCH, DELETE", "  duplicates removed, route order kept");

    is_int(find("POST", "/api/contacts/bulk-delete", &idx, ps, &np), ROUTER_METHOD_NOT_ALLOWED,
           "POST bulk-delete 405");
    router_allow(routes, NROUTES, "/api/contacts/bulk-delete", 25, allow, sizeof allow);
    is_str(got, "DELETE, GET, PATCH", "  union of literal and :id routes, first seen first");

    is_int(find("get", "/healthz", &idx, ps, &np), ROUTER_METHOD_NOT_ALLOWED,
           "methods are case-sensitive");
    is_int(find("HEAD", "/healthz", &idx, ps, &np), ROUTER_METHOD_NOT_ALLOWED,
           "HEAD is not implied by GET");

    /* small buffers: whole methods only, always NUL-terminated */
    n = router_allow(routes, NROUTES, "/api/contacts/x1", 16, allow, 9);
    is_str(got, "GET", "  9-byte buffer: 'GET, PATCH' does not fit, PATCH left out");
    n = router_allow(routes, NROUTES, "/api/contacts/x1", 16, allow, 11);
    is_str(got, "GET, PATCH", "  11-byte buffer holds 'GET, PATCH'");
    is_int(n, 10, "  length 10");
    n = router_allow(routes, NROUTES, "/api/contacts/x1", 16, allow, 1);
    ok(n == 0 && allow[0] == '\0', "  1-byte buffer: empty");
    n = router_allow(routes, NROUTES, "/nope", 5, allow, sizeof allow);
    ok(n == 0 && allow[0] == '\0', "unknown path: empty Allow");
}

static void test_unknown_and_edges(void)
{
    router_param ps[HTTP_MAX_PARAMS];
    size_t idx, np;
    static const char *const not_found[] = {
        "/nope",
        "",
        "healthz",                         /* no leading slash */
        "*",                               /* OPTIONS * */
        "http://host/healthz",             /* absolute form is not routed */
        "/healthz/",                       /* trailing slash */
        "/api/contacts/",                  /* trailing slash, and ':id' needs a value */
        "/api/contacts/abc/",              /* trailing slash after a param */
        "/api/contacts//",
        "//healthz",                       /* empty segment */
        "/api//contacts",
        "/api/contacts//abc",
        "/HEALTHZ",                        /* case matters */
        "/healthzz",
        "/health",
        "/api/contact%73",                 /* percent-encoding is not decoded */
        "/%68ealthz",
        "/api/contacts%2Fabc",             /* %2F is not a separator */
        "/api/./contacts",
        "/api/contacts/../contact",
    };
    for (size_t i = 0; i < sizeof not_found / sizeof *not_found; i++)
        is_int(find("GET", not_found[i], &idx, ps, &np), ROUTER_NOT_FOUND, "404 for '%s'",
               not_found[i]);

    is_int(find("GET", "/api/contacts/a%2Fb", &idx, ps, &np), ROUTER_FOUND,
           "encoded slash stays inside the segment");
    ok(param_is(&ps[0], "id", "a%2Fb"), "  value kept encoded");
    is_int(find("GET", "/api/contacts/%00", &idx, ps, &np), ROUTER_FOUND, "encoded NUL is literal");
    ok(param_is(&ps[0], "id", "%00"), "  value '%%00'");

    /* the length, not a NUL, ends the path */
    is_int(router_find(routes, NROUTES, "GET", "/healthzXYZ", 8, &idx, ps, &np), ROUTER_FOUND,
           "path length bounds the match");
    is_int(router_find(routes, NROUTES, "GET", "/healthz", 7, &idx, ps, &np), ROUTER_NOT_FOUND,
           "a prefix of a pattern is not a match");
    is_int(router_find(routes, 0, "GET", "/healthz", 8, &idx, ps, &np), ROUTER_NOT_FOUND,
           "empty table: 404");

    /* bytes that a raw request target may carry */
    is_int(find("GET", "/api/contacts/\xc3\xa9\xff", &idx, ps, &np), ROUTER_FOUND,
           "non-ASCII bytes are a value like any other");
    ok(param_is(&ps[0], "id", "\xc3\xa9\xff"), "  value kept");
}

static void test_long_paths(void)
{
    router_param ps[HTTP_MAX_PARAMS];
    size_t idx, np, n = 1 << 20;
    char *p = malloc(n + 32);
    /* one huge segment as a parameter */
    strcpy(p, "/api/contacts/");
    memset(p + 14, 'a', n);
    p[14 + n] = '\0';
    is_int(find("GET", p, &idx, ps, &np), ROUTER_FOUND, "1 MiB parameter value");
    ok(np == 1 && ps[0].value_len == n && ps[0].value == p + 14, "  points into the path, whole");
    /* a huge path of many segments */
    for (size_t i = 0; i < n; i += 2)
        p[i] = '/', p[i + 1] = 'x';
    p[n] = '\0';
    is_int(find("GET", p, &idx, ps, &np), ROUTER_NOT_FOUND, "512 Ki segments: 404");
    /* all slashes */
    memset(p, '/', n);
    p[n] = '\0';
    is_int(find("GET", p, &idx, ps, &np), ROUTER_NOT_FOUND, "1 MiB of slashes: 404");
    is_int(router_allow(routes, NROUTES, p, n, (char[8]){0}, 8), 0, "  and no Allow");
    free(p);
}

static void test_match_direct(void)
{
    router_param ps[HTTP_MAX_PARAMS];
    size_t np = 99;
    ok(router_match("/", "/", 1, ps, &np) && np == 0, "'/' matches '/'");
    ok(!router_match("/", "", 0, ps, &np), "'/' does not match ''");
    ok(!router_match("/", "//", 2, ps, &np), "'/' does not match '//'");
    ok(!router_match("/:id", "/", 1, ps, &np), "':id' does not match an empty segment");
    ok(router_match("/:id", "/x", 2, ps, &np) && np == 1 && param_is(&ps[0], "id", "x"),
       "'/:id' matches '/x'");
    ok(router_match("/:a/:b", "/1/2", 4, ps, &np) && np == 2 && param_is(&ps[0], "a", "1") &&
           param_is(&ps[1], "b", "2"),
       "adjacent params");
    ok(!router_match("/:a/:b", "/1", 2, ps, &np), "missing second param");
    ok(!router_match("/:a/:b", "/1/", 3, ps, &np), "empty second param");
}

/* "/x/?": an optional trailing slash (for socket.io-client, which always sends one) */
static void test_optional_slash(void)
{
    static const http_route rs[] = {
        {"GET", "/socket.io/?", h_dummy},
        {"GET", "/api/items/:id/?", h_dummy},
    };
    router_param ps[HTTP_MAX_PARAMS];
    size_t idx, np;
    ok(router_pattern_valid("/socket.io/?"), "'/socket.io/?' valid");
    ok(router_pattern_valid("/a/:id/?"), "'/a/:id/?' valid");
    ok(!router_pattern_valid("/?"), "'/?' invalid");
    ok(!router_pattern_valid("/a//?"), "'/a//?' invalid (empty segment)");
    ok(!router_pattern_valid("/a/?/b"), "'?' only at the end");
    ok(!router_pattern_valid("/a?"), "'/a?' invalid");
    is_int(router_find(rs, 2, "GET", "/socket.io/", 11, &idx, ps, &np), ROUTER_FOUND, "'/socket.io/' found");
    is_int(idx, 0, "  route 0");
    is_int(router_find(rs, 2, "GET", "/socket.io", 10, &idx, ps, &np), ROUTER_FOUND, "'/socket.io' found");
    is_int(router_find(rs, 2, "GET", "/socket.io//", 12, &idx, ps, &np), ROUTER_NOT_FOUND, "'/socket.io//' not found");
    is_int(router_find(rs, 2, "GET", "/socket.iox", 11, &idx, ps, &np), ROUTER_NOT_FOUND, "'/socket.iox' not found");
    is_int(router_find(rs, 2, "GET", "/socket.io/x", 12, &idx, ps, &np), ROUTER_NOT_FOUND, "'/socket.io/x' not found");
    is_int(router_find(rs, 2, "POST", "/socket.io/", 11, &idx, ps, &np), ROUTER_METHOD_NOT_ALLOWED, "POST '/socket.io/' 405");
    is_int(router_find(rs, 2, "GET", "/api/items/7/", 13, &idx, ps, &np), ROUTER_FOUND, "'/api/items/7/' found");
    ok(np == 1 && param_is(&ps[0], "id", "7"), "  id=7 (slash not in the value)");
    is_int(router_find(rs, 2, "GET", "/api/items/7", 12, &idx, ps, &np), ROUTER_FOUND, "'/api/items/7' found");
    ok(np == 1 && param_is(&ps[0], "id", "7"), "  id=7");
    is_int(router_find(rs, 2, "GET", "/api/items/", 11, &idx, ps, &np), ROUTER_NOT_FOUND, "'/api/items/' not found");
}

int main(void)
{
    test_optional_slash();
    test_patterns();
    test_exact();
    test_params();
    test_method_mismatch();
    test_unknown_and_edges();
    test_long_paths();
    test_match_direct();
    return tap_done();
}
