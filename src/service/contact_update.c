/* Changing contacts: partial updates, Tether's stage move, deletion, and the move of one
 * contact that pipeline changes repeat. Each change is logged with what changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "service/contacts.h"
#include "service/contact_rules.h"
#include "service/event_logs.h"
#include "service/render.h"
#include "lib/json_writer.h"
#include "lib/timefmt.h"

/* The keys of the contact object whose changes the log records. */
static const char *const tracked[] = {
    "firstName", "lastName", "phoneNumber", "secondaryPhoneNumber", "email", "emails", "status",
    "pipelineId", "pipelineStage", "process", "source", "assignees", "isVerified", "verifiedAt", "verifiedBy",
    "verificationSource",
};

/* {"field": {"from", "to"}} for every tracked key that differs; NULL when nothing does. */
char *contact_changes_json(const crm_contact *before, const crm_contact *after, arena *a)
{
    json_t *b = render_contact(before), *f = render_contact(after), *changes = json_object();
    char *text = NULL;
    for (size_t i = 0; i < sizeof tracked / sizeof tracked[0]; i++) {
        json_t *x = json_object_get(b, tracked[i]), *y = json_object_get(f, tracked[i]);
        if (!json_equal(x, y))
            json_object_set_new(changes, tracked[i], json_pack("{s:O, s:O}", "from", x, "to", y));
    }
    if (json_object_size(changes))
        text = json_dumps_arena(changes, a);
    json_decref(b);
    json_decref(f);
    json_decref(changes);
    return text;
}

/* contact_changes_json of a move, which changes no tracked key but the status, the pipeline and
 * the stage: the same text, printed without rendering both contacts (a bulk move logs one per
 * contact). */
char *contact_move_changes_json(const crm_contact *before, const crm_contact *after, arena *a)
{
    const struct { const char *key, *from, *to; } moved[] = {
        {"status", before->status, after->status},
        {"pipelineId", before->pipeline_id, after->pipeline_id},
        {"pipelineStage", before->stage_id, after->stage_id},
    };
    jw_writer w;
    bool any = false;
    jw_init(&w, a, 256);
    jw_object_begin(&w);
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++) {
        const char *from = moved[i].from && *moved[i].from ? moved[i].from : NULL;
        const char *to = moved[i].to && *moved[i].to ? moved[i].to : NULL;
        if (from == to || (from && to && strcmp(from, to) == 0))
            continue;
        any = true;
        jw_key(&w, moved[i].key);
        jw_object_begin(&w);
        jw_key(&w, "from");
        jw_string_or_null(&w, from);
        jw_key(&w, "to");
        jw_string_or_null(&w, to);
        jw_object_end(&w);
    }
    jw_object_end(&w);
    if (jw_refused(&w))
        return contact_changes_json(before, after, a);
    return any ? jw_text(&w, NULL) : NULL;
}

/* Stores ct as the next version of `before` and logs it as `type` with `changes`; a change of
 * nothing (changes NULL) writes nothing. */
static int save_as(store_conn *c, const crm_user *me, const crm_contact *before, crm_contact *ct, const char *type,
                   const char *changes, bool quiet, const char *source)
{
    if (!changes)
        return 0;
    ct->version = before->version + 1;
    ct->updated_at = time_now_ms();
    int rc = c->ops->contact_update(c, ct, before->version);
    if (rc || quiet)
        return rc;
    return event_log_record_from(c, me, ct, type, changes, "contact_updated", source);
}

static int save_change(store_conn *c, const crm_user *me, const crm_contact *before, crm_contact *ct, bool quiet,
                       arena *a)
{
    return save_as(c, me, before, ct, "CONTACT_UPDATE", contact_changes_json(before, ct, a), quiet, NULL);
}

struct change_work {
    const crm_user *me;
    const char *contact_id, *if_match;
    contact_change_fn fn;
    void *arg;
    arena *a;
    crm_contact *out;
    crm_err *err;
};

