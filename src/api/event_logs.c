/* §6: the organization's event log. */
#include "api/routes.h"
#include "service/event_logs.h"
#include "service/render.h"

static void list_event_logs(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    event_log_query q = { 0 };
    crm_event_log *events;
    size_t n;
    int64_t total;
    int rc;

    if ((rc = api_authenticate(r, &me, &err)) || (rc = qin_page(r, "limit", 50, &q.page, &q.limit, &err)) || (rc = qin_int(r, "days", 1, 3650, 0, &q.days, &err)) ||
        (rc = qin_id(r, "userId", &q.user_id, &err)) || (rc = qin_id(r, "contactId", &q.contact_id, &err)) ||
        (rc = event_log_list(api_app(), me, &q, http_req_arena(r), &events, &n, &total, &err)))
        goto done;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, render_event_log(&events[i]));
    api_send_ok(r, 200, "Event logs", json_pack("{s:o, s:I, s:I, s:I}", "events", arr, "total", (json_int_t)total,
                                                "page", (json_int_t)q.page, "limit", (json_int_t)q.limit));
done:
    if (rc)
        api_send_error(r, &err);
}

const http_route api_event_log_routes[] = {
    { "GET", "/api/event-logs", list_event_logs },
};
const size_t api_event_log_nroutes = sizeof api_event_log_routes / sizeof api_event_log_routes[0];
