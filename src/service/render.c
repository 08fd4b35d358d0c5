/* Records to JSON. Keys and shapes follow API.md; every documented key is always present. */
#include <stdlib.h>
#include "service/render.h"
#include "lib/timefmt.h"

json_t *json_str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *json_time(int64_t ms)
{
    char buf[TIMEFMT_ISO_LEN + 1];
    time_iso8601(ms, buf);
    return json_string(buf);
}

json_t *render_org(const crm_org *o)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:o}",
                     "_id", o->id, "name", o->name,
                     "phoneNumber", json_str_or_null(o->phone_number),
                     "address", json_str_or_null(o->address),
                     "timezone", o->timezone, "defaultCountry", o->default_country,
                     "createdAt", json_time(o->created_at), "updatedAt", json_time(o->updated_at));
}

json_t *render_user(const crm_user *u)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:b, s:o, s:o}",
                     "_id", u->id, "email", u->email, "fullName", u->full_name,
                     "organizationId", json_str_or_null(u->org_id),
                     "accessRole", crm_role_name(u->role),
                     "phoneNumber", json_str_or_null(u->phone_number),
                     "designation", json_str_or_null(u->designation),
                     "sinchPhoneNumber", json_str_or_null(u->sinch_phone_number),
                     "loginDisabled", u->login_disabled,
                     "createdAt", json_time(u->created_at), "updatedAt", json_time(u->updated_at));
}

json_t *render_login_user(const crm_user *u)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:s}", "id", u->id, "email", u->email,
                     "fullName", u->full_name, "organizationId", json_str_or_null(u->org_id),
                     "accessRole", crm_role_name(u->role));
}

json_t *render_org_phone(const crm_org_phone *p)
{
    return json_pack("{s:s, s:s, s:o, s:b, s:b, s:o}", "phoneNumber", p->e164, "provider", p->provider,
                     "targetUserId", json_str_or_null(p->target_user_id), "isDefault", p->is_default,
                     "isInboundEnabled", p->is_inbound_enabled, "createdAt", json_time(p->created_at));
}

json_t *render_pipeline(const crm_pipeline *p)
{
    json_t *stages = json_array();
    for (size_t i = 0; i < p->nstages; i++) {
        const crm_stage *s = &p->stages[i];
        json_array_append_new(stages, json_pack("{s:s, s:s, s:o, s:i, s:b}", "_id", s->id, "name", s->name,
                                                "color", json_str_or_null(s->color), "position", s->position,
                                                "isActive", s->is_active));
    }
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o}",
                     "_id", p->id, "name", p->name, "description", json_str_or_null(p->description),
                     "organizationId", p->org_id, "type", p->type, "isDefault", p->is_default,
                     "isActive", p->is_active, "pipelineStages", stages,
                     "createdBy", json_str_or_null(p->created_by), "updatedBy", json_str_or_null(p->updated_by),
                     "createdAt", json_time(p->created_at), "updatedAt", json_time(p->updated_at));
}

/* Adds verifiedAt, verifiedBy and verificationSource (all null when not verified) to obj. */
static json_t *with_verification(json_t *obj, const crm_verification *v)
{
    json_object_set_new(obj, "verifiedAt", v && v->at ? json_time(v->at) : json_null());
    json_object_set_new(obj, "verifiedBy", json_str_or_null(v && v->at ? v->by : NULL));
    json_object_set_new(obj, "verificationSource", json_str_or_null(v && v->at ? v->source : NULL));
    return obj;
}

static json_t *render_entry(const crm_contact *ct, const char *type, const char *value, bool primary)
{
    return with_verification(json_pack("{s:s, s:b}", "value", value, "isPrimary", primary),
                             crm_contact_method(ct, type, value));
}

static json_t *render_phones(const crm_contact *ct, const crm_phone *ph, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, render_entry(ct, "phone", ph[i].e164, ph[i].is_primary));
    return arr;
}

json_t *render_contact(const crm_contact *ct)
{
    json_t *assignees = json_array(), *emails = json_array();
    const char *primary = NULL;
    for (size_t i = 0; i < ct->nassignees; i++)
        json_array_append_new(assignees, json_string(ct->assignees[i]));
    for (size_t i = 0; i < ct->nemails; i++) {
        if (ct->emails[i].is_primary && !primary)
            primary = ct->emails[i].value;
        json_array_append_new(emails, render_entry(ct, "email", ct->emails[i].value, ct->emails[i].is_primary));
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
                     " s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:b}",
                     "_id", ct->id, "organizationId", ct->org_id, "userId", ct->user_id,
                     "createdBy", ct->created_by, "assignees", assignees,
                     "firstName", json_str_or_null(ct->first_name), "lastName", json_str_or_null(ct->last_name),
                     "phoneNumber", render_phones(ct, ct->phones, ct->nphones),
                     "secondaryPhoneNumber", render_phones(ct, ct->secondary, ct->nsecondary),
                     "email", json_str_or_null(primary), "emails", emails,
                     "status", json_str_or_null(ct->status),
                     "pipelineId", ct->pipeline_id, "pipelineStage", ct->stage_id,
                     "process", json_str_or_null(ct->process), "source", json_str_or_null(ct->source),
                     "createdAt", json_time(ct->created_at), "updatedAt", json_time(ct->updated_at),
                     "__v", (json_int_t)ct->version, "isVerified", ct->verified.at != 0);
    return with_verification(j, &ct->verified);
}

json_t *render_note(const crm_note *n)
{
    json_t *mentions = n->mentions_json ? json_loads(n->mentions_json, 0, NULL) : NULL;
    json_t *attachments = n->attachments_json ? json_loads(n->attachments_json, 0, NULL) : NULL;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "_id", n->id, "organizationId", n->org_id,
                     "contactId", n->contact_id, "userId", n->user_id, "note", n->note,
                     "mentions", mentions ? mentions : json_array(),
                     "attachments", attachments ? attachments : json_array(),
                     "createdAt", json_time(n->created_at), "updatedAt", json_time(n->updated_at));
}

json_t *render_event_log(const crm_event_log *e)
{
    json_t *changes = e->changes_json ? json_loads(e->changes_json, 0, NULL) : NULL;
    return json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:o}",
                     "_id", e->id, "organizationId", e->org_id, "userId", json_str_or_null(e->user_id),
                     "contactId", json_str_or_null(e->contact_id), "type", e->type, "source", e->source,
                     "changes", changes ? changes : json_null(), "createdAt", json_time(e->created_at));
}

json_t *render_contact_created(const crm_contact *ct)
{
    static const char msg[] = "Contact created successfully";
    return json_pack("{s:b, s:s, s:{s:o, s:s}}", "success", 1, "message", msg, "data", "contact",
                     render_contact(ct), "message", msg);
}

char *json_dumps_arena(const json_t *j, arena *a)
{
    char *text = json_dumps(j, JSON_COMPACT);
    if (!text)
        abort();
    char *copy = arena_strdup(a, text);
    free(text);
    return copy;
}
