/* The event log of API.md §6 and the durable event stream of §7, written inside units of work. */
#ifndef CRM_EVENT_LOGS_H
#define CRM_EVENT_LOGS_H

#include <jansson.h>
#include "service/app.h"

/* Inside a unit of work: appends the log entry `type` (changes_json may be NULL) and the stream
 * event `event_name` with payload {"contact": ...}. */
int event_log_record(store_conn *c, const crm_user *me, const crm_contact *ct, const char *type,
                     const char *changes_json, const char *event_name);
/* The same with the entry's source ("manual", "api", "import"; NULL: "manual"). */
int event_log_record_from(store_conn *c, const crm_user *me, const crm_contact *ct, const char *type,
                          const char *changes_json, const char *event_name, const char *source);
/* The same with the contact's text given (render_text_contact_alone's), which a create's reply
 * shares. */
int event_log_record_contact(store_conn *c, const crm_user *me, const crm_contact *ct, const char *type,
                             const char *changes_json, const char *event_name, const char *source,
                             const char *contact_text);
/* The same for any entry of the contact contact_id: the stream event's payload is given (and
 * taken: it is released whatever happens). */
int event_log_append(store_conn *c, const crm_user *me, const char *org_id, const char *contact_id, const char *type,
                     const char *changes_json, const char *event_name, json_t *payload);

typedef struct event_log_query {
    const char *user_id, *contact_id;   /* NULL: any */
    int64_t days;                       /* 0: any age */
    int64_t page, limit;
} event_log_query;

int event_log_list(crm_app *app, const crm_user *me, const event_log_query *q, arena *a,
                   crm_event_log **out, size_t *n, int64_t *total, crm_err *err);

#endif
