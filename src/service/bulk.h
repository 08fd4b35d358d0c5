/* Bulk operations by query (API.md §5.5): a shared filter over the contacts of one organization,
 * counted, moved to a stage in one all-or-nothing unit, deleted by a durable background job, or
 * exported as Tether's CSV. ADMIN and DEPARTMENT_HEAD only. */
#ifndef CRM_BULK_H
#define CRM_BULK_H

#include "service/contacts.h"

#define BULK_MAX_STAGES 200

typedef struct bulk_filter {
    const char *const *stage_ids;      /* NULL/0 only with org_wide */
    size_t nstages;
    bool org_wide;
    const char *owner_filter;          /* "owned", "unowned" or NULL (any) */
    int64_t created_after, created_before;   /* inclusive, ms; 0: open */
    const char *source, *search;       /* NULL: any */
} bulk_filter;

/* ADMIN and DEPARTMENT_HEAD of an organization, else FORBIDDEN: every bulk endpoint checks it
 * before it reads the filter. */
int bulk_require_role(const crm_user *me, crm_err *err);

/* POST /api/contacts/query-count. */
int bulk_count(crm_app *app, const crm_user *me, const bulk_filter *f, int64_t *count, crm_err *err);

/* PUT /api/contacts/query-bulk-move: every match moves to target_stage_id (which target_status
 * must name) of a Contact pipeline of the org, in one unit of work; *modified counts the
 * contacts that changed (each with its CONTACT_UPDATE entry and contact_updated event). */
int bulk_move(crm_app *app, const crm_user *me, const bulk_filter *f, const char *target_stage_id,
              const char *target_status, int64_t *matched, int64_t *modified, crm_err *err);

/* Inside a unit of work (or on a reader): the ids of every contact the filter matches, checking
 * the filter's stages; ids in the arena. */
int bulk_match(store_conn *c, const crm_user *me, const bulk_filter *f, arena *a, objectid **ids, size_t *n,
               crm_err *err);

/* The store queries of a filter, one per stage (one for the organization when org_wide), in
 * the arena; checks the role and the stages. For the export. */
int bulk_queries(crm_app *app, const crm_user *me, const bulk_filter *f, arena *a, contact_query **out, size_t *n,
                 crm_err *err);

#endif
