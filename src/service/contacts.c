/* Contact creation and reads. Normalization happens before the unit of work; everything that
 * depends on other records (pipeline, assignees, number ownership) is decided inside it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "service/contacts.h"
#include "service/event_logs.h"
#include "service/pipelines.h"
#include "lib/email.h"
#include "lib/timefmt.h"

static int value_fail(crm_err *err, const contact_value_input *v, const char *fmt, const char *detail)
{
    crm_fail(err, CRM_E_VALIDATION_FAILED, v->field, fmt, v->field, detail);
    return -CRM_E_VALIDATION_FAILED;
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
            return value_fail(err, &in[i], "%s is not a valid phone number: %s", phone_result_message(r));
        out[i].is_primary = !secondary && i == primary;
    }
    return 0;
}

/* The same number twice in one request, across both lists, is a client error. */
static int check_distinct(const crm_phone *all, const contact_value_input *fields, size_t n, crm_err *err)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(all[i].e164, all[j].e164) == 0) {
                value_fail(err, &fields[i], "%s repeats %s", fields[j].field);
                crm_err_set_value(err, all[i].e164);
                return -CRM_E_VALIDATION_FAILED;
            }
    return 0;
}

static int normalize_emails(const contact_value_input *in, size_t n, arena *a, crm_email *out, crm_err *err)
{
    size_t primary;
    int rc = pick_primary(in, n, "email", &primary, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        char buf[EMAIL_MAX + 1];
        if (!email_normalize(in[i].value, buf))
            return value_fail(err, &in[i], "%s is not a valid email address%s", "");
        for (size_t j = 0; j < i; j++)
            if (strcmp(out[j].value, buf) == 0)
                return value_fail(err, &in[i], "%s repeats %s", in[j].field);
        out[i].value = arena_strdup(a, buf);
        out[i].is_primary = i == primary;
    }
    return 0;
}

struct create_work {
    const crm_user *me;
    const contact_input *in;
    crm_contact *ct;
    arena *a;
    crm_err *err;
};

/* Numbers must be free: neither provisioned to the org nor held by another contact. */
static int check_numbers_free(store_conn *c, const crm_contact *ct, const contact_input *in, crm_err *err)
{
    for (size_t i = 0; i < ct->nphones + ct->nsecondary; i++) {
        bool sec = i >= ct->nphones;
        const crm_phone *p = sec ? &ct->secondary[i - ct->nphones] : &ct->phones[i];
        const char *field = sec ? in->secondary[i - ct->nphones].field : in->phones[i].field;
        objectid owner;
        int rc = c->ops->org_phone_reserved(c, ct->org_id, p->e164);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            crm_fail(err, CRM_E_PHONE_RESERVED, field, "%s is a number provisioned to the organization", p->e164);
            crm_err_set_value(err, p->e164);
            return -CRM_E_PHONE_RESERVED;
        }
        rc = c->ops->phone_owner(c, ct->org_id, p->e164, owner);
        if (rc == 0) {
            crm_fail(err, CRM_E_PHONE_TAKEN, field, "%s already belongs to another contact", p->e164);
            crm_err_set_value(err, p->e164);
            crm_err_set_contact(err, owner);
            return -CRM_E_PHONE_TAKEN;
        }
        if (rc != -CRM_E_NOT_FOUND)
            return rc;
    }
    return 0;
}

