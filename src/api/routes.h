/* The route tables of each resource file, gathered by routes.c. */
#ifndef CRM_API_ROUTES_H
#define CRM_API_ROUTES_H

#include "api/api.h"
#include "service/contacts.h"
#include "service/users.h"

#define API_RESOURCE(name) \
    extern const http_route api_##name##_routes[]; \
    extern const size_t api_##name##_nroutes;
API_RESOURCE(health)
API_RESOURCE(auth)
API_RESOURCE(org)
API_RESOURCE(user)
API_RESOURCE(pipeline)
API_RESOURCE(contact_export)
API_RESOURCE(board)
API_RESOURCE(bulk)
API_RESOURCE(import)
API_RESOURCE(contact)
API_RESOURCE(verification)
API_RESOURCE(note)
API_RESOURCE(event_log)
API_RESOURCE(socketio)
API_RESOURCE(webhook)
API_RESOURCE(events)
API_RESOURCE(metrics)
API_RESOURCE(console)
API_RESOURCE(openapi)
#undef API_RESOURCE

/* The filters of GET /api/contacts (search, status, source, ownerFilter, pipelineStage,
 * pipelineId, dateRange), shared by the list and the export. */
int api_contact_filters(http_req *r, contact_list_input *in, crm_err *err);

/* Streams the CSV of x as an attachment named contacts-<today>.csv; closes x when done. */
typedef struct contact_export contact_export;
void api_send_export(http_req *r, contact_export *x);

/* Shared by organizations (adminDetails) and users. */
int api_read_user_input(json_t *obj, const char *prefix, user_input *u, crm_err *err);

#endif
