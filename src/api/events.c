/* GET /api/events: the organization's events as Server-Sent Events, resumable by id. */
#include <errno.h>
#include <stdlib.h>
#include "api/routes.h"
#include "realtime/sse.h"

static sse *the_sse;

void api_set_sse(sse *s)
{
    the_sse = s;
}

/* Last-Event-ID (or ?after=): a non-negative integer; absent: -1 (live events only). */
static int read_after(http_req *r, int64_t *after, crm_err *err)
{
    const char *v = http_req_header(r, "Last-Event-ID");
    const char *field = "Last-Event-ID";
    char *end;
    if (!v || !*v) {
        v = http_req_query(r, "after");
        field = "after";
    }
    *after = -1;
    if (!v)
        return 0;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || errno || n < 0 || v[0] == '-' || v[0] == '+' || v[0] == ' ')
        return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s must be an event id (a non-negative integer)", field);
    *after = n;
    return 0;
}

static void events(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    int64_t after;
    if (api_authenticate(r, &me, &err) || require_org_member(me, &err) || read_after(r, &after, &err)) {
        api_send_error(r, &err);
        return;
    }
    int rc = the_sse ? sse_open(the_sse, r, me, after) : -1;
    if (rc == -2) {
        http_reply_header(r, "Retry-After", "15");
        api_send_code(r, CRM_E_RATE_LIMITED, NULL, "Too many open event streams for this user; close one first");
    } else if (rc != 0 && !http_req_replied(r)) {   /* else the HTTP layer refused it (429) */
        api_send_code(r, CRM_E_UNAVAILABLE, NULL, NULL);
    }
}

const http_route api_events_routes[] = {
    { "GET", "/api/events", events },
};
const size_t api_events_nroutes = sizeof api_events_routes / sizeof *api_events_routes;
