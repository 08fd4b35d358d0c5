/* The JSON representation of each record, as API.md spells it. Used for replies and for the
 * payloads of the durable event stream. Each returns a new reference the caller owns. */
#ifndef CRM_RENDER_H
#define CRM_RENDER_H

#include <jansson.h>
#include "lib/arena.h"
#include "model/model.h"

json_t *render_org(const crm_org *o);
json_t *render_user(const crm_user *u);
json_t *render_login_user(const crm_user *u);     /* Tether's {id,email,fullName,organizationId,accessRole} */
json_t *render_org_phone(const crm_org_phone *p);
json_t *render_pipeline(const crm_pipeline *p);
json_t *render_contact(const crm_contact *ct);
json_t *render_event_log(const crm_event_log *e);
json_t *render_note(const crm_note *n);

/* The 201 reply of POST /api/contact, whole (it is stored for Idempotency-Key replays). */
json_t *render_contact_created(const crm_contact *ct);
/* Compact JSON text in the arena; aborts when out of memory. */
char *json_dumps_arena(const json_t *j, arena *a);

json_t *json_str_or_null(const char *s);          /* NULL or "" (for ids) → null */
json_t *json_time(int64_t ms);                    /* ISO-8601 UTC with milliseconds */

#endif
