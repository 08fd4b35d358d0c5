/* Which of the API's routes run off the request threads (api/routes.c): the waiting routes are
 * the API's writes, except the slow routes and the POSTs that only read; every route named in
 * either list is a route of the table, so that none is misspelled into running on the request
 * threads. */
#include <stdbool.h>
#include <string.h>
#include "tap.h"
#include "api/api.h"

static bool is_route(const http_route *routes, size_t n, const char *method, const char *pattern)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(routes[i].method, method) == 0 && strcmp(routes[i].pattern, pattern) == 0)
            return true;
    return false;
}

int main(void)
{
    size_t nroutes, nwait, nslow;
    api_init(NULL);
    const http_route *routes = api_route_table(&nroutes);
    const http_route_ref *wait = api_wait_routes(&nwait);
    const http_route_ref *slow = api_slow_routes(&nslow);

    ok(http_route_listed(wait, nwait, "POST", "/api/contact"), "a create waits");
    ok(http_route_listed(wait, nwait, "PATCH", "/api/contacts/:id"), "an edit waits");
    ok(http_route_listed(wait, nwait, "DELETE", "/api/contacts/:id"), "a delete waits");
    ok(http_route_listed(wait, nwait, "POST", "/api/auth/login"), "a login waits (it writes, and hashes)");
    ok(!http_route_listed(wait, nwait, "POST", "/api/contacts"), "a board only reads: on the request threads");
    ok(!http_route_listed(wait, nwait, "POST", "/api/contacts/query-count"), "a count only reads");
    ok(!http_route_listed(wait, nwait, "POST", "/api/contacts/phoneNumber"), "a lookup by number only reads");
    ok(!http_route_listed(wait, nwait, "GET", "/api/contacts/:id"), "a read does not wait");

    size_t bad = 0;
    for (size_t i = 0; i < nwait; i++) {
        bool write = strcmp(wait[i].method, "GET") != 0 && strcmp(wait[i].method, "HEAD") != 0;
        if (!write || strncmp(wait[i].pattern, "/api/", 5) != 0 || !is_route(routes, nroutes, wait[i].method,
                                                                                wait[i].pattern) ||
            http_route_listed(slow, nslow, wait[i].method, wait[i].pattern))
            bad++;
    }
    is_int((int)bad, 0, "every waiting route is a write of the API's table, and none is slow (%zu)", nwait);
    bad = 0;
    for (size_t i = 0; i < nslow; i++)
        bad += !is_route(routes, nroutes, slow[i].method, slow[i].pattern);
    is_int((int)bad, 0, "every slow route is a route of the table (%zu)", nslow);
    size_t writes = 0;
    for (size_t i = 0; i < nroutes; i++)
        writes += strcmp(routes[i].method, "GET") != 0 && strncmp(routes[i].pattern, "/api/", 5) == 0;
    is_int((int)writes, (int)(nwait + nslow + 5), "the API's writes are the waiting and slow routes, and the 5 POSTs "
                                                   "that only read");
    return tap_done();
}
