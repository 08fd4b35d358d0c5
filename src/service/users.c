/* Users: validation shared by org creation and POST /api/users, listing, and profile edits. */
#include <stdio.h>
#include <string.h>
#include "service/users.h"
#include "lib/email.h"
#include "lib/password.h"
#include "lib/timefmt.h"
#include "lib/utf8.h"

static int field_fail(crm_err *err, const char *prefix, const char *field, const char *msg)
{
    crm_fail(err, CRM_E_VALIDATION_FAILED, NULL, "%s%s: %s", prefix, field, msg);
    snprintf(err->field, sizeof err->field, "%s%s", prefix, field);
    return -CRM_E_VALIDATION_FAILED;
}

/* Optional phone: normalized to E.164 with the org's region, or NULL. */
static int build_phone(const char *raw, const char *region, const char *prefix, const char *field,
                       arena *a, char **out, crm_err *err)
{
    char e164[PHONE_E164_MAX];
    *out = NULL;
    if (!raw)
        return 0;
    enum phone_result r = phone_normalize(raw, region, e164);
    if (r != PHONE_OK)
        return field_fail(err, prefix, field, phone_result_message(r));
    *out = arena_strdup(a, e164);
    return 0;
}

static int check_password(const char *pw, const char *prefix, crm_err *err)
{
    size_t n = pw ? utf8_length(pw, strlen(pw)) : 0;
    if (n < PASSWORD_MIN)
        return field_fail(err, prefix, "password", "must have at least 8 characters");
    if (strlen(pw) > PASSWORD_MAX)
        return field_fail(err, prefix, "password", "is too long");
    return 0;
}

int user_build(const user_input *in, const char *org_id, crm_role role, const char *region,
               const char *prefix, arena *a, crm_user *u, crm_err *err)
{
    char em[EMAIL_MAX + 1], hash[PASSWORD_HASH_MAX];
    int rc;

    memset(u, 0, sizeof *u);
    if (!in->full_name || !*in->full_name)
        return field_fail(err, prefix, "fullName", "is required");
    if (!in->email || !email_normalize(in->email, em))
        return field_fail(err, prefix, "email", "is not a valid email address");
    if ((rc = check_password(in->password, prefix, err)))
        return rc;
    if ((rc = build_phone(in->phone_number, region, prefix, "phoneNumber", a, &u->phone_number, err)) ||
        (rc = build_phone(in->sinch_phone_number, region, prefix, "sinchPhoneNumber", a, &u->sinch_phone_number, err)))
        return rc;
    if (password_hash(in->password, hash) != 0)
        return crm_fail(err, CRM_E_INTERNAL, NULL, NULL);

    objectid_new(u->id);
    snprintf(u->org_id, sizeof u->org_id, "%s", org_id ? org_id : "");
    u->email = arena_strdup(a, em);
    u->full_name = arena_strdup(a, in->full_name);
    u->password_hash = arena_strdup(a, hash);
    u->designation = arena_strdup(a, in->designation);
    u->role = role;
    u->created_at = u->updated_at = time_now_ms();
    return 0;
}

/* A user's sinchPhoneNumber is a provisioned number: no contact of the org may hold it. */
static int check_sinch_free(store_conn *c, const crm_user *u, crm_err *err)
{
    objectid owner;
    if (!u->sinch_phone_number || !u->org_id[0])
        return 0;
    int rc = c->ops->phone_owner(c, u->org_id, u->sinch_phone_number, owner);
    if (rc == -CRM_E_NOT_FOUND)
        return 0;
    if (rc == 0) {
        crm_fail(err, CRM_E_PHONE_TAKEN, "sinchPhoneNumber", "A contact of the organization has this number");
        crm_err_set_value(err, u->sinch_phone_number);
        crm_err_set_contact(err, owner);
        return -CRM_E_PHONE_TAKEN;
    }
    return rc;
}

