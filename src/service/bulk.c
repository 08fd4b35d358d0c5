/* Bulk operations by query: the filter, the count and the move (the delete job is bulk_job.c). */
#include <string.h>
#include <strings.h>
#include "lib/utf8.h"
#include "service/bulk.h"
#include "service/pipelines.h"

#define MATCH_PAGE 500

int bulk_require_role(const crm_user *me, crm_err *err)
{
    int rc = require_org_member(me, err);
    if (rc == 0 && me->role != ROLE_ADMIN && me->role != ROLE_DEPARTMENT_HEAD)
        return crm_fail(err, CRM_E_FORBIDDEN, NULL, "Bulk operations are for ADMIN and DEPARTMENT_HEAD");
    return rc;
}

/* A stage of one of the org's Contact pipelines (deactivated stages still hold contacts). */
static int check_stage(store_conn *c, const crm_user *me, const char *stage_id, const char *field, arena *a,
                       crm_pipeline *p, const crm_stage **stage, crm_err *err)
{
    int rc = c->ops->pipeline_get_by_stage(c, me->org_id, stage_id, a, p);
    if (rc && rc != -CRM_E_NOT_FOUND)
        return crm_fail(err, -rc, NULL, NULL);
    *stage = NULL;
    for (size_t i = 0; rc == 0 && i < p->nstages; i++)
        if (strcmp(p->stages[i].id, stage_id) == 0)
            *stage = &p->stages[i];
    if (!*stage || strcmp(p->type, PIPELINE_TYPE_CONTACT) != 0)
        return crm_fail(err, CRM_E_STAGE_NOT_FOUND, field, "%s is not a stage of a Contact pipeline of your organization",
                        field);
    return 0;
}

static int filter_queries(store_conn *c, const crm_user *me, const bulk_filter *f, arena *a, contact_query **out,
                          size_t *n, crm_err *err)
{
    contact_query base = {
        .source = f->source, .created_from = f->created_after, .created_to = f->created_before, .limit = MATCH_PAGE,
    };
    int rc;
    if (f->owner_filter)
        base.owner_mode = strcmp(f->owner_filter, "owned") == 0 ? CONTACT_OWNER_ASSIGNED : CONTACT_OWNER_UNASSIGNED;
    if (f->search && *f->search) {
        contact_list_input li = { .page = 1, .size = 1, .search = f->search, .owner_filter = "all" };
        contact_query sq;
        if ((rc = contact_list_query(me, &li, a, &sq, err)))
            return rc;
        base.search = sq.search;
        base.search_digits = sq.search_digits;
    }
    if (me->role == ROLE_SALES_REP)
        base.visible_to = me->id;
    if (!f->nstages && !f->org_wide)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "stageIds", "stageIds is required unless orgWide is true");
    *n = f->nstages ? f->nstages : 1;
    *out = arena_alloc(a, *n * sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        (*out)[i] = base;
        if (!f->nstages)
            continue;
        crm_pipeline p;
        const crm_stage *s;
        if ((rc = check_stage(c, me, f->stage_ids[i], arena_printf(a, "stageIds[%zu]", i), a, &p, &s, err)))
            return rc;
        for (size_t k = 0; k < i; k++)
            if (strcmp(f->stage_ids[k], f->stage_ids[i]) == 0)
                return crm_fail(err, CRM_E_VALIDATION_FAILED, arena_printf(a, "stageIds[%zu]", i),
                                "stageIds lists a stage twice");
        (*out)[i].stage_id = s->id;
    }
    return 0;
}

