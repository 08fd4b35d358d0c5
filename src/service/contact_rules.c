/* Normalization and cross-record checks shared by contact create and update. */
#include <stdio.h>
#include <string.h>
#include "service/contact_rules.h"
#include "service/pipelines.h"
#include "lib/email.h"

static int value_fail(crm_err *err, const contact_value_input *v, const char *what, const char *detail)
{
    return crm_fail(err, CRM_E_VALIDATION_FAILED, v->field, "%s %s%s", v->field, what, detail);
}

/* Picks the one primary entry: none marked → the first; more than one → error on `list`. */
static int pick_primary(const contact_value_input *in, size_t n, const char *list, size_t *primary, crm_err *err)
{
    size_t marked = 0;
    *primary = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i].is_primary == 1) {
            if (marked++)
                return crm_fail(err, CRM_E_VALIDATION_FAILED, list, "%s has more than one primary entry", list);
            *primary = i;
        }
    }
    return 0;
}

static int normalize_phones(const contact_value_input *in, size_t n, const char *region, bool secondary,
                            crm_phone *out, crm_err *err)
{
    size_t primary = 0;
    int rc;
    if (!secondary && (rc = pick_primary(in, n, "phoneNumber", &primary, err)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        enum phone_result r = phone_normalize(in[i].value, region, out[i].e164);
        if (r != PHONE_OK)
            return value_fail(err, &in[i], "is not a valid phone number: ", phone_result_message(r));
        out[i].is_primary = !secondary && i == primary;
    }
    return 0;
}

/* Entries of the list not given in the request keep the contact's current numbers. */
static const contact_value_input *current_numbers(const crm_phone *ph, size_t n, const char *key, arena *a)
{
    contact_value_input *v = arena_alloc(a, (n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i].value = ph[i].e164;
        v[i].is_primary = ph[i].is_primary;
        v[i].field = arena_printf(a, "%s[%zu].value", key, i);
    }
    return v;
}

static int apply_phones(const contact_input *in, const char *region, arena *a, crm_contact *ct, crm_err *err)
{
    const contact_value_input *p = in->phones, *s = in->secondary;
    size_t np = in->nphones, ns = in->nsecondary;
    int rc;

    if (!(in->given & (CK_PHONES | CK_SECONDARY)))
        return 0;
    if (!(in->given & CK_PHONES)) {
        p = current_numbers(ct->phones, ct->nphones, "phoneNumber", a);
        np = ct->nphones;
    }
    if (!(in->given & CK_SECONDARY)) {
        s = current_numbers(ct->secondary, ct->nsecondary, "secondaryPhoneNumber", a);
        ns = ct->nsecondary;
    }
    if (np == 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "phoneNumber needs at least one number");
    if (np + ns > CONTACT_MAX_PHONES)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "A contact has at most %d phone numbers",
                        CONTACT_MAX_PHONES);
    crm_phone *all = arena_alloc(a, (np + ns) * sizeof *all);
    if ((rc = normalize_phones(p, np, region, false, all, err)) ||
        (rc = normalize_phones(s, ns, region, true, all + np, err)))
        return rc;
    /* The same number twice in one contact, across both lists, is a client error. */
    for (size_t i = 1; i < np + ns; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(all[i].e164, all[j].e164) == 0) {
                const contact_value_input *vi = i < np ? &p[i] : &s[i - np], *vj = j < np ? &p[j] : &s[j - np];
                value_fail(err, vi, "repeats ", vj->field);
                crm_err_set_value(err, all[i].e164);
                return -CRM_E_VALIDATION_FAILED;
            }
    ct->phones = all;
    ct->nphones = np;
    ct->secondary = all + np;
    ct->nsecondary = ns;
    return 0;
}

static int apply_emails(const contact_input *in, arena *a, crm_contact *ct, crm_err *err)
{
    size_t primary;
    int rc;
    if (!(in->given & CK_EMAILS))
        return 0;
    if (in->nemails > CONTACT_MAX_EMAILS)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "email", "A contact has at most %d emails", CONTACT_MAX_EMAILS);
    if ((rc = pick_primary(in->emails, in->nemails, "email", &primary, err)))
        return rc;
    crm_email *out = arena_alloc(a, (in->nemails + 1) * sizeof *out);
    for (size_t i = 0; i < in->nemails; i++) {
        char buf[EMAIL_MAX + 1];
        if (!email_normalize(in->emails[i].value, buf))
            return value_fail(err, &in->emails[i], "is not a valid email address", "");
        for (size_t j = 0; j < i; j++)
            if (strcmp(out[j].value, buf) == 0)
                return value_fail(err, &in->emails[i], "repeats ", in->emails[j].field);
        out[i].value = arena_strdup(a, buf);
        out[i].is_primary = i == primary;
    }
    ct->emails = out;
    ct->nemails = in->nemails;
    return 0;
}

bool contact_holds_value(const crm_contact *ct, const char *type, const char *value)
{
    if (strcmp(type, "email") == 0) {
        for (size_t i = 0; i < ct->nemails; i++)
            if (strcmp(ct->emails[i].value, value) == 0)
                return true;
        return false;
    }
    for (size_t i = 0; i < ct->nphones + ct->nsecondary; i++)
        if (strcmp(i < ct->nphones ? ct->phones[i].e164 : ct->secondary[i - ct->nphones].e164, value) == 0)
            return true;
    return false;
}

/* A verification follows its value: a number or email the lists still hold (in whatever slot or
 * format it was written) keeps it; one they dropped loses it, and is unverified if re-added. */
