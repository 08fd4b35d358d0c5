/* Pipelines: the default one every organization starts with, reads, and stage resolution. */
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include "service/pipelines.h"
#include "lib/timefmt.h"
#include "lib/utf8.h"

bool pipeline_type_valid(const char *type)
{
    return type && (strcmp(type, PIPELINE_TYPE_CONTACT) == 0 || strcmp(type, PIPELINE_TYPE_APPLICATION) == 0);
}

void pipeline_default_build(const char *org_id, const char *created_by, int64_t now, arena *a, crm_pipeline *p)
{
    static const struct { const char *name, *color; } stages[] = {
        { "New Lead", "#3b82f6" }, { "Contacted", "#f59e0b" }, { "Qualified", "#8b5cf6" },
        { "Won", "#10b981" },      { "Lost", "#ef4444" },
    };
    const size_t n = sizeof stages / sizeof stages[0];

    memset(p, 0, sizeof *p);
    objectid_new(p->id);
    memcpy(p->org_id, org_id, sizeof p->org_id);
    p->name = arena_strdup(a, "Contact Pipeline");
    p->description = arena_strdup(a, "Default pipeline for contacts");
    p->type = arena_strdup(a, PIPELINE_TYPE_CONTACT);
    p->is_default = p->is_active = true;
    p->stages = arena_alloc(a, n * sizeof *p->stages);
    p->nstages = n;
    for (size_t i = 0; i < n; i++) {
        objectid_new(p->stages[i].id);
        p->stages[i].name = arena_strdup(a, stages[i].name);
        p->stages[i].color = arena_strdup(a, stages[i].color);
        p->stages[i].position = (int)i;
        p->stages[i].is_active = true;
    }
    memcpy(p->created_by, created_by, sizeof p->created_by);
    memcpy(p->updated_by, created_by, sizeof p->updated_by);
    p->created_at = p->updated_at = now;
}

int pipeline_read(crm_app *app, const crm_user *me, const char *type, const char *pipeline_id, arena *a,
                  crm_pipeline *out, crm_err *err)
{
    store_conn *c;
    int rc;
    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    rc = pipeline_id ? c->ops->pipeline_get(c, me->org_id, pipeline_id, a, out)
                     : c->ops->pipeline_get_default(c, me->org_id, type, a, out);
    if (rc == 0 && pipeline_id && type && strcmp(out->type, type) != 0)
        rc = -CRM_E_NOT_FOUND;
    if (rc == -CRM_E_NOT_FOUND)
        return crm_fail(err, CRM_E_PIPELINE_NOT_FOUND, pipeline_id ? "pipelineId" : NULL, "No such pipeline");
    return rc ? crm_fail(err, -rc, NULL, NULL) : 0;
}

const crm_stage *pipeline_first_stage(const crm_pipeline *p)
{
    const crm_stage *best = NULL;
    for (size_t i = 0; i < p->nstages; i++)
        if (p->stages[i].is_active && (!best || p->stages[i].position < best->position))
            best = &p->stages[i];
    return best;
}

/* Stage names compare trimmed and case-insensitively (ASCII); the stored spelling is kept. */
static const crm_stage *stage_by_name(const crm_pipeline *p, const char *name, arena *a)
{
    char *want = str_trim(arena_strdup(a, name));
    for (size_t i = 0; i < p->nstages; i++)
        if (p->stages[i].is_active && strcasecmp(p->stages[i].name, want) == 0)
            return &p->stages[i];
    return NULL;
}

static const crm_stage *stage_by_id(const crm_pipeline *p, const char *id)
{
    for (size_t i = 0; i < p->nstages; i++)
        if (p->stages[i].is_active && strcmp(p->stages[i].id, id) == 0)
            return &p->stages[i];
    return NULL;
}

int pipeline_resolve_stage(store_conn *c, const char *org_id, const char *pipeline_id, const char *status,
                           const char *stage_id, arena *a, crm_pipeline *pipeline, const crm_stage **stage,
                           crm_err *err)
{
    int rc;
    if (pipeline_id)
        rc = c->ops->pipeline_get(c, org_id, pipeline_id, a, pipeline);
    else if (stage_id) {
        rc = c->ops->pipeline_get_by_stage(c, org_id, stage_id, a, pipeline);
        if (rc == -CRM_E_NOT_FOUND)
            return crm_fail(err, CRM_E_STAGE_NOT_FOUND, "pipelineStage", "No such stage in your organization");
    } else
        rc = c->ops->pipeline_get_default(c, org_id, PIPELINE_TYPE_CONTACT, a, pipeline);
    if (rc == 0 && (!pipeline->is_active || strcmp(pipeline->type, PIPELINE_TYPE_CONTACT) != 0))
        rc = -CRM_E_NOT_FOUND;
    if (rc == -CRM_E_NOT_FOUND)
        return crm_fail(err, CRM_E_PIPELINE_NOT_FOUND, "pipelineId", "No such active Contact pipeline");
    if (rc)
        return rc;

    const crm_stage *by_name = status ? stage_by_name(pipeline, status, a) : NULL;
    const crm_stage *by_id = stage_id ? stage_by_id(pipeline, stage_id) : NULL;
    if (status && !by_name)
        return crm_fail(err, CRM_E_STAGE_NOT_FOUND, "status", "No active stage of the pipeline has this name");
    if (stage_id && !by_id)
        return crm_fail(err, CRM_E_STAGE_NOT_FOUND, "pipelineStage", "No active stage of the pipeline has this id");
    if (by_name && by_id && by_name != by_id)
        return crm_fail(err, CRM_E_STAGE_MISMATCH, "pipelineStage", "status and pipelineStage name different stages");
    *stage = by_id ? by_id : by_name ? by_name : pipeline_first_stage(pipeline);
    if (!*stage)
        return crm_fail(err, CRM_E_STAGE_NOT_FOUND, NULL, "The pipeline has no active stage");
    return 0;
}

int pipeline_list_for(crm_app *app, const crm_user *me, const char *type, arena *a, crm_pipeline **out, size_t *n,
                      crm_err *err)
{
    store_conn *c;
    int rc;
    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->pipeline_list(c, me->org_id, type, a, out, n)))
        return crm_fail(err, -rc, NULL, NULL);
    return 0;
}

