/* GET /api/contacts/export: the CSV of the contacts GET /api/contacts would list for the same
 * filters (API.md §11), streamed: each piece is made when the connection can take it. */
#include <stdio.h>
#include "api/routes.h"
#include "lib/timefmt.h"
#include "service/contact_export.h"

static long next_piece(void *ctx, char *buf, size_t max)
{
    return contact_export_read(ctx, buf, max);
}

static void finished(void *ctx)
{
    contact_export_close(ctx);
}

void api_send_export(http_req *r, contact_export *x)
{
    char iso[TIMEFMT_ISO_LEN + 1], disposition[80];
    time_iso8601(time_now_ms(), iso);
    snprintf(disposition, sizeof disposition, "attachment; filename=\"contacts-%.10s.csv\"", iso);
    http_reply_header(r, "Content-Disposition", disposition);
    http_reply_header(r, "Cache-Control", "no-store");
    http_reply_pull(r, 200, "text/csv; charset=utf-8", next_piece, finished, x);
}

static void export_contacts(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    contact_list_input in = { 0 };
    contact_export *x;
    if (api_authenticate(r, &me, &err) || api_contact_filters(r, &in, &err) ||
        contact_export_open(api_app(), me, &in, &x, &err))
        api_send_error(r, &err);
    else
        api_send_export(r, x);
}

const http_route api_contact_export_routes[] = {
    { "GET", "/api/contacts/export", export_contacts },
};
const size_t api_contact_export_nroutes = sizeof api_contact_export_routes / sizeof api_contact_export_routes[0];