static void keep_held_verifications(arena *a, crm_contact *ct)
{
    if (!ct->nmethods)
        return;
    crm_method_verification *kept = arena_alloc(a, (ct->nmethods + 1) * sizeof *kept);
    size_t n = 0;
    for (size_t i = 0; i < ct->nmethods; i++)
        if (contact_holds_value(ct, ct->methods[i].type, ct->methods[i].value))
            kept[n++] = ct->methods[i];
    ct->methods = kept;
    ct->nmethods = n;
}

int contact_apply_input(const contact_input *in, const char *region, const crm_user *me, arena *a, crm_contact *ct,
                        crm_err *err)
{
    int rc;
    if ((rc = apply_phones(in, region, a, ct, err)) || (rc = apply_emails(in, a, ct, err)))
        return rc;
    keep_held_verifications(a, ct);
    if (in->given & CK_FIRST_NAME)
        ct->first_name = arena_strdup(a, in->first_name);
    if (in->given & CK_LAST_NAME)
        ct->last_name = arena_strdup(a, in->last_name);
    if (in->given & CK_PROCESS)
        ct->process = arena_strdup(a, in->process);
    if (in->given & CK_SOURCE)
        ct->source = arena_strdup(a, in->source);
    if (in->given & CK_ASSIGNEES) {
        ct->nassignees = in->nassignees;
        ct->assignees = arena_alloc(a, (in->nassignees + 1) * sizeof *ct->assignees);
        for (size_t i = 0; i < in->nassignees; i++)
            memcpy(ct->assignees[i], in->assignees[i], sizeof(objectid));
    } else if (!ct->assignees) {
        ct->nassignees = 1;
        ct->assignees = arena_alloc(a, sizeof *ct->assignees);
        memcpy(ct->assignees[0], me->id, sizeof(objectid));
    }
    return 0;
}

const char *contact_phone_field(const crm_contact *ct, size_t i, arena *a)
{
    return i < ct->nphones ? arena_printf(a, "phoneNumber[%zu].value", i)
                           : arena_printf(a, "secondaryPhoneNumber[%zu].value", i - ct->nphones);
}

static int check_numbers_free(store_conn *c, const crm_contact *ct, arena *a, crm_err *err)
{
    for (size_t i = 0; i < ct->nphones + ct->nsecondary; i++) {
        const crm_phone *p = i < ct->nphones ? &ct->phones[i] : &ct->secondary[i - ct->nphones];
        objectid owner;
        int rc = c->ops->org_phone_reserved(c, ct->org_id, p->e164);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            const char *field = contact_phone_field(ct, i, a);
            crm_fail(err, CRM_E_PHONE_RESERVED, field, "%s is a number provisioned to the organization", p->e164);
            crm_err_set_value(err, p->e164);
            return -CRM_E_PHONE_RESERVED;
        }
        rc = c->ops->phone_owner(c, ct->org_id, p->e164, owner);
        if (rc == 0 && strcmp(owner, ct->id) != 0) {
            const char *field = contact_phone_field(ct, i, a);
            crm_fail(err, CRM_E_PHONE_TAKEN, field, "%s already belongs to another contact", p->e164);
            crm_err_set_value(err, p->e164);
            crm_err_set_contact(err, owner);
            return -CRM_E_PHONE_TAKEN;
        }
        if (rc && rc != -CRM_E_NOT_FOUND)
            return rc;
    }
    return 0;
}

static int check_assignees(store_conn *c, const crm_contact *ct, arena *a, crm_err *err)
{
    for (size_t i = 0; i < ct->nassignees; i++) {
        crm_user u;
        /* The contact's creator (a create's default assignee) is a user of its organization for
         * good: users are never deleted and never change organization. */
        if (strcmp(ct->assignees[i], ct->created_by) == 0 && strcmp(ct->created_by, "") != 0)
            continue;
        int rc = c->ops->user_get(c, ct->assignees[i], a, &u);
        if (rc == -CRM_E_NOT_FOUND || (rc == 0 && strcmp(u.org_id, ct->org_id) != 0)) {
            const char *field = arena_printf(a, "assignees[%zu]", i);
            return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s is not a user of your organization", field);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int contact_check_refs(store_conn *c, const crm_contact *ct, arena *a, crm_err *err)
{
    int rc = check_assignees(c, ct, a, err);
    return rc ? rc : check_numbers_free(c, ct, a, err);
}

int contact_apply_stage(store_conn *c, const contact_input *in, arena *a, crm_contact *ct, crm_err *err)
{
    crm_pipeline pipeline;
    const crm_stage *stage;
    const char *pipeline_id = in->pipeline_id;
    int rc;

    if (!(in->given & (CK_STATUS | CK_STAGE | CK_PIPELINE)) && ct->pipeline_id[0])
        return 0;
    /* A new status or stage alone stays in the contact's pipeline unless the stage says otherwise. */
    if (!pipeline_id && !in->stage_id && ct->pipeline_id[0])
        pipeline_id = ct->pipeline_id;
    if (c->ops->number_check_ahead && ct->nphones + ct->nsecondary)
        c->ops->number_check_ahead(c, ct->org_id, ct->nphones ? ct->phones[0].e164 : ct->secondary[0].e164);
    if ((rc = pipeline_resolve_stage(c, ct->org_id, pipeline_id, in->status, in->stage_id, a, &pipeline, &stage, err)))
        return rc;
    memcpy(ct->pipeline_id, pipeline.id, sizeof ct->pipeline_id);
    memcpy(ct->stage_id, stage->id, sizeof ct->stage_id);
    ct->status = stage->name;
    return 0;
}