static bool if_match_ok(const char *if_match, const char *etag)
{
    return !if_match || strcmp(if_match, "*") == 0 || strcmp(if_match, etag) == 0 ||
           (strncmp(if_match, "W/", 2) == 0 && strcmp(if_match + 2, etag) == 0);
}

static int change_unit(store_conn *c, void *arg)
{
    struct change_work *w = arg;
    crm_contact before;
    char etag[48];
    contact_change change = { 0 };
    int rc = c->ops->contact_get(c, w->me->org_id, w->contact_id, w->a, &before);

    if (rc == -CRM_E_NOT_FOUND || (rc == 0 && !contact_visible_to(&before, w->me)))
        return crm_fail(w->err, CRM_E_NOT_FOUND, NULL, "No such contact");
    if (rc)
        return rc;
    contact_etag(&before, etag);
    if (!if_match_ok(w->if_match, etag))
        return crm_fail(w->err, CRM_E_PRECONDITION_FAILED, NULL, "The contact changed since you read it (now %s)", etag);
    *w->out = before;
    if ((rc = w->fn(c, w->me, &before, w->out, w->arg, w->a, &change, w->err)))
        return rc;
    rc = save_as(c, w->me, &before, w->out, change.type, change.changes, change.quiet, change.source);
    if (rc == -CRM_E_PHONE_TAKEN)
        return crm_fail(w->err, CRM_E_PHONE_TAKEN, "phoneNumber", "A number already belongs to another contact");
    return rc;
}

int contact_change_run(crm_app *app, const crm_user *me, const char *contact_id, const char *if_match,
                       contact_change_fn fn, void *arg, arena *a, crm_contact *out, crm_err *err)
{
    int rc = require_org_member(me, err);
    if (rc)
        return rc;
    struct change_work w = { me, contact_id, if_match, fn, arg, a, out, err };
    return app_write(app, change_unit, &w, err);
}

struct input_change {
    const contact_input *in;
    bool quiet;
};

/* PATCH and the stage move: the keys given, by the rules of create. */
static int apply_input(store_conn *c, const crm_user *me, const crm_contact *before, crm_contact *ct, void *arg,
                       arena *a, contact_change *change, crm_err *err)
{
    const struct input_change *x = arg;
    crm_org org;
    int rc = c->ops->org_get(c, ct->org_id, a, &org);
    if (rc || (rc = contact_apply_input(x->in, org.default_country, me, a, ct, err)) ||
        (rc = contact_apply_stage(c, x->in, a, ct, err)) || (rc = contact_check_refs(c, ct, a, err)))
        return rc;
    *change = (contact_change){ "CONTACT_UPDATE", contact_changes_json(before, ct, a), x->quiet, x->in->log_source };
    return x->in->unit_hook ? x->in->unit_hook(c, ct, change->changes != NULL, x->in->hook_arg) : 0;
}

int contact_update(crm_app *app, const crm_user *me, const char *contact_id, const contact_input *in,
                   const char *if_match, arena *a, crm_contact *out, crm_err *err)
{
    struct input_change x = { in, false };
    return contact_change_run(app, me, contact_id, if_match, apply_input, &x, a, out, err);
}

int contact_move_stage(crm_app *app, const crm_user *me, const char *contact_id, const contact_input *in, bool quiet,
                       arena *a, crm_contact *out, crm_err *err)
{
    contact_input stage_only = { .given = in->given & (CK_STATUS | CK_STAGE | CK_PIPELINE), .status = in->status,
                                 .stage_id = in->stage_id, .pipeline_id = in->pipeline_id };
    if (!stage_only.given)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "status", "Give status, pipelineStage or pipelineId");
    struct input_change x = { &stage_only, quiet };
    return contact_change_run(app, me, contact_id, NULL, apply_input, &x, a, out, err);
}

int contact_move_in_unit(store_conn *c, const crm_user *me, const char *org_id, const char *contact_id,
                         const crm_pipeline *pipeline, const crm_stage *stage, bool quiet, arena *a,
                         crm_contact *out, bool *changed)
{
    crm_contact before;
    int rc = c->ops->contact_get(c, org_id, contact_id, a, &before);
    if (rc)
        return rc;
    *out = before;
    memcpy(out->pipeline_id, pipeline->id, sizeof out->pipeline_id);
    memcpy(out->stage_id, stage->id, sizeof out->stage_id);
    out->status = stage->name;
    rc = save_change(c, me, &before, out, quiet, a);
    if (changed)
        *changed = rc == 0 && out->version != before.version;
    return rc;
}

