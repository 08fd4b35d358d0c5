/* Changing contacts: partial updates, Tether's stage move, deletion, and the move of one
 * contact that pipeline changes repeat. Each change is logged with what changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "service/contacts.h"
#include "service/contact_rules.h"
#include "service/event_logs.h"
#include "service/render.h"
#include "lib/timefmt.h"

/* The keys of the contact object whose changes the log records. */
static const char *const tracked[] = {
    "firstName", "lastName", "phoneNumber", "secondaryPhoneNumber", "email", "emails", "status",
    "pipelineId", "pipelineStage", "process", "source", "assignees",
};

/* {"field": {"from", "to"}} for every tracked key that differs; NULL when nothing does. */
static char *changes_json(const crm_contact *before, const crm_contact *after, arena *a)
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

/* Stores ct as the next version of `before` and logs it; a change of nothing writes nothing. */
static int save_change(store_conn *c, const crm_user *me, const crm_contact *before, crm_contact *ct, bool quiet,
                       arena *a)
{
    char *changes = changes_json(before, ct, a);
    if (!changes)
        return 0;
    ct->version = before->version + 1;
    ct->updated_at = time_now_ms();
    int rc = c->ops->contact_update(c, ct, before->version);
    if (rc || quiet)
        return rc;
    return event_log_record(c, me, ct, "CONTACT_UPDATE", changes, "contact_updated");
}

struct update_work {
    const crm_user *me;
    const char *contact_id, *if_match;
    const contact_input *in;
    bool quiet;
    arena *a;
    crm_contact *out;
    crm_err *err;
};

static int update_unit(store_conn *c, void *arg)
{
    struct update_work *w = arg;
    crm_contact before;
    crm_org org;
    char etag[48];
    int rc = c->ops->contact_get(c, w->me->org_id, w->contact_id, w->a, &before);

    if (rc == -CRM_E_NOT_FOUND || (rc == 0 && !contact_visible_to(&before, w->me)))
        return crm_fail(w->err, CRM_E_NOT_FOUND, NULL, "No such contact");
    if (rc)
        return rc;
    contact_etag(&before, etag);
    if (w->if_match && strcmp(w->if_match, "*") != 0 && strcmp(w->if_match, etag) != 0 &&
        !(strncmp(w->if_match, "W/", 2) == 0 && strcmp(w->if_match + 2, etag) == 0))
        return crm_fail(w->err, CRM_E_PRECONDITION_FAILED, NULL, "The contact changed since you read it (now %s)", etag);
    if ((rc = c->ops->org_get(c, w->me->org_id, w->a, &org)))
        return rc;

    crm_contact *ct = w->out;
    *ct = before;
    if ((rc = contact_apply_input(w->in, org.default_country, w->me, w->a, ct, w->err)) ||
        (rc = contact_apply_stage(c, w->in, w->a, ct, w->err)) || (rc = contact_check_refs(c, ct, w->a, w->err)))
        return rc;
    rc = save_change(c, w->me, &before, ct, w->quiet, w->a);
    if (rc == -CRM_E_PHONE_TAKEN)
        return crm_fail(w->err, CRM_E_PHONE_TAKEN, "phoneNumber", "A number already belongs to another contact");
    return rc;
}

static int run_update(crm_app *app, const crm_user *me, const char *contact_id, const contact_input *in,
                      const char *if_match, bool quiet, arena *a, crm_contact *out, crm_err *err)
{
    int rc = require_org_member(me, err);
    if (rc)
        return rc;
    struct update_work w = { me, contact_id, if_match, in, quiet, a, out, err };
    return app_write(app, update_unit, &w, err);
}

int contact_update(crm_app *app, const crm_user *me, const char *contact_id, const contact_input *in,
                   const char *if_match, arena *a, crm_contact *out, crm_err *err)
{
    return run_update(app, me, contact_id, in, if_match, false, a, out, err);
}

int contact_move_stage(crm_app *app, const crm_user *me, const char *contact_id, const contact_input *in, bool quiet,
                       arena *a, crm_contact *out, crm_err *err)
{
    contact_input stage_only = { .given = in->given & (CK_STATUS | CK_STAGE | CK_PIPELINE), .status = in->status,
                                 .stage_id = in->stage_id, .pipeline_id = in->pipeline_id };
    if (!stage_only.given)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "status", "Give status, pipelineStage or pipelineId");
    return run_update(app, me, contact_id, &stage_only, NULL, quiet, a, out, err);
}

int contact_move_in_unit(store_conn *c, const crm_user *me, const char *org_id, const char *contact_id,
                         const crm_pipeline *pipeline, const crm_stage *stage, bool quiet, arena *a,
                         crm_contact *out)
{
    crm_contact before;
    int rc = c->ops->contact_get(c, org_id, contact_id, a, &before);
    if (rc)
        return rc;
    *out = before;
    memcpy(out->pipeline_id, pipeline->id, sizeof out->pipeline_id);
    memcpy(out->stage_id, stage->id, sizeof out->stage_id);
    out->status = stage->name;
    return save_change(c, me, &before, out, quiet, a);
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
        if (rc || (rc = c->ops->contact_delete(c, w->me->org_id, ct.id)) ||
            (rc = event_log_record(c, w->me, &ct, "CONTACT_DELETE", NULL, "contact_removed")))
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
