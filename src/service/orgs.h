/* Organizations: creation (with their first ADMIN and default pipeline), reading, timezone,
 * and the provisioned SMS numbers that no contact may hold. */
#ifndef CRM_ORGS_H
#define CRM_ORGS_H

#include "service/app.h"
#include "service/users.h"

typedef struct org_input {
    const char *name, *phone_number, *address, *timezone, *default_country;  /* optional may be NULL */
    user_input admin;
} org_input;

int org_create(crm_app *app, const crm_user *me, const org_input *in, arena *a,
               crm_org *org, crm_user *admin, crm_err *err);
/* Reads an organization the caller may see (SUPERADMIN: any; others: their own, else NOT_FOUND). */
int org_read(crm_app *app, const crm_user *me, const char *org_id, arena *a, crm_org *out, crm_err *err);
int org_set_timezone(crm_app *app, const crm_user *me, const char *org_id, const char *tz, arena *a,
                     crm_org *out, crm_err *err);

typedef struct org_phone_input {
    const char *phone_number, *provider, *target_user_id;  /* target_user_id may be NULL */
    bool is_default, is_inbound_enabled;
} org_phone_input;

int org_phone_list(crm_app *app, const crm_user *me, const char *org_id, arena *a,
                   crm_org_phone **out, size_t *n, crm_err *err);
int org_phone_add(crm_app *app, const crm_user *me, const char *org_id, const org_phone_input *in,
                  arena *a, crm_org_phone *out, crm_err *err);
int org_phone_remove(crm_app *app, const crm_user *me, const char *org_id, const char *phone_number,
                     char e164[PHONE_E164_MAX], crm_err *err);

bool timezone_valid(const char *tz);   /* an IANA zone name: see lib/tzdb.h */

#endif
