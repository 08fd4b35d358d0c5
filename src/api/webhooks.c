/* §7 (beyond): webhooks — register, list, read, delete, the delivery log and redelivery. ADMIN only. */
#include "api/api.h"
#include "api/routes.h"
#include "service/render.h"
#include "service/webhooks.h"

static json_t *render_webhook(const crm_webhook *w, bool with_secret)
{
    json_t *events = json_array();
    for (size_t i = 0; i < w->nevents; i++)
        json_array_append_new(events, json_string(w->events[i]));
    json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "_id", w->id, "organizationId", w->org_id,
                          "url", w->url, "events", events, "createdBy", json_str_or_null(w->created_by),
                          "createdAt", json_time(w->created_at));
    if (with_secret)
        json_object_set_new(j, "secret", json_string(w->secret));
    return j;
}

static json_t *render_delivery(const crm_delivery *d)
{
    return json_pack("{s:s, s:s, s:o, s:I, s:s, s:i, s:o, s:o, s:o, s:o, s:o}", "_id", d->id,
                     "webhookId", d->webhook_id, "event", json_str_or_null(d->event_name),
                     "eventSeq", (json_int_t)d->event_seq, "status", webhook_delivery_state_name(d->state),
                     "attempts", d->attempts,
                     "lastStatusCode", d->last_status > 0 ? json_integer(d->last_status) : json_null(),
                     "lastError", json_str_or_null(d->last_error),
                     "nextAttemptAt", d->state == DELIVERY_PENDING ? json_time(d->next_attempt_at) : json_null(),
                     "createdAt", json_time(d->created_at), "updatedAt", json_time(d->updated_at));
}

/* events: a non-empty array of strings; the names themselves are checked by the service. */
static int read_events(json_t *body, arena *a, webhook_input *in, crm_err *err)
{
    json_t *v = json_object_get(body, "events");
    if (!v || json_is_null(v))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "events", "events is required");
    if (!json_is_array(v))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "events", "events must be an array of event names");
    size_t n = json_array_size(v);
    if (n > WEBHOOK_MAX_EVENTS)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "events", "events lists more than %d names",
                        WEBHOOK_MAX_EVENTS);
    in->events = arena_alloc(a, (n ? n : 1) * sizeof *in->events);
    in->nevents = n;
    for (size_t i = 0; i < n; i++) {
        char field[32];
        snprintf(field, sizeof field, "events[%zu]", i);
        int rc = jin_check_string(json_array_get(v, i), field, 64, &in->events[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

static void create_webhook(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    webhook_input in = { 0 };
    crm_webhook w;
    int rc;

    if ((rc = api_authenticate(r, &me, &err)) || (rc = webhook_require_admin(me, &err)) ||
        (rc = api_body_object(r, &body, &err)) ||
        (rc = jin_string(body, "url", "url", WEBHOOK_URL_MAX, true, &in.url, &err)) ||
        (rc = read_events(body, http_req_arena(r), &in, &err)) ||
        (rc = jin_string(body, "secret", "secret", WEBHOOK_SECRET_MAX, false, &in.secret, &err)) ||
        (rc = webhook_create(api_app(), me, &in, http_req_arena(r), &w, &err)))
        api_send_error(r, &err);
    else
        /* The only reply that ever carries the secret. */
        api_send_ok(r, 201, "Webhook created",
                    json_pack("{s:o, s:s}", "webhook", render_webhook(&w, true), "secret", w.secret));
    json_decref(body);
}

static void list_webhooks(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    crm_webhook *list;
    size_t n;
    if (api_authenticate(r, &me, &err) || webhook_list_org(api_app(), me, http_req_arena(r), &list, &n, &err)) {
        api_send_error(r, &err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, render_webhook(&list[i], false));
    api_send_ok(r, 200, "Webhooks", json_pack("{s:o}", "webhooks", arr));
}

static void get_webhook(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id;
    crm_webhook w;
    if (api_authenticate(r, &me, &err) || webhook_require_admin(me, &err) || api_path_id(r, "id", &id, &err) ||
        webhook_read(api_app(), me, id, http_req_arena(r), &w, &err))
        api_send_error(r, &err);
    else
        api_send_ok(r, 200, "Webhook", json_pack("{s:o}", "webhook", render_webhook(&w, false)));
}

static void delete_webhook(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id;
    if (api_authenticate(r, &me, &err) || webhook_require_admin(me, &err) || api_path_id(r, "id", &id, &err) ||
        webhook_remove(api_app(), me, id, &err))
        api_send_error(r, &err);
    else
        api_send_ok(r, 200, "Webhook deleted", json_pack("{s:s}", "webhookId", id));
}

static void list_deliveries(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id;
    int64_t page, limit, total;
    crm_delivery *list;
    size_t n;
    if (api_authenticate(r, &me, &err) || webhook_require_admin(me, &err) || api_path_id(r, "id", &id, &err) ||
        qin_page(r, "limit", 50, &page, &limit, &err) ||
        webhook_delivery_list(api_app(), me, id, page, limit, http_req_arena(r), &list, &n, &total, &err)) {
        api_send_error(r, &err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, render_delivery(&list[i]));
    api_send_ok(r, 200, "Deliveries", json_pack("{s:o, s:I, s:I, s:I}", "deliveries", arr, "total", (json_int_t)total,
                                                "page", (json_int_t)page, "limit", (json_int_t)limit));
}

static void redeliver(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id, *delivery_id;
    crm_delivery d;
    if (api_authenticate(r, &me, &err) || webhook_require_admin(me, &err) || api_path_id(r, "id", &id, &err) ||
        api_path_id(r, "deliveryId", &delivery_id, &err) ||
        webhook_redeliver(api_app(), me, id, delivery_id, http_req_arena(r), &d, &err))
        api_send_error(r, &err);
    else
        api_send_ok(r, 202, "Redelivery queued",
                    json_pack("{s:o, s:s}", "delivery", render_delivery(&d), "redeliveryOf", delivery_id));
}

const http_route api_webhook_routes[] = {
    { "POST", "/api/webhooks", create_webhook },
    { "GET", "/api/webhooks", list_webhooks },
    { "GET", "/api/webhooks/:id", get_webhook },
    { "DELETE", "/api/webhooks/:id", delete_webhook },
    { "GET", "/api/webhooks/:id/deliveries", list_deliveries },
    { "POST", "/api/webhooks/:id/deliveries/:deliveryId/redeliver", redeliver },
};
const size_t api_webhook_nroutes = sizeof api_webhook_routes / sizeof api_webhook_routes[0];
