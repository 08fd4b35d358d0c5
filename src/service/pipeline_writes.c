/* Changing pipelines (ADMIN only): create, stage upsert with renames, delete with transfer,
 * stage reassignment. Every contact a change moves is updated, logged and announced. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "service/pipelines.h"
#include "service/contacts.h"
#include "lib/timefmt.h"
#include "lib/utf8.h"

#define DEFAULT_STAGE_COLOR "#6b7280"

static int require_admin(const crm_user *me, crm_err *err)
{
    int rc = require_org_member(me, err);
    if (rc == 0 && me->role != ROLE_ADMIN)
        rc = crm_fail(err, CRM_E_FORBIDDEN, NULL, "Only an ADMIN may change pipelines");
    return rc;
}

/* Stable order by the given position (absent positions keep their place in the list). */
static int stage_cmp(const void *pa, const void *pb)
{
    const stage_input *a = *(const stage_input *const *)pa, *b = *(const stage_input *const *)pb;
    if (a->position != b->position)
        return a->position < b->position ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* The listed stages in position order, trimmed, non-empty, with names distinct ignoring case. */
static int order_stages(const pipeline_input *in, arena *a, const stage_input ***out, crm_err *err)
{
    if (in->nstages == 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "pipelineStages", "A pipeline needs at least one stage");
    if (in->nstages > PIPELINE_MAX_STAGES)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "pipelineStages", "A pipeline has at most %d stages",
                        PIPELINE_MAX_STAGES);
    stage_input **order = arena_alloc(a, in->nstages * sizeof *order);
    for (size_t i = 0; i < in->nstages; i++) {
        stage_input *s = &in->stages[i];
        if (s->position < 0)
            s->position = (int64_t)i;
        s->name = str_trim(arena_strdup(a, s->name));
        if (!*s->name)
            return crm_fail(err, CRM_E_VALIDATION_FAILED, s->field, "%s needs a name", s->field);
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(order[j]->name, s->name) == 0)
                return crm_fail(err, CRM_E_VALIDATION_FAILED, s->field, "%s repeats the stage name '%s'", s->field,
                                s->name);
        order[i] = s;
    }
    qsort(order, in->nstages, sizeof *order, stage_cmp);
    *out = (const stage_input **)order;
    return 0;
}

static int insert_pipeline(store_conn *c, void *arg)
{
    crm_pipeline *p = arg;
    int rc = 0;
    if (p->is_default)
        rc = c->ops->pipeline_clear_default(c, p->org_id, p->type);
    return rc ? rc : c->ops->pipeline_insert(c, p);
}

static int name_taken(int rc, const crm_pipeline *p, crm_err *err)
{
    if (rc == -CRM_E_NAME_TAKEN)
        crm_fail(err, CRM_E_NAME_TAKEN, "name", "A %s pipeline named '%s' already exists", p->type, p->name);
    return rc;
}

int pipeline_create(crm_app *app, const crm_user *me, const pipeline_input *in, arena *a, crm_pipeline *out,
                    crm_err *err)
{
    const stage_input **order;
    int rc;
    if ((rc = require_admin(me, err)))
        return rc;
    if (!pipeline_type_valid(in->type))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "type", "type must be Contact or Application");
    memset(out, 0, sizeof *out);
    out->name = in->name ? str_trim(arena_strdup(a, in->name)) : NULL;
    if (!out->name || !*out->name)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "name", "name is required");
    if ((rc = order_stages(in, a, &order, err)))
        return rc;
    out->stages = arena_alloc(a, in->nstages * sizeof *out->stages);
    out->nstages = in->nstages;
    for (size_t i = 0; i < in->nstages; i++) {
        crm_stage *st = &out->stages[i];
        objectid_new(st->id);
        st->name = (char *)order[i]->name;
        st->color = arena_strdup(a, order[i]->color ? order[i]->color : DEFAULT_STAGE_COLOR);
        st->position = (int)i;
        st->is_active = true;
    }
    objectid_new(out->id);
    memcpy(out->org_id, me->org_id, sizeof out->org_id);
    out->description = arena_strdup(a, in->description);
    out->type = arena_strdup(a, in->type);
    out->is_default = in->is_default;
    out->is_active = true;
    memcpy(out->created_by, me->id, sizeof out->created_by);
    memcpy(out->updated_by, me->id, sizeof out->updated_by);
    out->created_at = out->updated_at = time_now_ms();
    return name_taken(app_write(app, insert_pipeline, out, err), out, err);
}

