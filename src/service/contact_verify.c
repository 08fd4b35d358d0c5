/* Verification of contacts and of their numbers and emails (API.md §5.6). A number's or an
 * email's verification is kept by its normalized value (crm_contact.methods), so a PATCH that
 * keeps the value keeps it (contact_rules.c). Each change is one contact_change_run. */
#include <string.h>
#include "service/contact_rules.h"
#include "service/render.h"
#include "lib/email.h"
#include "lib/timefmt.h"

struct contact_verify {
    bool verify;
    const char *source;
};

static int contact_verify_unit(store_conn *c, const crm_user *me, const crm_contact *before, crm_contact *ct,
                               void *arg, arena *a, contact_change *change, crm_err *err)
{
    const struct contact_verify *x = arg;
    (void)c;
    (void)err;
    memset(&ct->verified, 0, sizeof ct->verified);
    if (x->verify) {
        ct->verified.at = time_now_ms();
        memcpy(ct->verified.by, me->id, sizeof ct->verified.by);
        ct->verified.source = (char *)x->source;
    }
    /* the changed keys of the contact object (isVerified, verifiedAt...), as a PATCH logs them */
    *change = (contact_change){ "CONTACT_UPDATE", contact_changes_json(before, ct, a), false, NULL };
    return 0;
}

int contact_set_verified(crm_app *app, const crm_user *me, const char *contact_id, bool verify, const char *source,
                         const char *if_match, arena *a, crm_contact *out, crm_err *err)
{
    if (me->role != ROLE_ADMIN)
        return crm_fail(err, CRM_E_FORBIDDEN, NULL, "Only an ADMIN verifies or unverifies a contact");
    struct contact_verify x = { verify, source };
    return contact_change_run(app, me, contact_id, if_match, contact_verify_unit, &x, a, out, err);
}

/* {"from", "to"} of one verification key. */
static json_t *from_to(json_t *from, json_t *to)
{
    return json_pack("{s:o, s:o}", "from", from, "to", to);
}

static json_t *time_or_null(const crm_verification *v)
{
    return v && v->at ? json_time(v->at) : json_null();
}

static json_t *str_of(const crm_verification *v, bool by)
{
    return json_str_or_null(!v || !v->at ? NULL : by ? v->by : v->source);
}

static bool same(const crm_verification *x, const crm_verification *y)
{
    if (!x || !y)
        return !x && !y;
    return x->at == y->at && strcmp(x->by, y->by) == 0 &&
           ((!x->source && !y->source) || (x->source && y->source && strcmp(x->source, y->source) == 0));
}

/* The value as the contact stores it: E.164 with the org's region, or the lower-cased address. */
static int normalize(store_conn *c, const crm_contact *ct, const contact_method_input *in, arena *a, char **out,
                     crm_err *err)
{
    if (strcmp(in->type, "email") == 0) {
        char buf[EMAIL_MAX + 1];
        if (!email_normalize(in->value, buf))
            return crm_fail(err, CRM_E_VALIDATION_FAILED, in->field, "%s is not a valid email address", in->field);
        *out = arena_strdup(a, buf);
        return 0;
    }
    crm_org org;
    char e164[PHONE_E164_MAX];
    int rc = c->ops->org_get(c, ct->org_id, a, &org);
    if (rc)
        return rc;
    enum phone_result r = phone_normalize(in->value, org.default_country, e164);
    if (r != PHONE_OK)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, in->field, "%s is not a valid phone number: %s", in->field,
                        phone_result_message(r));
    *out = arena_strdup(a, e164);
    return 0;
}

static int method_verify_unit(store_conn *c, const crm_user *me, const crm_contact *before, crm_contact *ct,
                              void *arg, arena *a, contact_change *change, crm_err *err)
{
    const contact_method_input *in = arg;
    char *value = NULL;
    int rc = normalize(c, ct, in, a, &value, err);
    if (rc)
        return rc;
    if (!contact_holds_value(ct, in->type, value)) {
        crm_fail(err, CRM_E_NOT_FOUND, in->field, "The contact has no %s %s", in->type, value);
        crm_err_set_value(err, value);
        return -CRM_E_NOT_FOUND;
    }
    const crm_verification *old = crm_contact_method(before, in->type, value);
    crm_verification now = { 0 };
    if (in->at) {
        now.at = in->at;
        memcpy(now.by, me->id, sizeof now.by);
        now.source = (char *)in->source;
    }
    change->type = in->at ? "CONTACT_METHOD_VERIFIED" : "CONTACT_METHOD_UNVERIFIED";
    if (same(old, in->at ? &now : NULL))
        return 0;   /* nothing changes: nothing is written */

    /* The new list: every other entry as it was, and this one verified (or not at all). */
    ct->methods = arena_alloc(a, (before->nmethods + 1) * sizeof *ct->methods);
    ct->nmethods = 0;
    for (size_t i = 0; i < before->nmethods; i++)
        if (&before->methods[i].v != old)
            ct->methods[ct->nmethods++] = before->methods[i];
    if (in->at)
        ct->methods[ct->nmethods++] = (crm_method_verification){ in->type, value, now };

    const crm_verification *to = in->at ? &now : NULL;
    json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:o}", "type", in->type, "value", value,
                          "verifiedAt", from_to(time_or_null(old), time_or_null(to)),
                          "verifiedBy", from_to(str_of(old, true), str_of(to, true)),
                          "verificationSource", from_to(str_of(old, false), str_of(to, false)));
    change->changes = json_dumps_arena(j, a);
    json_decref(j);
    return 0;
}

int contact_verify_method(crm_app *app, const crm_user *me, const char *contact_id, const contact_method_input *in,
                          const char *if_match, arena *a, crm_contact *out, crm_err *err)
{
    return contact_change_run(app, me, contact_id, if_match, method_verify_unit, (void *)in, a, out, err);
}
