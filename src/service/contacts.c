/* Contact creation and reads. Normalization happens before the unit of work; everything that
 * depends on other records (pipeline, assignees, number ownership) is decided inside it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "service/contacts.h"
#include "service/event_logs.h"
#include "service/pipelines.h"
#include "service/render.h"
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
    int status;     /* the reply: 201 and the contact, or a replayed one */
    char *body;
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

/* 1: a reply for this key exists and is now in w (replay); 0: the key is new; <0: error. */
static int idempotency_replay(store_conn *c, struct create_work *w)
{
    const contact_input *in = w->in;
    char *hash;
    if (!in->idempotency_key)
        return 0;
    int rc = c->ops->idempotency_get(c, w->ct->org_id, w->me->id, in->idempotency_key,
                                     w->ct->created_at - IDEMPOTENCY_TTL_MS, w->a, &hash, &w->status, &w->body);
    if (rc == -CRM_E_NOT_FOUND)
        return 0;
    if (rc)
        return rc;
    if (strcmp(hash, in->request_hash) != 0)
        return crm_fail(w->err, CRM_E_IDEMPOTENCY_KEY_REUSED, "Idempotency-Key",
                        "This Idempotency-Key was used with another body");
    return 1;
}

static int create_unit(store_conn *c, void *arg)
{
    struct create_work *w = arg;
    crm_contact *ct = w->ct;
    crm_pipeline pipeline;
    const crm_stage *stage;
    int rc = idempotency_replay(c, w);
    if (rc)
        return rc < 0 ? rc : 0;

    if ((rc = pipeline_resolve_stage(c, ct->org_id, w->in->pipeline_id, w->in->status, w->in->stage_id, w->a,
                                     &pipeline, &stage, w->err)) ||
        (rc = check_assignees(c, ct, w->a, w->err)) || (rc = check_numbers_free(c, ct, w->in, w->err)))
        return rc;
    memcpy(ct->pipeline_id, pipeline.id, sizeof ct->pipeline_id);
    memcpy(ct->stage_id, stage->id, sizeof ct->stage_id);
    ct->status = stage->name;

    if ((rc = c->ops->contact_insert(c, ct)) == -CRM_E_PHONE_TAKEN)
        return crm_fail(w->err, CRM_E_PHONE_TAKEN, "phoneNumber", "A number already belongs to another contact");
    if (rc || (rc = event_log_record(c, w->me, ct, "CONTACT_CREATE", NULL, "contact_created")))
        return rc;

    json_t *reply = render_contact_created(ct);
    w->status = 201;
    w->body = json_dumps_arena(reply, w->a);
    json_decref(reply);
    if (w->in->idempotency_key)
        rc = c->ops->idempotency_put(c, ct->org_id, w->me->id, w->in->idempotency_key, w->in->request_hash,
                                     w->status, w->body, ct->created_at);
    return rc;
}