/* Moves every contact on `from` (a stage id) or, when from is NULL, in `pipeline_id`. */
static int move_contacts(store_conn *c, const crm_user *me, const char *pipeline_id, const char *from,
                         const crm_pipeline *to, const crm_stage *stage, arena *a, int64_t *moved)
{
    objectid *ids;
    size_t n, gone = 0;
    int rc = c->ops->contact_ids_in(c, me->org_id, pipeline_id, from, a, &ids, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        crm_contact ct;
        rc = contact_move_in_unit(c, me, me->org_id, ids[i], to, stage, false, a, &ct, NULL);
        if (rc == -CRM_E_NOT_FOUND) {
            /* deleted since it was listed (PostgreSQL: a delete takes no pipelines lock) */
            rc = 0;
            gone++;
        }
    }
    *moved = rc ? 0 : (int64_t)(n - gone);
    return rc;
}

struct upsert_work {
    const crm_user *me;
    const char *type, *pipeline_id;
    const pipeline_input *in;
    const stage_input **order;
    arena *a;
    crm_pipeline *out;
    stage_rename *renames;
    size_t nrenames;
    crm_err *err;
};

static crm_stage *find_stage(crm_pipeline *p, const char *id)
{
    for (size_t i = 0; i < p->nstages; i++)
        if (strcmp(p->stages[i].id, id) == 0)
            return &p->stages[i];
    return NULL;
}