struct insert_work {
    crm_user *u;
    crm_err *err;
};

static int insert_user(store_conn *c, void *arg)
{
    struct insert_work *w = arg;
    int rc = check_sinch_free(c, w->u, w->err);
    return rc ? rc : c->ops->user_insert(c, w->u);
}

static int map_email_taken(int rc, crm_err *err, const char *field)
{
    if (rc == -CRM_E_EMAIL_TAKEN) {
        crm_fail(err, CRM_E_EMAIL_TAKEN, field, "A user with this email already exists");
    }
    return rc;
}

int user_create(crm_app *app, const crm_user *me, const user_input *in, arena *a, crm_user *out, crm_err *err)
{
    crm_role role;
    crm_org org;
    store_conn *c;
    int rc;

    if ((rc = require_org_member(me, err)))
        return rc;
    if (me->role != ROLE_ADMIN)
        return crm_fail(err, CRM_E_FORBIDDEN, NULL, "Only an ADMIN may create users");
    if (!in->access_role || !crm_role_parse(in->access_role, &role) || role == ROLE_SUPERADMIN)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "accessRole",
                        "accessRole must be ADMIN, DEPARTMENT_HEAD or SALES_REP");
    if ((rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->org_get(c, me->org_id, a, &org)))
        return crm_fail(err, -rc, NULL, NULL);
    if ((rc = user_build(in, me->org_id, role, org.default_country, "", a, out, err)))
        return rc;
    struct insert_work w = { out, err };
    return map_email_taken(app_write(app, insert_user, &w, err), err, "email");
}

int user_list(crm_app *app, const crm_user *me, arena *a, crm_user **out, size_t *n, crm_err *err)
{
    store_conn *c;
    int rc;
    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->user_list(c, me->org_id, a, out, n)))
        return crm_fail(err, -rc, NULL, NULL);
    return 0;
}

int user_profile_get(crm_app *app, const crm_user *me, arena *a, crm_user *out, crm_err *err)
{
    (void)app;
    (void)a;
    (void)err;
    *out = *me;
    return 0;
}

/* Applies the profile edit to a copy of the target read inside the unit of work. */
struct profile_work {
    const crm_user *me;
    const profile_input *in;
    const char *target_id;
    arena *a;
    crm_user *out;
    crm_err *err;
};

static int apply_profile(store_conn *c, void *arg)
{
    struct profile_work *w = arg;
    const profile_input *in = w->in;
    crm_user *u = w->out;
    crm_org org = { .default_country = "US" };
    int rc = c->ops->user_get_for_update(c, w->target_id, w->a, u);

    if (rc == -CRM_E_NOT_FOUND || (rc == 0 && strcmp(u->org_id, w->me->org_id) != 0))
        return crm_fail(w->err, CRM_E_NOT_FOUND, "id", "No such user in your organization");
    if (rc)
        return rc;
    if (u->org_id[0] && (rc = c->ops->org_get(c, u->org_id, w->a, &org)))
        return rc;

    bool revoke = false;
    if (in->full_name) {
        if (!*in->full_name)
            return field_fail(w->err, "", "fullName", "may not be empty");
        u->full_name = arena_strdup(w->a, in->full_name);
    }
    if (in->email) {
        char em[EMAIL_MAX + 1];
        if (!email_normalize(in->email, em))
            return field_fail(w->err, "", "email", "is not a valid email address");
        u->email = arena_strdup(w->a, em);
    }
    if (in->password) {
        char hash[PASSWORD_HASH_MAX];
        if ((rc = check_password(in->password, "", w->err)))
            return rc;
        if (password_hash(in->password, hash) != 0)
            return crm_fail(w->err, CRM_E_INTERNAL, NULL, NULL);
        u->password_hash = arena_strdup(w->a, hash);
        revoke = true;
    }
    if (in->clear_phone)
        u->phone_number = NULL;
    else if (in->phone_number &&
             (rc = build_phone(in->phone_number, org.default_country, "", "phoneNumber", w->a, &u->phone_number, w->err)))
        return rc;
    if (in->clear_sinch)
        u->sinch_phone_number = NULL;
    else if (in->sinch_phone_number &&
             (rc = build_phone(in->sinch_phone_number, org.default_country, "", "sinchPhoneNumber", w->a,
                               &u->sinch_phone_number, w->err)))
        return rc;
    if (in->clear_designation)
        u->designation = NULL;
    else if (in->designation)
        u->designation = arena_strdup(w->a, in->designation);
    if (in->access_role) {
        crm_role role;
        if (!crm_role_parse(in->access_role, &role) || role == ROLE_SUPERADMIN)
            return crm_fail(w->err, CRM_E_VALIDATION_FAILED, "accessRole",
                            "accessRole must be ADMIN, DEPARTMENT_HEAD or SALES_REP");
        u->role = role;
    }
    if (in->login_disabled >= 0 && (bool)in->login_disabled != u->login_disabled) {
        u->login_disabled = in->login_disabled;
        revoke = revoke || u->login_disabled;
    }
    if ((rc = check_sinch_free(c, u, w->err)))
        return rc;
    u->updated_at = time_now_ms();
    if (revoke) {
        /* A new password or a disabled account ends every session: tokens and the API key. */
        u->token_version++;
        if ((rc = c->ops->user_set_apikey(c, u->id, NULL)))
            return rc;
    }
    return map_email_taken(c->ops->user_update(c, u), w->err, "email");
}

