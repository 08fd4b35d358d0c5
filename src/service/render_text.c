/* The contact as JSON text: render.c's render_contact, key for key, without a json_t tree. */
#include <stdbool.h>
#include <stdlib.h>
#include "service/render.h"
#include "service/render_text.h"

/* verifiedAt, verifiedBy and verificationSource, all null when not verified. */
static void verification(jw_writer *w, const crm_verification *v)
{
    bool at = v && v->at;
    jw_key(w, "verifiedAt");
    if (at)
        jw_time(w, v->at);
    else
        jw_null(w);
    jw_key(w, "verifiedBy");
    jw_string_or_null(w, at ? v->by : NULL);
    jw_key(w, "verificationSource");
    jw_string_or_null(w, at ? v->source : NULL);
}

static void entry(jw_writer *w, const crm_contact *ct, const char *type, const char *value, bool primary)
{
    jw_object_begin(w);
    jw_key(w, "value");
    jw_string(w, value);
    jw_key(w, "isPrimary");
    jw_bool(w, primary);
    verification(w, crm_contact_method(ct, type, value));
    jw_object_end(w);
}

static void phones(jw_writer *w, const crm_contact *ct, const crm_phone *ph, size_t n)
{
    jw_array_begin(w);
    for (size_t i = 0; i < n; i++)
        entry(w, ct, "phone", ph[i].e164, ph[i].is_primary);
    jw_array_end(w);
}

static const char *primary_email(const crm_contact *ct)
{
    for (size_t i = 0; i < ct->nemails; i++)
        if (ct->emails[i].is_primary)
            return ct->emails[i].value;
    return NULL;
}

void render_text_contact(jw_writer *w, const crm_contact *ct)
{
    jw_object_begin(w);
    jw_key(w, "_id");
    jw_string(w, ct->id);
    jw_key(w, "organizationId");
    jw_string(w, ct->org_id);
    jw_key(w, "userId");
    jw_string(w, ct->user_id);
    jw_key(w, "createdBy");
    jw_string(w, ct->created_by);
    jw_key(w, "assignees");
    jw_array_begin(w);
    for (size_t i = 0; i < ct->nassignees; i++)
        jw_string(w, ct->assignees[i]);
    jw_array_end(w);
    jw_key(w, "firstName");
    jw_string_or_null(w, ct->first_name);
    jw_key(w, "lastName");
    jw_string_or_null(w, ct->last_name);
    jw_key(w, "phoneNumber");
    phones(w, ct, ct->phones, ct->nphones);
    jw_key(w, "secondaryPhoneNumber");
    phones(w, ct, ct->secondary, ct->nsecondary);
    jw_key(w, "email");
    jw_string_or_null(w, primary_email(ct));
    jw_key(w, "emails");
    jw_array_begin(w);
    for (size_t i = 0; i < ct->nemails; i++)
        entry(w, ct, "email", ct->emails[i].value, ct->emails[i].is_primary);
    jw_array_end(w);
    jw_key(w, "status");
    jw_string_or_null(w, ct->status);
    jw_key(w, "pipelineId");
    jw_string(w, ct->pipeline_id);
    jw_key(w, "pipelineStage");
    jw_string(w, ct->stage_id);
    jw_key(w, "process");
    jw_string_or_null(w, ct->process);
    jw_key(w, "source");
    jw_string_or_null(w, ct->source);
    jw_key(w, "createdAt");
    jw_time(w, ct->created_at);
    jw_key(w, "updatedAt");
    jw_time(w, ct->updated_at);
    jw_key(w, "__v");
    jw_int(w, ct->version);
    jw_key(w, "isVerified");
    jw_bool(w, ct->verified.at != 0);
    verification(w, &ct->verified);
    jw_object_end(w);
}

char *render_text_contact_alone(const crm_contact *ct, arena *a)
{
    jw_writer w;
    jw_init(&w, a, 1024);
    render_text_contact(&w, ct);
    if (!jw_refused(&w))
        return jw_text(&w, NULL);
    json_t *j = render_contact(ct);
    char *text = json_dumps_arena(j, a);
    json_decref(j);
    return text;
}

char *render_text_contact_created(const char *contact_text, arena *a)
{
    /* render_contact_created's keys, in its order */
    return arena_wrap(a, "{\"success\":true,\"message\":\"Contact created successfully\",\"data\":{\"contact\":",
                      contact_text, ",\"message\":\"Contact created successfully\"}}");
}