static int upsert_unit(store_conn *c, void *arg)
{
    struct upsert_work *w = arg;
    crm_pipeline *p = w->out;
    const pipeline_input *in = w->in;
    int rc = w->pipeline_id ? c->ops->pipeline_get(c, w->me->org_id, w->pipeline_id, w->a, p)
                            : c->ops->pipeline_get_default(c, w->me->org_id, w->type, w->a, p);
    if (rc == 0 && w->pipeline_id && w->type && strcmp(p->type, w->type) != 0)
        rc = -CRM_E_NOT_FOUND;
    if (rc == -CRM_E_NOT_FOUND)
        return crm_fail(w->err, CRM_E_PIPELINE_NOT_FOUND, "pipelineId", "No such pipeline");
    if (rc)
        return rc;

    /* Every known stage (listed or not) plus the new ones; unlisted ones end up inactive. */
    const crm_pipeline old = *p;
    crm_stage *stages = arena_alloc(w->a, (old.nstages + in->nstages) * sizeof *stages);
    size_t n = 0;
    bool *listed = arena_alloc(w->a, old.nstages + 1);
    w->renames = arena_alloc(w->a, (in->nstages + 1) * sizeof *w->renames);
    for (size_t i = 0; i < in->nstages; i++) {
        const stage_input *s = w->order[i];
        crm_stage *st = &stages[n++];
        if (s->id) {
            crm_stage *known = find_stage(p, s->id);
            if (!known)
                return crm_fail(w->err, CRM_E_STAGE_NOT_FOUND, s->field, "%s._id is not a stage of this pipeline",
                                s->field);
            if (listed[known - p->stages])
                return crm_fail(w->err, CRM_E_VALIDATION_FAILED, s->field, "%s._id is listed twice", s->field);
            listed[known - p->stages] = true;
            *st = *known;
            if (strcmp(known->name, s->name) != 0) {
                stage_rename *r = &w->renames[w->nrenames++];
                r->from = known->name;
                r->to = s->name;
            }
        } else {
            memset(st, 0, sizeof *st);
            objectid_new(st->id);
        }
        st->name = (char *)s->name;
        if (s->color || !st->color)
            st->color = arena_strdup(w->a, s->color ? s->color : DEFAULT_STAGE_COLOR);
        st->position = (int)i;
        st->is_active = true;
    }
    for (size_t i = 0; i < old.nstages; i++) {
        if (listed[i])
            continue;
        stages[n] = old.stages[i];
        stages[n].is_active = false;
        stages[n].position = (int)n;
        for (size_t j = 0; j < n; j++)   /* an inactive stage must not keep an active one's name */
            if (stages[j].is_active && strcasecmp(stages[j].name, stages[n].name) == 0)
                return crm_fail(w->err, CRM_E_VALIDATION_FAILED, "pipelineStages",
                                "'%s' is the name of a stage left out; list it with its _id to keep it",
                                stages[n].name);
        n++;
    }
    if (n > PIPELINE_MAX_STAGES_KEPT)
        return crm_fail(w->err, CRM_E_VALIDATION_FAILED, "pipelineStages",
                        "A pipeline keeps at most %d stages, inactive ones included", PIPELINE_MAX_STAGES_KEPT);
    p->stages = stages;
    p->nstages = n;
    if (in->name) {
        p->name = str_trim(arena_strdup(w->a, in->name));
        if (!*p->name)
            return crm_fail(w->err, CRM_E_VALIDATION_FAILED, "name", "name may not be empty");
    }
    if (in->description)
        p->description = arena_strdup(w->a, in->description);
    memcpy(p->updated_by, w->me->id, sizeof p->updated_by);
    p->updated_at = time_now_ms();
    if ((rc = name_taken(c->ops->pipeline_update(c, p), p, w->err)))
        return rc;

    /* Contacts on a renamed stage carry its new name as their status. */
    for (size_t i = 0; i < w->nrenames; i++) {
        stage_rename *r = &w->renames[i];
        crm_stage *st = NULL;
        for (size_t j = 0; j < p->nstages && !st; j++)
            if (p->stages[j].name == r->to)
                st = &p->stages[j];
        if ((rc = move_contacts(c, w->me, p->id, st->id, p, st, w->a, &r->contacts)))
            return rc;
    }
    return 0;
}

int pipeline_upsert(crm_app *app, const crm_user *me, const char *type, const char *pipeline_id,
                    const pipeline_input *in, arena *a, crm_pipeline *out, stage_rename **renames, size_t *nrenames,
                    crm_err *err)
{
    const stage_input **order;
    int rc;
    if ((rc = require_admin(me, err)) || (rc = order_stages(in, a, &order, err)))
        return rc;
    struct upsert_work w = { me, type, pipeline_id, in, order, a, out, NULL, 0, err };
    if ((rc = app_write(app, upsert_unit, &w, err)))
        return rc;
    *renames = w.renames;
    *nrenames = w.nrenames;
    return 0;
}

struct remove_work {
    const crm_user *me;
    const char *pipeline_id, *target_id;
    arena *a;
    pipeline_transfer *out;
    crm_err *err;
};