int user_profile_update(crm_app *app, const crm_user *me, const profile_input *in, arena *a,
                        crm_user *out, crm_err *err)
{
    const char *target = in->id ? in->id : me->id;
    bool self = strcmp(target, me->id) == 0;
    bool admin = me->role == ROLE_ADMIN;

    if (me->role == ROLE_SUPERADMIN && !self)
        return crm_fail(err, CRM_E_FORBIDDEN, NULL, "A SUPERADMIN edits only its own profile");
    if (!self && !admin)
        return crm_fail(err, CRM_E_FORBIDDEN, NULL, "Only an ADMIN may edit another user");
    if ((in->access_role || in->login_disabled >= 0) && !admin)
        return crm_fail(err, CRM_E_FORBIDDEN, NULL, "Only an ADMIN may change roles or disable users");
    /* An ADMIN cannot lock itself out (and perhaps its whole organization with it). */
    if (self && in->login_disabled == 1)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "loginDisabled", "You cannot disable yourself");
    if (self && admin && in->access_role && strcmp(in->access_role, "ADMIN") != 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "accessRole", "You cannot remove your own ADMIN role");
    if ((in->phone_number || in->sinch_phone_number) && me->role == ROLE_SUPERADMIN)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "A SUPERADMIN has no phone numbers");

    struct profile_work w = { me, in, target, a, out, err };
    return app_write(app, apply_profile, &w, err);
}

int user_create_superadmin(crm_app *app, const char *email, const char *password, crm_user *out, arena *a,
                           crm_err *err)
{
    user_input in = { .full_name = "Superadmin", .email = email, .password = password };
    store_conn *c;
    char em[EMAIL_MAX + 1];
    int rc;

    if ((rc = app_reader(app, &c, err)))
        return rc;
    if (email && email_normalize(email, em) && c->ops->user_get_by_email(c, em, a, out) == 0) {
        if (out->role != ROLE_SUPERADMIN)
            return crm_fail(err, CRM_E_EMAIL_TAKEN, "email", "%s belongs to a user of an organization", em);
        return 1;
    }
    if ((rc = user_build(&in, NULL, ROLE_SUPERADMIN, "US", "", a, out, err)))
        return rc;
    struct insert_work w = { out, err };
    return map_email_taken(app_write(app, insert_user, &w, err), err, "email");
}
