/* The whole route table, gathered from each resource, and the app the handlers serve. */
#include <assert.h>
#include <string.h>
#include "api/routes.h"

#define API_MAX_ROUTES 128

static http_route table[API_MAX_ROUTES];
static size_t ntable;
static crm_app *the_app;
static throttle *the_throttle;

static void add(const http_route *routes, size_t n)
{
    assert(ntable + n <= API_MAX_ROUTES);   /* a route past the table would silently be a 404 */
    for (size_t i = 0; i < n && ntable < API_MAX_ROUTES; i++)
        table[ntable++] = routes[i];
}

void api_init(crm_app *app)
{
    the_app = app;
    ntable = 0;
    add(api_health_routes, api_health_nroutes);
    add(api_auth_routes, api_auth_nroutes);
    add(api_org_routes, api_org_nroutes);
    add(api_user_routes, api_user_nroutes);
    add(api_pipeline_routes, api_pipeline_nroutes);
    add(api_contact_export_routes, api_contact_export_nroutes);   /* before /api/contacts/:id */
    add(api_board_routes, api_board_nroutes);                     /* likewise */
    add(api_bulk_routes, api_bulk_nroutes);                       /* likewise */
    add(api_import_routes, api_import_nroutes);
    add(api_contact_routes, api_contact_nroutes);
    add(api_verification_routes, api_verification_nroutes);
    add(api_note_routes, api_note_nroutes);
    add(api_event_log_routes, api_event_log_nroutes);
    add(api_socketio_routes, api_socketio_nroutes);
    add(api_webhook_routes, api_webhook_nroutes);
    add(api_events_routes, api_events_nroutes);
    add(api_metrics_routes, api_metrics_nroutes);
    add(api_console_routes, api_console_nroutes);
    add(api_openapi_routes, api_openapi_nroutes);
}

crm_app *api_app(void)
{
    return the_app;
}

void api_set_throttle(throttle *t)
{
    the_throttle = t;
}

throttle *api_throttle(void)
{
    return the_throttle;
}

const http_route *api_route_table(size_t *n)
{
    *n = ntable;
    return table;
}

/* The routes whose handlers run for seconds at scale: a move of every match in one unit, the
 * match of a bulk delete, the parse and staging of an import file. */
static const http_route_ref slow[] = {
    { "PUT", "/api/contacts/query-bulk-move" },
    { "DELETE", "/api/contacts/query-bulk-delete" },
    { "POST", "/api/contacts/import" },
};

const http_route_ref *api_slow_routes(size_t *n)
{
    *n = sizeof slow / sizeof slow[0];
    return slow;
}

/* The POST routes that only read (a board, a count, a lookup): their handlers never wait. */
static const http_route_ref reading[] = {
    { "POST", "/api/contacts" },
    { "POST", "/api/contacts/statuses" },
    { "POST", "/api/contacts/status" },
    { "POST", "/api/contacts/query-count" },
    { "POST", "/api/contacts/phoneNumber" },
};

/* Every other route of the API that writes: its handler waits for a unit of work to commit
 * (SQLite: the writer's group commit), and a login also hashes a password. */
static http_route_ref waiting[API_MAX_ROUTES];

const http_route_ref *api_wait_routes(size_t *n)
{
    static const char *const writes[] = {"POST", "PUT", "PATCH", "DELETE"};
    *n = 0;
    for (size_t i = 0; i < ntable; i++) {
        bool write = false;
        for (size_t k = 0; k < sizeof writes / sizeof writes[0]; k++)
            write = write || strcmp(table[i].method, writes[k]) == 0;
        if (write && strncmp(table[i].pattern, "/api/", 5) == 0 &&
            !http_route_listed(slow, sizeof slow / sizeof slow[0], table[i].method, table[i].pattern) &&
            !http_route_listed(reading, sizeof reading / sizeof reading[0], table[i].method, table[i].pattern))
            waiting[(*n)++] = (http_route_ref){table[i].method, table[i].pattern};
    }
    return waiting;
}
