/* Boards (Tether's kanban endpoints, API.md §5.4): one page of contacts per stage of a pipeline,
 * with each stage's exact total, under the filters and the visibility of the contact list. */
#ifndef CRM_BOARDS_H
#define CRM_BOARDS_H

#include "service/contacts.h"

#define BOARD_MAX_OWNERS 50

/* A page asked for one stage, keyed by the stage's id or name (`field` names it in errors). */
typedef struct board_page {
    const char *stage;
    int64_t page;
    const char *field;
} board_page;

typedef struct board_input {
    const char *pipeline_id;           /* NULL: the org's default Contact pipeline */
    const board_page *pages;           /* stages not listed get page 1 */
    size_t npages;
    int64_t size;                      /* per stage */
    const char *search, *source;
    const char *status;                /* a stage name: only that stage */
    const char *status_field;          /* the key that carried it, for errors */
    const char *stage_id;              /* POST /api/contacts/status's pipelineStage (NULL: none) */
    const char *const *stages;         /* ids or names: only those stages (none: every one) */
    size_t nstages;
    const char *owner_filter;          /* my (default), all, team, unassigned or a user id */
    const char *const *owners;         /* creator, owner or assignee is one of them; overrides owner_filter */
    size_t nowners;
    int64_t created_from, created_to;  /* 0: open */
} board_input;

typedef struct board_bucket {
    const crm_stage *stage;
    int64_t page;
    crm_contact *contacts;
    size_t n;
    int64_t total;
} board_bucket;

/* The buckets of the selected active stages of the pipeline, in position order. *pipeline is
 * the board's pipeline (for stageIdByName / stageNameById). */
int board_load(crm_app *app, const crm_user *me, const board_input *in, arena *a, crm_pipeline *pipeline,
               board_bucket **out, size_t *n, crm_err *err);

#endif