/* Whether ct already sits on stage of pipeline under the stage's name. */
static bool on_stage(const crm_contact *ct, const crm_pipeline *pipeline, const crm_stage *stage)
{
    return strcmp(ct->pipeline_id, pipeline->id) == 0 && strcmp(ct->stage_id, stage->id) == 0 && ct->status &&
           strcmp(ct->status, stage->name) == 0;
}

int contact_move_many_in_unit(store_conn *c, const crm_user *me, const crm_contact *cts, size_t n,
                              const crm_pipeline *pipeline, const crm_stage *stage, arena *a, int64_t *modified)
{
    crm_contact *todo = arena_alloc(a, (n + 1) * sizeof *todo);
    bool *moved = arena_alloc(a, (n + 1) * sizeof *moved);
    size_t m = 0;
    int64_t now = time_now_ms();
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (!on_stage(&cts[i], pipeline, stage))
            todo[m++] = cts[i];
    if (m && (rc = c->ops->contact_move_many(c, cts[0].org_id, todo, m, pipeline->id, stage->id, stage->name, now,
                                             moved)))
        return rc;
    for (size_t i = 0; rc == 0 && i < m; i++) {
        crm_contact after = todo[i], out;
        bool changed = false;
        if (!moved[i]) {
            /* changed since it was read (another server's unit): move what it is now */
            rc = contact_move_in_unit(c, me, after.org_id, after.id, pipeline, stage, false, a, &out, &changed);
            rc = rc == -CRM_E_NOT_FOUND ? 0 : rc;
            *modified += changed;
            continue;
        }
        memcpy(after.pipeline_id, pipeline->id, sizeof after.pipeline_id);
        memcpy(after.stage_id, stage->id, sizeof after.stage_id);
        after.status = stage->name;
        after.version = todo[i].version + 1;
        after.updated_at = now;
        rc = event_log_record(c, me, &after, "CONTACT_UPDATE", contact_move_changes_json(&todo[i], &after, a),
                              "contact_updated");
        *modified += rc == 0;
    }
    return rc;
}

int contact_delete_in_unit(store_conn *c, const crm_user *me, const crm_contact *ct)
{
    int rc = c->ops->contact_delete(c, ct->org_id, ct->id);
    return rc ? rc : event_log_record(c, me, ct, "CONTACT_DELETE", NULL, "contact_removed");
}

struct delete_work {
    const crm_user *me;
    const char *const *ids;
    size_t n;
    bool single;
    int64_t deleted;
    arena *a;
    crm_err *err;
};

static int delete_unit(store_conn *c, void *arg)
{
    struct delete_work *w = arg;
    w->deleted = 0;
    for (size_t i = 0; i < w->n; i++) {
        crm_contact ct;
        int rc = c->ops->contact_get(c, w->me->org_id, w->ids[i], w->a, &ct);
        if (rc == -CRM_E_NOT_FOUND || (rc == 0 && !contact_visible_to(&ct, w->me))) {
            if (w->single)
                return crm_fail(w->err, CRM_E_NOT_FOUND, NULL, "No such contact");
            continue;
        }
        if (rc || (rc = contact_delete_in_unit(c, w->me, &ct)))
            return rc;
        w->deleted++;
    }
    return 0;
}

int contact_delete(crm_app *app, const crm_user *me, const char *const *ids, size_t n, bool single,
                   int64_t *deleted, crm_err *err)
{
    int rc = require_org_member(me, err);
    if (rc)
        return rc;
    arena *a = arena_new();
    struct delete_work w = { me, ids, n, single, 0, a, err };
    rc = app_write(app, delete_unit, &w, err);
    arena_destroy(a);
    *deleted = rc ? 0 : w.deleted;
    return rc;
}