int bulk_queries(crm_app *app, const crm_user *me, const bulk_filter *f, arena *a, contact_query **out, size_t *n,
                 crm_err *err)
{
    store_conn *c;
    int rc;
    if ((rc = bulk_require_role(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    return filter_queries(c, me, f, a, out, n, err);
}

int bulk_count(crm_app *app, const crm_user *me, const bulk_filter *f, int64_t *count, crm_err *err)
{
    arena *a = arena_new();
    store_conn *c;
    contact_query *qs;
    size_t nq;
    int rc = bulk_queries(app, me, f, a, &qs, &nq, err);
    if (rc == 0)
        rc = app_reader(app, &c, err);
    *count = 0;
    for (size_t i = 0; rc == 0 && i < nq; i++) {
        crm_contact *rows;
        size_t n;
        int64_t total = 0;
        qs[i].limit = 0;
        if ((rc = c->ops->contact_list(c, me->org_id, &qs[i], a, &rows, &n, &total)))
            rc = crm_fail(err, -rc, NULL, NULL);
        *count += total;
    }
    arena_destroy(a);
    return rc;
}

typedef int (*page_fn)(const crm_contact *rows, size_t n, arena *page, void *arg);

/* Calls fn with every match of q, a page (q.limit) at a time in list order, keyset-paged: rows
 * that a page's work moves out of q's criteria do not shift the pages still to read. */
static int each_page(store_conn *c, const char *org_id, contact_query q, page_fn fn, void *arg)
{
    arena *page = arena_new();
    int rc;
    for (;;) {
        crm_contact *rows;
        size_t got;
        arena_reset(page);
        if ((rc = c->ops->contact_list(c, org_id, &q, page, &rows, &got, NULL)) || (rc = fn(rows, got, page, arg)) ||
            got < (size_t)q.limit)
            break;
        q.after = true;
        q.after_created_at = rows[got - 1].created_at;
        memcpy(q.after_id, rows[got - 1].id, sizeof q.after_id);
    }
    arena_destroy(page);
    return rc;
}

struct id_list {
    arena *a;
    objectid *ids;
    size_t n, cap;
};

static int add_ids(const crm_contact *rows, size_t n, arena *page, void *arg)
{
    struct id_list *l = arg;
    (void)page;
    if (l->n + n > l->cap) {
        size_t grown = l->cap ? l->cap * 2 : 1024;
        while (grown < l->n + n)
            grown *= 2;
        objectid *more = arena_alloc(l->a, grown * sizeof *more);
        if (l->n)
            memcpy(more, l->ids, l->n * sizeof *more);
        l->ids = more;
        l->cap = grown;
    }
    for (size_t k = 0; k < n; k++)
        memcpy(l->ids[l->n++], rows[k].id, sizeof(objectid));
    return 0;
}

int bulk_match(store_conn *c, const crm_user *me, const bulk_filter *f, arena *a, objectid **ids, size_t *n,
               crm_err *err)
{
    contact_query *qs;
    size_t nq;
    struct id_list l = { a, NULL, 0, 0 };
    int rc = filter_queries(c, me, f, a, &qs, &nq, err);
    for (size_t i = 0; rc == 0 && i < nq; i++)
        if ((rc = each_page(c, me->org_id, qs[i], add_ids, &l)))
            rc = crm_fail(err, -rc, NULL, NULL);
    *ids = l.ids;
    *n = l.n;
    return rc;
}

struct move_work {
    const crm_user *me;
    const bulk_filter *f;
    const char *stage_id, *status;
    int64_t matched, modified;
    crm_err *err;
    store_conn *c;
};

struct move_page {
    struct move_work *w;
    const crm_pipeline *p;
    const crm_stage *stage;
};

static int move_rows(const crm_contact *rows, size_t n, arena *page, void *arg)
{
    struct move_page *m = arg;
    m->w->matched += (int64_t)n;
    return contact_move_many_in_unit(m->w->c, m->w->me, rows, n, m->p, m->stage, page, &m->w->modified);
}

/* One unit: the filter is read and every match moved in the same transaction, so the move is
 * all-or-nothing and sees no contact half-changed by another writer. */
static int move_unit(store_conn *c, void *arg)
{
    struct move_work *w = arg;
    arena *a = arena_new();
    crm_pipeline p;
    w->c = c;
    const crm_stage *stage;
    contact_query *qs;
    size_t nq;
    w->matched = w->modified = 0;
    int rc = check_stage(c, w->me, w->stage_id, "targetStageId", a, &p, &stage, w->err);
    if (rc == 0 && (!stage->is_active || !p.is_active))
        rc = crm_fail(w->err, CRM_E_STAGE_NOT_FOUND, "targetStageId", "targetStageId is not an active stage");
    if (rc == 0 && strcasecmp(str_trim(arena_strdup(a, w->status)), stage->name) != 0)
        rc = crm_fail(w->err, CRM_E_STAGE_MISMATCH, "targetStatus", "targetStatus is not the name of targetStageId");
    if (rc == 0)
        rc = filter_queries(c, w->me, w->f, a, &qs, &nq, w->err);
    /* The target's own stage first: its contacts are matched, not modified, and counted before
     * the others move in. */
    for (size_t i = 0; rc == 0 && i < nq; i++) {
        if (!qs[i].stage_id || strcmp(qs[i].stage_id, stage->id) != 0)
            continue;
        crm_contact *none;
        size_t zero;
        int64_t total;
        contact_query count = qs[i];
        count.limit = 0;
        if ((rc = c->ops->contact_list(c, w->me->org_id, &count, a, &none, &zero, &total)) == 0)
            w->matched += total;
    }
    struct move_page mp = { w, &p, stage };
    for (size_t i = 0; rc == 0 && i < nq; i++)
        if (!qs[i].stage_id || strcmp(qs[i].stage_id, stage->id) != 0)
            rc = each_page(c, w->me->org_id, qs[i], move_rows, &mp);
    arena_destroy(a);
    return rc;
}

int bulk_move(crm_app *app, const crm_user *me, const bulk_filter *f, const char *target_stage_id,
              const char *target_status, int64_t *matched, int64_t *modified, crm_err *err)
{
    struct move_work w = { me, f, target_stage_id, target_status, 0, 0, err, NULL };
    int rc = bulk_require_role(me, err);
    if (rc == 0)
        rc = app_write(app, move_unit, &w, err);
    *matched = rc ? 0 : w.matched;
    *modified = rc ? 0 : w.modified;
    return rc;
}
