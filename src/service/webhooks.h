/* Webhooks (API.md §7, beyond): the rules of registering, listing and removing an organization's
 * webhooks, reading their delivery log and queueing a redelivery. Delivery itself is
 * service/webhook_worker.h. Every function here is ADMIN-only and acts in the caller's org. */
#ifndef CRM_WEBHOOKS_H
#define CRM_WEBHOOKS_H

#include "service/app.h"

#define WEBHOOK_MAX_PER_ORG 20
#define WEBHOOK_URL_MAX 2048        /* bytes; the URL is ASCII */
#define WEBHOOK_SECRET_MIN 16       /* characters */
#define WEBHOOK_SECRET_MAX 256
#define WEBHOOK_MAX_EVENTS 16       /* more than the known names: duplicates are reported as such */
#define WEBHOOK_SECRET_PREFIX "whsec_"

typedef struct webhook_input {
    const char *url;
    const char **events;       /* as given; checked here */
    size_t nevents;
    const char *secret;        /* NULL: one is generated */
} webhook_input;

/* Whether the store implements the webhook operations (and the event stream they read). */
bool webhook_store_ready(const crm_app *app);

/* 0 when the caller is an ADMIN of an organization; FORBIDDEN otherwise (SUPERADMIN included).
 * The API checks it before reading the body, so a refused role never learns about validation. */
int webhook_require_admin(const crm_user *me, crm_err *err);

/* True for the names of API.md §7 that a webhook may subscribe to. */
bool webhook_event_known(const char *name);
/* Checks a webhook URL: absolute http:// or https:// with a host, no credentials, no fragment,
 * printable ASCII only, at most WEBHOOK_URL_MAX bytes, and no IP literal that is not public
 * (lib/netaddr.h) unless webhook_private_allowed. Fails with field "url". */
int webhook_url_check(const char *url, crm_err *err);
/* CRMD_WEBHOOK_ALLOW_PRIVATE=1: the operator lets webhooks reach loopback, private and
 * link-local addresses (checked again on every connection the sender makes). */
bool webhook_private_allowed(void);

/* Registers a webhook; out (strings in a) carries the secret, which is shown only this once. */
int webhook_create(crm_app *app, const crm_user *me, const webhook_input *in, arena *a, crm_webhook *out,
                   crm_err *err);
int webhook_list_org(crm_app *app, const crm_user *me, arena *a, crm_webhook **out, size_t *n, crm_err *err);
int webhook_read(crm_app *app, const crm_user *me, const char *webhook_id, arena *a, crm_webhook *out,
                 crm_err *err);
/* Removes the webhook and its deliveries: nothing more is sent for it. */
int webhook_remove(crm_app *app, const crm_user *me, const char *webhook_id, crm_err *err);

/* The webhook's delivery log, newest first; page starts at 1. */
int webhook_delivery_list(crm_app *app, const crm_user *me, const char *webhook_id, int64_t page, int64_t limit,
                          arena *a, crm_delivery **out, size_t *n, int64_t *total, crm_err *err);
/* Queues a new delivery of the same event to the same webhook, due now, with its own id, a fresh
 * attempt count and the same payload except for "id"; the original row stays as it was. */
int webhook_redeliver(crm_app *app, const crm_user *me, const char *webhook_id, const char *delivery_id,
                      arena *a, crm_delivery *out, crm_err *err);

const char *webhook_delivery_state_name(crm_delivery_state s);   /* "pending" | "succeeded" | "failed" */

/* The delivery body: {"id","event","seq","organizationId","createdAt","data"}, compact JSON in a.
 * data_json is the event's payload ({"contact": ...}); invalid JSON there becomes null. */
char *webhook_payload(const char *delivery_id, const char *event_name, int64_t seq, const char *org_id,
                      int64_t event_created_at, const char *data_json, arena *a);

/* The worker registers here to hear of deliveries that are due now (a redelivery). fn must not
 * block; NULL unregisters. */
void webhook_set_notify(void (*fn)(void *ctx), void *ctx);

#endif
