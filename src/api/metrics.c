/* GET /metrics (API.md §9): Prometheus text for the operator — HTTP requests by route and
 * status, request latency, open connections and storage (unit of work) time. SUPERADMIN only:
 * a scraper uses that user's API key. */
#include <stdio.h>
#include <stdlib.h>
#include "api/routes.h"

static void metrics(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    char *text = NULL;
    size_t len = 0;
    if (api_authenticate(r, &me, &err)) {
        api_send_error(r, &err);
        return;
    }
    if (me->role != ROLE_SUPERADMIN) {
        api_send_code(r, CRM_E_FORBIDDEN, NULL, "Metrics are for the SUPERADMIN");
        return;
    }
    FILE *f = open_memstream(&text, &len);
    if (!f)
        abort();
    http_server_write_metrics(http_req_server(r), f);
    fputs("# HELP crmd_store_write_seconds Units of work, from hand-over to the writer until committed.\n"
          "# TYPE crmd_store_write_seconds histogram\n", f);
    hist_write(f, &api_app()->write_ms, "crmd_store_write_seconds", "");
    fclose(f);
    http_reply(r, 200, "text/plain; version=0.0.4", text, len);
    free(text);
}

const http_route api_metrics_routes[] = {
    { "GET", "/metrics", metrics },
};
const size_t api_metrics_nroutes = sizeof api_metrics_routes / sizeof *api_metrics_routes;
