/* Event-log entries and durable events for contact and note writes, and the org-scoped log listing. */
#include <stdlib.h>
#include <string.h>
#include "service/event_logs.h"
#include "service/render.h"
#include "service/render_text.h"
#include "lib/timefmt.h"

/* Appends the log entry and the event whose payload is text (compact JSON). */
static int append_from(store_conn *c, const crm_user *me, const char *org_id, const char *contact_id,
                       const char *type, const char *changes_json, const char *event_name, const char *text,
                       const char *source)
{
    crm_event_log e = { .type = (char *)type, .source = (char *)(source ? source : "manual"),
                        .changes_json = (char *)changes_json };
    int64_t seq;
    int rc;

    objectid_new(e.id);
    memcpy(e.org_id, org_id, sizeof e.org_id);
    memcpy(e.user_id, me->id, sizeof e.user_id);
    memcpy(e.contact_id, contact_id, sizeof e.contact_id);
    e.created_at = time_now_ms();
    if ((rc = c->ops->event_log_insert(c, &e)))
        return rc;
    return c->ops->event_append(c, org_id, event_name, text, &seq);
}

int event_log_append(store_conn *c, const crm_user *me, const char *org_id, const char *contact_id, const char *type,
                     const char *changes_json, const char *event_name, json_t *payload)
{
    char *text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    if (!text)
        abort();
    int rc = append_from(c, me, org_id, contact_id, type, changes_json, event_name, text, NULL);
    free(text);
    return rc;
}

/* The log entry and the event {"contact": contact_text}, the payload put together in a. */
static int record_in(store_conn *c, const crm_user *me, const crm_contact *ct, const char *type,
                     const char *changes_json, const char *event_name, const char *source,
                     const char *contact_text, arena *a)
{
    const char *payload = arena_wrap(a, "{\"contact\":", contact_text, "}");
    return append_from(c, me, ct->org_id, ct->id, type, changes_json, event_name, payload, source);
}

int event_log_record_contact(store_conn *c, const crm_user *me, const crm_contact *ct, const char *type,
                             const char *changes_json, const char *event_name, const char *source,
                             const char *contact_text)
{
    arena *a = arena_new();
    int rc = record_in(c, me, ct, type, changes_json, event_name, source, contact_text, a);
    arena_destroy(a);
    return rc;
}

/* A bulk move writes one per contact: one arena for the contact's text and the payload. */
int event_log_record_from(store_conn *c, const crm_user *me, const crm_contact *ct, const char *type,
                          const char *changes_json, const char *event_name, const char *source)
{
    arena *a = arena_new();
    int rc = record_in(c, me, ct, type, changes_json, event_name, source, render_text_contact_alone(ct, a), a);
    arena_destroy(a);
    return rc;
}

int event_log_record(store_conn *c, const crm_user *me, const crm_contact *ct, const char *type,
                     const char *changes_json, const char *event_name)
{
    return event_log_record_from(c, me, ct, type, changes_json, event_name, NULL);
}

int event_log_list(crm_app *app, const crm_user *me, const event_log_query *q, arena *a,
                   crm_event_log **out, size_t *n, int64_t *total, crm_err *err)
{
    store_conn *c;
    int rc;
    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    /* A SALES_REP sees only the entries of its own actions: the log of contacts it may not
     * read would show their numbers and names in `changes`. */
    if (me->role == ROLE_SALES_REP && q->user_id && strcmp(q->user_id, me->id) != 0)
        return crm_fail(err, CRM_E_FORBIDDEN, "userId", "A SALES_REP sees only its own entries");
    event_log_filter f = {
        .user_id = me->role == ROLE_SALES_REP ? me->id : q->user_id,
        .contact_id = q->contact_id,
        .since_ms = q->days > 0 ? time_now_ms() - q->days * 86400000LL : 0,
        .offset = (q->page - 1) * q->limit,
        .limit = q->limit,
    };
    if ((rc = c->ops->event_log_list(c, me->org_id, &f, a, out, n, total)))
        return crm_fail(err, -rc, NULL, NULL);
    return 0;
}
