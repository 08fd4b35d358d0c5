/* Pipelines and their stages: the default pipeline of a new organization, reading, and the
 * resolution of a contact's pipeline and stage (API.md §5.2 step 5). */
#ifndef CRM_PIPELINES_H
#define CRM_PIPELINES_H

#include "service/app.h"

#define PIPELINE_TYPE_CONTACT "Contact"
#define PIPELINE_TYPE_APPLICATION "Application"

bool pipeline_type_valid(const char *type);
/* The active stage with the lowest position (NULL when none is active). */
const crm_stage *pipeline_first_stage(const crm_pipeline *p);

/* Fills p with the default Contact pipeline of a new org (New Lead … Lost) in the arena. */
void pipeline_default_build(const char *org_id, const char *created_by, int64_t now, arena *a, crm_pipeline *p);

/* GET /api/pipelines: the pipeline pipeline_id (or the org's default of `type` when NULL). */
int pipeline_read(crm_app *app, const crm_user *me, const char *type, const char *pipeline_id, arena *a,
                  crm_pipeline *out, crm_err *err);

/* Inside a unit of work: resolves pipelineId / status / pipelineStage for a contact of org_id.
 * Any of the three may be NULL. On success *pipeline and *stage point into the arena. */
int pipeline_resolve_stage(store_conn *c, const char *org_id, const char *pipeline_id, const char *status,
                           const char *stage_id, arena *a, crm_pipeline *pipeline, const crm_stage **stage,
                           crm_err *err);



int pipeline_list_for(crm_app *app, const crm_user *me, const char *type, arena *a, crm_pipeline **out, size_t *n,
                      crm_err *err);

#define PIPELINE_MAX_STAGES 50
#define PIPELINE_MAX_STAGES_KEPT 200   /* active and deactivated */

typedef struct stage_input {
    const char *id;        /* NULL for a new stage */
    const char *name, *color;
    int64_t position;      /* -1: not given */
    const char *field;     /* "pipelineStages[2]" */
} stage_input;

typedef struct pipeline_input {
    const char *name, *type, *description;
    bool is_default;
    stage_input *stages;
    size_t nstages;
} pipeline_input;

/* POST /api/pipelines/create (ADMIN): trimmed unique name per org and type; stages ordered by
 * their position and renumbered from 0. */
int pipeline_create(crm_app *app, const crm_user *me, const pipeline_input *in, arena *a, crm_pipeline *out,
                    crm_err *err);

/* One "Old -> New" entry of contactsMigrated. */
typedef struct stage_rename {
    const char *from, *to;
    int64_t contacts;
} stage_rename;

/* POST /api/pipelines?type= (ADMIN): upserts the stages of pipeline_id (the default of `type`
 * when NULL). Listed stages with an id are updated, without one added; the others deactivated.
 * Contacts on a renamed stage take the new name as status, in the same transaction. */
int pipeline_upsert(crm_app *app, const crm_user *me, const char *type, const char *pipeline_id,
                    const pipeline_input *in, arena *a, crm_pipeline *out, stage_rename **renames, size_t *nrenames,
                    crm_err *err);

typedef struct pipeline_transfer {
    int64_t records;
    crm_pipeline target;       /* valid when records moved or a target was named */
    const crm_stage *stage;    /* NULL when no target */
} pipeline_transfer;

/* DELETE /api/pipelines/{id} (ADMIN): never the default; contacts still in it need target_id
 * and move to its first active stage. */
int pipeline_remove(crm_app *app, const crm_user *me, const char *pipeline_id, const char *target_id, arena *a,
                    pipeline_transfer *out, crm_err *err);

/* POST /api/pipelines/stages/reassign (ADMIN): moves every contact of source to target (an
 * active stage of the same pipeline) and deactivates source. */
int stage_reassign(crm_app *app, const crm_user *me, const char *source_id, const char *target_id, arena *a,
                   crm_stage *source, crm_stage *target, int64_t *moved, crm_err *err);
#endif
