/* Boards: the list's query (search, source, dates, owner, visibility) run once per selected stage,
 * each a page and an exact count read through the (organization, stage, created_at) index. */
#include <string.h>
#include <strings.h>
#include "lib/utf8.h"
#include "service/account_cache.h"
#include "service/boards.h"
#include "service/pipelines.h"

/* The active stage named by key: its id, else its name (trimmed, case-insensitive). */
static const crm_stage *find_stage(const crm_pipeline *p, const char *key, arena *a)
{
    char *name = str_trim(arena_strdup(a, key));
    for (size_t i = 0; i < p->nstages; i++)
        if (p->stages[i].is_active && strcmp(p->stages[i].id, key) == 0)
            return &p->stages[i];
    for (size_t i = 0; i < p->nstages; i++)
        if (p->stages[i].is_active && strcasecmp(p->stages[i].name, name) == 0)
            return &p->stages[i];
    return NULL;
}

static int unknown_stage(crm_err *err, const char *field)
{
    return crm_fail(err, CRM_E_STAGE_NOT_FOUND, field, "%s names no active stage of the pipeline", field);
}

/* Marks the stages the board shows (want[i] for p->stages[i]) and the page of each. */
static int select_stages(const crm_pipeline *p, const board_input *in, arena *a, bool *want, int64_t *page,
                         crm_err *err)
{
    const crm_stage *only = NULL;
    for (size_t i = 0; i < p->nstages; i++) {
        want[i] = p->stages[i].is_active && !in->nstages && !in->status && !in->stage_id;
        page[i] = 1;
    }
    if (in->status && !(only = find_stage(p, in->status, a)))
        return unknown_stage(err, in->status_field);
    if (in->stage_id) {
        const crm_stage *by_id = find_stage(p, in->stage_id, a);
        if (!by_id || strcmp(by_id->id, in->stage_id) != 0)
            return unknown_stage(err, "pipelineStage");
        if (only && only != by_id)
            return crm_fail(err, CRM_E_STAGE_MISMATCH, "pipelineStage", "status and pipelineStage name different stages");
        only = by_id;
    }
    if (only)
        want[only - p->stages] = true;
    for (size_t k = 0; k < in->nstages; k++) {
        const crm_stage *s = find_stage(p, in->stages[k], a);
        if (!s)
            return unknown_stage(err, arena_printf(a, "stages[%zu]", k));
        if (!only || s == only)
            want[s - p->stages] = true;
    }
    for (size_t k = 0; k < in->npages; k++) {
        const crm_stage *s = find_stage(p, in->pages[k].stage, a);
        if (!s)
            return unknown_stage(err, in->pages[k].field);
        page[s - p->stages] = in->pages[k].page;
    }
    return 0;
}

/* A user of the caller's organization, or VALIDATION_FAILED naming field. */
static int check_user(crm_app *app, store_conn *c, const crm_user *me, const char *id, const char *field, arena *a,
                      crm_err *err)
{
    crm_user u;
    int rc = account_cache_user(app, c, id, a, &u);
    if (rc == -CRM_E_NOT_FOUND || (rc == 0 && strcmp(u.org_id, me->org_id) != 0))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s is not a user of your organization", field);
    return rc ? crm_fail(err, -rc, NULL, NULL) : 0;
}

/* The list's query for the board's filters, with the board's owner rules on top. */
static int board_query(crm_app *app, store_conn *c, const crm_user *me, const board_input *in, arena *a,
                       contact_query *q, crm_err *err)
{
    const char *filter = in->owner_filter;
    int rc;
    if (filter && strcmp(filter, "team") == 0)
        filter = me->role == ROLE_SALES_REP ? "my" : "all";
    contact_list_input li = {
        .page = 1, .size = in->size, .search = in->search, .source = in->source, .owner_filter = filter,
        .created_from = in->created_from, .created_to = in->created_to,
    };
    if ((rc = contact_list_query(me, &li, a, q, err)))
        return rc;
    if (q->owner_mode == CONTACT_OWNER_USER && filter && objectid_valid(filter) &&
        (rc = check_user(app, c, me, filter, "ownerFilter", a, err)))
        return rc;
    for (size_t i = 0; i < in->nowners; i++)
        if ((rc = check_user(app, c, me, in->owners[i], arena_printf(a, "owner[%zu]", i), a, err)))
            return rc;
    if (in->nowners) {
        q->owner_mode = CONTACT_OWNER_AMONG;
        q->owner_id = NULL;
        q->owner_ids = in->owners;
        q->nowner_ids = in->nowners;
    }
    return 0;
}

int board_load(crm_app *app, const crm_user *me, const board_input *in, arena *a, crm_pipeline *pipeline,
               board_bucket **out, size_t *n, crm_err *err)
{
    store_conn *c;
    contact_query q;
    int rc;
    if ((rc = pipeline_read(app, me, PIPELINE_TYPE_CONTACT, in->pipeline_id, a, pipeline, err)) ||
        (rc = app_reader(app, &c, err)) || (rc = board_query(app, c, me, in, a, &q, err)))
        return rc;
    bool *want = arena_alloc(a, (pipeline->nstages + 1) * sizeof *want);
    int64_t *page = arena_alloc(a, (pipeline->nstages + 1) * sizeof *page);
    if ((rc = select_stages(pipeline, in, a, want, page, err)))
        return rc;
    *out = arena_alloc(a, (pipeline->nstages + 1) * sizeof **out);
    *n = 0;
    for (size_t i = 0; i < pipeline->nstages; i++) {   /* stages are kept in position order */
        if (!want[i])
            continue;
        board_bucket *b = &(*out)[(*n)++];
        b->stage = &pipeline->stages[i];
        b->page = page[i];
        q.stage_id = b->stage->id;
        q.limit = in->size;
        q.offset = (page[i] - 1) * in->size;
        if ((rc = c->ops->contact_list(c, me->org_id, &q, a, &b->contacts, &b->n, &b->total)))
            return crm_fail(err, -rc, NULL, NULL);
    }
    return 0;
}
