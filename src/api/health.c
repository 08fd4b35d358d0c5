/* §9: liveness and readiness, without credentials. */
#include "api/routes.h"

static void healthz(http_req *r)
{
    api_send_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void readyz(http_req *r)
{
    store *st = api_app()->st;
    if (atomic_load(&api_app()->draining))
        api_send_code(r, CRM_E_UNAVAILABLE, NULL, "The server is stopping");
    else if (st->ops->ping(st) == 0)
        api_send_json(r, 200, json_pack("{s:s}", "status", "ready"));
    else
        api_send_code(r, CRM_E_UNAVAILABLE, NULL, NULL);
}

const http_route api_health_routes[] = {
    { "GET", "/healthz", healthz },
    { "GET", "/readyz", readyz },
};
const size_t api_health_nroutes = sizeof api_health_routes / sizeof api_health_routes[0];