int contact_create(crm_app *app, const crm_user *me, const contact_input *in, arena *a,
                   int *status, char **body, crm_err *err)
{
    store_conn *c;
    crm_org org;
    crm_contact *ct = arena_alloc(a, sizeof *ct);
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

    struct create_work w = { me, in, ct, a, err, 0, NULL };
    if ((rc = app_write(app, create_unit, &w, err)))
        return rc;
    *status = w.status;
    *body = w.body;
    return 0;
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

/* Cursors are opaque to clients: base64url of "<created_at ms>.<id>" of the last row sent. */
static char *cursor_encode(const crm_contact *last, arena *a)
{
    char raw[64];
    int n = snprintf(raw, sizeof raw, "%lld.%s", (long long)last->created_at, last->id);
    size_t cap = sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = arena_alloc(a, cap);
    sodium_bin2base64(out, cap, (const unsigned char *)raw, (size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

static bool cursor_decode(const char *cursor, contact_query *q)
{
    unsigned char raw[64];
    size_t n;
    char text[65], *end;
    if (strlen(cursor) > 80 ||
        sodium_base642bin(raw, sizeof raw - 1, cursor, strlen(cursor), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    memcpy(text, raw, n);
    text[n] = '\0';
    char *dot = strchr(text, '.');
    if (!dot || dot == text)
        return false;
    *dot = '\0';
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    long long ms = strtoll(text, &end, 10);
    if (*end || !objectid_valid(dot + 1))
        return false;
    q->after = true;
    q->after_created_at = ms;
    memcpy(q->after_id, dot + 1, sizeof q->after_id);
    return true;
}

/* A search made only of digits and phone punctuation, with at least 3 digits, is a number. */
static const char *phone_digits(const char *search, arena *a)
{
    size_t digits = 0, len = strlen(search);
    char *out = arena_alloc(a, len + 1);
    for (const char *p = search; *p; p++) {
        if (*p >= '0' && *p <= '9')
            out[digits++] = *p;
        else if (!strchr(" ()+-./", *p))
            return NULL;
    }
    return digits >= 3 ? out : NULL;
}

static int owner_filter(const crm_user *me, const char *filter, contact_query *q, crm_err *err)
{
    if (!filter || strcmp(filter, "my") == 0) {
        q->owner_mode = CONTACT_OWNER_USER;
        q->owner_id = me->id;
    } else if (strcmp(filter, "all") == 0) {
        q->owner_mode = CONTACT_OWNER_ANY;
    } else if (strcmp(filter, "unassigned") == 0) {
        q->owner_mode = CONTACT_OWNER_UNASSIGNED;
    } else if (objectid_valid(filter)) {
        q->owner_mode = CONTACT_OWNER_USER;
        q->owner_id = filter;
    } else {
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "ownerFilter",
                        "ownerFilter must be my, all, unassigned or a user id");
    }
    return 0;
}

int contact_list(crm_app *app, const crm_user *me, const contact_list_input *in, arena *a,
                 crm_contact **out, size_t *n, int64_t *total, char **next_cursor, crm_err *err)
{
    contact_query q = {
        .status = in->status, .stage_id = in->stage_id, .pipeline_id = in->pipeline_id, .source = in->source,
        .created_from = in->created_from, .created_to = in->created_to,
        .offset = (in->page - 1) * in->size, .limit = in->size,
    };
    store_conn *c;
    int rc;

    if ((rc = require_org_member(me, err)) || (rc = owner_filter(me, in->owner_filter, &q, err)))
        return rc;
    if (in->after) {
        if (!cursor_decode(in->after, &q))
            return crm_fail(err, CRM_E_VALIDATION_FAILED, "after", "after must be a nextCursor value");
        q.offset = 0;
    }
    if (in->search && *in->search) {
        q.search_digits = phone_digits(in->search, a);
        if (!q.search_digits)
            q.search = in->search;
    }
    if (me->role == ROLE_SALES_REP)
        q.visible_to = me->id;
    if ((rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->contact_list(c, me->org_id, &q, a, out, n, total)))
        return crm_fail(err, -rc, NULL, NULL);
    *next_cursor = *n == (size_t)in->size && *n ? cursor_encode(&(*out)[*n - 1], a) : NULL;
    return 0;
}

int contact_find_by_phone(crm_app *app, const crm_user *me, const char *phone, arena *a,
                          crm_contact *out, crm_err *err)
{
    store_conn *c;
    crm_org org;
    char e164[PHONE_E164_MAX];
    objectid owner;
    int rc;

    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->org_get(c, me->org_id, a, &org)))
        return crm_fail(err, -rc, NULL, NULL);
    enum phone_result r = phone_normalize(phone, org.default_country, e164);
    if (r != PHONE_OK)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "phoneNumber: %s", phone_result_message(r));
    rc = c->ops->phone_owner(c, me->org_id, e164, owner);
    if (rc == -CRM_E_NOT_FOUND)
        return crm_fail(err, CRM_E_NOT_FOUND, "phoneNumber", "No contact has this number");
    if (rc)
        return crm_fail(err, -rc, NULL, NULL);
    return contact_read(app, me, owner, a, out, err);
}
