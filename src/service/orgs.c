/* Organizations and their provisioned numbers. */
#include <stdio.h>
#include <string.h>
#include "service/orgs.h"
#include "service/pipelines.h"
#include "lib/timefmt.h"
#include "lib/tzdb.h"

bool timezone_valid(const char *tz)
{
    return tzdb_zone_valid(tz);
}

struct org_work {
    crm_org *org;
    crm_user *admin;
    crm_pipeline *pipeline;
};

static int insert_org(store_conn *c, void *arg)
{
    struct org_work *w = arg;
    int rc;
    if ((rc = c->ops->org_insert(c, w->org)) || (rc = c->ops->user_insert(c, w->admin)) ||
        (rc = c->ops->pipeline_insert(c, w->pipeline)))
        return rc;
    return 0;
}

int org_create(crm_app *app, const crm_user *me, const org_input *in, arena *a,
               crm_org *org, crm_user *admin, crm_err *err)
{
    crm_pipeline pipeline;
    int rc;

    if (me->role != ROLE_SUPERADMIN)
        return crm_fail(err, CRM_E_FORBIDDEN, NULL, "Only a SUPERADMIN may create organizations");
    memset(org, 0, sizeof *org);
    if (!in->name || !*in->name)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "name", "name is required");
    const char *tz = in->timezone ? in->timezone : "UTC";
    if (!timezone_valid(tz))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "timezone", "timezone must be an IANA zone name");
    const char *cc = in->default_country ? in->default_country : "US";
    if (!phone_region_supported(cc))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "defaultCountry",
                        "defaultCountry must be an ISO 3166-1 alpha-2 code");
    if (in->phone_number) {
        char e164[PHONE_E164_MAX];
        enum phone_result r = phone_normalize(in->phone_number, cc, e164);
        if (r != PHONE_OK)
            return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "phoneNumber: %s", phone_result_message(r));
        org->phone_number = arena_strdup(a, e164);
    }
    objectid_new(org->id);
    org->name = arena_strdup(a, in->name);
    org->address = arena_strdup(a, in->address);
    org->timezone = arena_strdup(a, tz);
    snprintf(org->default_country, sizeof org->default_country, "%s", cc);
    org->created_at = org->updated_at = time_now_ms();

    if ((rc = user_build(&in->admin, org->id, ROLE_ADMIN, cc, "adminDetails.", a, admin, err)))
        return rc;
    admin->created_at = admin->updated_at = org->created_at;
    pipeline_default_build(org->id, admin->id, org->created_at, a, &pipeline);

    struct org_work w = { org, admin, &pipeline };
    rc = app_write(app, insert_org, &w, err);
    if (rc == -CRM_E_EMAIL_TAKEN)
        crm_fail(err, CRM_E_EMAIL_TAKEN, "adminDetails.email", "A user with this email already exists");
    return rc;
}

/* Tenancy: an org the caller does not belong to does not exist for it. */
static int visible_org(const crm_user *me, const char *org_id, crm_err *err)
{
    if (me->role != ROLE_SUPERADMIN && strcmp(me->org_id, org_id) != 0)
        return crm_fail(err, CRM_E_NOT_FOUND, NULL, "No such organization");
    return 0;
}

static int require_org_admin(const crm_user *me, const char *org_id, crm_err *err)
{
    int rc = visible_org(me, org_id, err);
    if (rc == 0 && !caller_is_admin_of(me, org_id))
        rc = crm_fail(err, CRM_E_FORBIDDEN, NULL, "Only an ADMIN of the organization may do this");
    return rc;
}

int org_read(crm_app *app, const crm_user *me, const char *org_id, arena *a, crm_org *out, crm_err *err)
{
    store_conn *c;
    int rc;
    if ((rc = visible_org(me, org_id, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->org_get(c, org_id, a, out)))
        return crm_fail(err, -rc, NULL, rc == -CRM_E_NOT_FOUND ? "No such organization" : NULL);
    return 0;
}

struct tz_work {
    const char *org_id, *tz;
    arena *a;
    crm_org *out;
};

static int update_tz(store_conn *c, void *arg)
{
    struct tz_work *w = arg;
    int rc = c->ops->org_get(c, w->org_id, w->a, w->out);
    if (rc)
        return rc;
    w->out->timezone = arena_strdup(w->a, w->tz);
    w->out->updated_at = time_now_ms();
    return c->ops->org_update(c, w->out);
}

int org_set_timezone(crm_app *app, const crm_user *me, const char *org_id, const char *tz, arena *a,
                     crm_org *out, crm_err *err)
{
    int rc;
    if ((rc = require_org_admin(me, org_id, err)))
        return rc;
    if (!timezone_valid(tz))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "timezone", "timezone must be an IANA zone name");
    struct tz_work w = { org_id, tz, a, out };
    rc = app_write(app, update_tz, &w, err);
    if (rc == -CRM_E_NOT_FOUND)
        crm_fail(err, CRM_E_NOT_FOUND, NULL, "No such organization");
    return rc;
}