static int remove_unit(store_conn *c, void *arg)
{
    struct remove_work *w = arg;
    crm_pipeline p;
    objectid *ids;
    size_t n;
    int rc = c->ops->pipeline_get(c, w->me->org_id, w->pipeline_id, w->a, &p);
    if (rc == -CRM_E_NOT_FOUND)
        return crm_fail(w->err, CRM_E_PIPELINE_NOT_FOUND, "id", "No such pipeline");
    if (rc)
        return rc;
    if (p.is_default)
        return crm_fail(w->err, CRM_E_VALIDATION_FAILED, "id", "The default pipeline cannot be deleted");
    if ((rc = c->ops->contact_ids_in(c, w->me->org_id, p.id, NULL, w->a, &ids, &n)))
        return rc;
    if (w->target_id) {
        crm_pipeline *t = &w->out->target;
        rc = c->ops->pipeline_get(c, w->me->org_id, w->target_id, w->a, t);
        if (rc == 0 && (!t->is_active || strcmp(t->type, p.type) != 0 || strcmp(t->id, p.id) == 0))
            rc = -CRM_E_NOT_FOUND;
        if (rc == -CRM_E_NOT_FOUND)
            return crm_fail(w->err, CRM_E_PIPELINE_NOT_FOUND, "targetPipelineId",
                            "targetPipelineId must be another active %s pipeline", p.type);
        if (rc)
            return rc;
        if (!(w->out->stage = pipeline_first_stage(t)))
            return crm_fail(w->err, CRM_E_STAGE_NOT_FOUND, "targetPipelineId", "The target pipeline has no active stage");
        if ((rc = move_contacts(c, w->me, p.id, NULL, t, w->out->stage, w->a, &w->out->records)))
            return rc;
    } else if (n > 0) {
        return crm_fail(w->err, CRM_E_VALIDATION_FAILED, "targetPipelineId",
                        "%zu contacts are in this pipeline: name a targetPipelineId to move them to", n);
    }
    return c->ops->pipeline_delete(c, w->me->org_id, p.id);
}

int pipeline_remove(crm_app *app, const crm_user *me, const char *pipeline_id, const char *target_id, arena *a,
                    pipeline_transfer *out, crm_err *err)
{
    int rc = require_admin(me, err);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    struct remove_work w = { me, pipeline_id, target_id, a, out, err };
    return app_write(app, remove_unit, &w, err);
}

struct reassign_work {
    const crm_user *me;
    const char *source_id, *target_id;
    arena *a;
    crm_stage *source, *target;
    int64_t moved;
    crm_err *err;
};

static int reassign_unit(store_conn *c, void *arg)
{
    struct reassign_work *w = arg;
    crm_pipeline p;
    int rc = c->ops->pipeline_get_by_stage(c, w->me->org_id, w->source_id, w->a, &p);
    if (rc == -CRM_E_NOT_FOUND)
        return crm_fail(w->err, CRM_E_STAGE_NOT_FOUND, "sourceStageId", "No such stage");
    if (rc)
        return rc;
    crm_stage *src = find_stage(&p, w->source_id), *dst = find_stage(&p, w->target_id);
    if (!dst) {
        crm_pipeline other;
        rc = c->ops->pipeline_get_by_stage(c, w->me->org_id, w->target_id, w->a, &other);
        if (rc == 0)
            return crm_fail(w->err, CRM_E_STAGE_MISMATCH, "targetStageId",
                            "targetStageId belongs to another pipeline than sourceStageId");
        return rc == -CRM_E_NOT_FOUND ? crm_fail(w->err, CRM_E_STAGE_NOT_FOUND, "targetStageId", "No such stage") : rc;
    }
    if (!dst->is_active)
        return crm_fail(w->err, CRM_E_STAGE_NOT_FOUND, "targetStageId", "targetStageId is not an active stage");
    if ((rc = move_contacts(c, w->me, p.id, src->id, &p, dst, w->a, &w->moved)))
        return rc;
    src->is_active = false;
    memcpy(p.updated_by, w->me->id, sizeof p.updated_by);
    p.updated_at = time_now_ms();
    *w->source = *src;
    *w->target = *dst;
    return c->ops->pipeline_update(c, &p);
}

int stage_reassign(crm_app *app, const crm_user *me, const char *source_id, const char *target_id, arena *a,
                   crm_stage *source, crm_stage *target, int64_t *moved, crm_err *err)
{
    int rc = require_admin(me, err);
    if (rc)
        return rc;
    if (strcmp(source_id, target_id) == 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "targetStageId", "targetStageId must differ from sourceStageId");
    struct reassign_work w = { me, source_id, target_id, a, source, target, 0, err };
    if ((rc = app_write(app, reassign_unit, &w, err)))
        return rc;
    *moved = w.moved;
    return 0;
}