static int check_assignees(store_conn *c, const crm_contact *ct, arena *a, crm_err *err)
{
    for (size_t i = 0; i < ct->nassignees; i++) {
        crm_user u;
        int rc = c->ops->user_get(c, ct->assignees[i], a, &u);
        if (rc == -CRM_E_NOT_FOUND || (rc == 0 && strcmp(u.org_id, ct->org_id) != 0)) {
            char field[32];
            snprintf(field, sizeof field, "assignees[%zu]", i);
            return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s is not a user of your organization", field);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int create_unit(store_conn *c, void *arg)
{
    struct create_work *w = arg;
    crm_contact *ct = w->ct;
    crm_pipeline pipeline;
    const crm_stage *stage;
    int rc;

    if ((rc = pipeline_resolve_stage(c, ct->org_id, w->in->pipeline_id, w->in->status, w->in->stage_id, w->a,
                                     &pipeline, &stage, w->err)) ||
        (rc = check_assignees(c, ct, w->a, w->err)) || (rc = check_numbers_free(c, ct, w->in, w->err)))
        return rc;
    memcpy(ct->pipeline_id, pipeline.id, sizeof ct->pipeline_id);
    memcpy(ct->stage_id, stage->id, sizeof ct->stage_id);
    ct->status = stage->name;

    if ((rc = c->ops->contact_insert(c, ct)) == -CRM_E_PHONE_TAKEN)
        return crm_fail(w->err, CRM_E_PHONE_TAKEN, "phoneNumber", "A number already belongs to another contact");
    if (rc)
        return rc;
    return event_log_record(c, w->a, w->me, ct, "CONTACT_CREATE", NULL, "contact_created");
}

int contact_create(crm_app *app, const crm_user *me, const contact_input *in, arena *a,
                   crm_contact *out, crm_err *err)
{
    store_conn *c;
    crm_org org;
    crm_contact *ct = out;
    int rc;

    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->org_get(c, me->org_id, a, &org)))
        return crm_fail(err, -rc == CRM_E_NOT_FOUND ? CRM_E_UNAUTHORIZED : -rc, NULL, NULL);
    if (in->nphones == 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "phoneNumber needs at least one number");
    if (in->nphones + in->nsecondary > CONTACT_MAX_PHONES)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "A contact has at most %d phone numbers",
                        CONTACT_MAX_PHONES);
    if (in->nemails > CONTACT_MAX_EMAILS)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "email", "A contact has at most %d emails", CONTACT_MAX_EMAILS);

    memset(ct, 0, sizeof *ct);
    size_t nall = in->nphones + in->nsecondary;
    crm_phone *all = arena_alloc(a, nall * sizeof *all);
    contact_value_input *fields = arena_alloc(a, nall * sizeof *fields);
    memcpy(fields, in->phones, in->nphones * sizeof *fields);
    if (in->nsecondary)
        memcpy(fields + in->nphones, in->secondary, in->nsecondary * sizeof *fields);
    ct->emails = arena_alloc(a, (in->nemails + 1) * sizeof *ct->emails);
    if ((rc = normalize_phones(in->phones, in->nphones, org.default_country, false, all, err)) ||
        (rc = normalize_phones(in->secondary, in->nsecondary, org.default_country, true, all + in->nphones, err)) ||
        (rc = check_distinct(all, fields, nall, err)) ||
        (rc = normalize_emails(in->emails, in->nemails, a, ct->emails, err)))
        return rc;

    objectid_new(ct->id);
    memcpy(ct->org_id, me->org_id, sizeof ct->org_id);
    memcpy(ct->user_id, me->id, sizeof ct->user_id);
    memcpy(ct->created_by, me->id, sizeof ct->created_by);
    ct->phones = all;
    ct->nphones = in->nphones;
    ct->secondary = all + in->nphones;
    ct->nsecondary = in->nsecondary;
    ct->nemails = in->nemails;
    ct->first_name = arena_strdup(a, in->first_name);
    ct->last_name = arena_strdup(a, in->last_name);
    ct->process = arena_strdup(a, in->process);
    ct->source = arena_strdup(a, in->source);
    if (in->has_assignees) {
        ct->nassignees = in->nassignees;
        ct->assignees = arena_alloc(a, (in->nassignees + 1) * sizeof *ct->assignees);
        for (size_t i = 0; i < in->nassignees; i++)
            memcpy(ct->assignees[i], in->assignees[i], sizeof(objectid));
    } else {
        ct->nassignees = 1;
        ct->assignees = arena_alloc(a, sizeof *ct->assignees);
        memcpy(ct->assignees[0], me->id, sizeof(objectid));
    }
    ct->created_at = ct->updated_at = time_now_ms();

    struct create_work w = { me, in, ct, a, err };
    return app_write(app, create_unit, &w, err);
}

bool contact_visible_to(const crm_contact *ct, const crm_user *me)
{
    if (strcmp(ct->org_id, me->org_id) != 0)
        return false;
    if (me->role != ROLE_SALES_REP)
        return true;
    if (strcmp(ct->user_id, me->id) == 0 || strcmp(ct->created_by, me->id) == 0)
        return true;
    for (size_t i = 0; i < ct->nassignees; i++)
        if (strcmp(ct->assignees[i], me->id) == 0)
            return true;
    return false;
}

int contact_read(crm_app *app, const crm_user *me, const char *contact_id, arena *a,
                 crm_contact *out, crm_err *err)
{
    store_conn *c;
    int rc;
    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    rc = c->ops->contact_get(c, me->org_id, contact_id, a, out);
    if (rc == -CRM_E_NOT_FOUND || (rc == 0 && !contact_visible_to(out, me)))
        return crm_fail(err, CRM_E_NOT_FOUND, NULL, "No such contact");
    return rc ? crm_fail(err, -rc, NULL, NULL) : 0;
}