int org_phone_list(crm_app *app, const crm_user *me, const char *org_id, arena *a,
                   crm_org_phone **out, size_t *n, crm_err *err)
{
    store_conn *c;
    crm_org org;
    int rc;
    if ((rc = require_org_admin(me, org_id, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->org_get(c, org_id, a, &org)) || (rc = c->ops->org_phone_list(c, org_id, a, out, n)))
        return crm_fail(err, -rc, NULL, rc == -CRM_E_NOT_FOUND ? "No such organization" : NULL);
    return 0;
}

struct phone_add_work {
    const char *org_id;
    const org_phone_input *in;
    arena *a;
    crm_org_phone *out;
    crm_err *err;
};

static int add_phone(store_conn *c, void *arg)
{
    struct phone_add_work *w = arg;
    crm_org org;
    crm_user target;
    objectid owner;
    int rc = c->ops->org_get(c, w->org_id, w->a, &org);
    if (rc == -CRM_E_NOT_FOUND)
        return crm_fail(w->err, CRM_E_NOT_FOUND, NULL, "No such organization");
    if (rc)
        return rc;
    enum phone_result r = phone_normalize(w->in->phone_number, org.default_country, w->out->e164);
    if (r != PHONE_OK)
        return crm_fail(w->err, CRM_E_VALIDATION_FAILED, "phoneNumber", "phoneNumber: %s", phone_result_message(r));
    if (w->in->target_user_id) {
        rc = c->ops->user_get(c, w->in->target_user_id, w->a, &target);
        if (rc == -CRM_E_NOT_FOUND || (rc == 0 && strcmp(target.org_id, w->org_id) != 0))
            return crm_fail(w->err, CRM_E_VALIDATION_FAILED, "targetUserId", "No such user in the organization");
        if (rc)
            return rc;
        memcpy(w->out->target_user_id, target.id, sizeof target.id);
    }
    rc = c->ops->phone_owner(c, w->org_id, w->out->e164, owner);
    if (rc == 0) {
        crm_fail(w->err, CRM_E_PHONE_TAKEN, "phoneNumber", "A contact of the organization has this number");
        crm_err_set_value(w->err, w->out->e164);
        crm_err_set_contact(w->err, owner);
        return -CRM_E_PHONE_TAKEN;
    }
    if (rc != -CRM_E_NOT_FOUND)
        return rc;
    w->out->provider = arena_strdup(w->a, w->in->provider);
    w->out->is_default = w->in->is_default;
    w->out->is_inbound_enabled = w->in->is_inbound_enabled;
    w->out->created_at = time_now_ms();
    rc = c->ops->org_phone_insert(c, w->org_id, w->out);
    if (rc == -CRM_E_PHONE_TAKEN) {
        crm_fail(w->err, CRM_E_PHONE_TAKEN, "phoneNumber", "This number is already provisioned");
        crm_err_set_value(w->err, w->out->e164);
    }
    return rc;
}

static bool provider_valid(const char *p)
{
    return p && (strcmp(p, "twilio") == 0 || strcmp(p, "sinch") == 0 || strcmp(p, "textgrid") == 0);
}

int org_phone_add(crm_app *app, const crm_user *me, const char *org_id, const org_phone_input *in,
                  arena *a, crm_org_phone *out, crm_err *err)
{
    int rc;
    if ((rc = require_org_admin(me, org_id, err)))
        return rc;
    if (!in->phone_number)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "phoneNumber is required");
    if (!provider_valid(in->provider))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "provider", "provider must be twilio, sinch or textgrid");
    memset(out, 0, sizeof *out);
    struct phone_add_work w = { org_id, in, a, out, err };
    return app_write(app, add_phone, &w, err);
}

struct phone_remove_work {
    const char *org_id, *raw;
    char *e164;
    crm_err *err;
};

static int remove_phone(store_conn *c, void *arg)
{
    struct phone_remove_work *w = arg;
    arena *a = arena_new();
    crm_org org;
    int rc = c->ops->org_get(c, w->org_id, a, &org);
    if (rc == 0) {
        enum phone_result r = phone_normalize(w->raw, org.default_country, w->e164);
        if (r != PHONE_OK)
            rc = crm_fail(w->err, CRM_E_VALIDATION_FAILED, "phoneNumber", "phoneNumber: %s", phone_result_message(r));
        else
            rc = c->ops->org_phone_delete(c, w->org_id, w->e164);
    }
    if (rc == -CRM_E_NOT_FOUND)
        crm_fail(w->err, CRM_E_NOT_FOUND, "phoneNumber", "This number is not provisioned to the organization");
    arena_destroy(a);
    return rc;
}

int org_phone_remove(crm_app *app, const crm_user *me, const char *org_id, const char *phone_number,
                     char e164[PHONE_E164_MAX], crm_err *err)
{
    int rc;
    if ((rc = require_org_admin(me, org_id, err)))
        return rc;
    if (!phone_number)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "phoneNumber is required");
    struct phone_remove_work w = { org_id, phone_number, e164, err };
    return app_write(app, remove_phone, &w, err);
}
