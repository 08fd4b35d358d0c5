/* §4: pipelines — reading, listing and creating. */
#include "api/routes.h"
#include "service/pipelines.h"
#include "service/render.h"

/* Pipeline writes are ADMIN-only; the role is checked before the body is read. */
static int admin_only(const crm_user *me, crm_err *err)
{
    int rc = require_org_member(me, err);
    if (rc == 0 && me->role != ROLE_ADMIN)
        rc = crm_fail(err, CRM_E_FORBIDDEN, NULL, "Only an ADMIN may change pipelines");
    return rc;
}

static int query_type(http_req *r, const char **type, crm_err *err)
{
    *type = http_req_query(r, "type");
    if (*type && !pipeline_type_valid(*type))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "type", "type must be Contact or Application");
    return 0;
}

static void get_pipeline(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    crm_pipeline p;
    const char *type, *id;
    int rc;

    if ((rc = api_authenticate(r, &me, &err)) || (rc = query_type(r, &type, &err)) ||
        (rc = qin_id(r, "pipelineId", &id, &err)) || (rc = pipeline_read(api_app(), me, type ? type : PIPELINE_TYPE_CONTACT, id, http_req_arena(r), &p, &err)))
        goto done;
    api_send_json(r, 200, json_pack("{s:o}", "pipeline", render_pipeline(&p)));
done:
    if (rc)
        api_send_error(r, &err);
}

static void list_pipelines(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    crm_pipeline *list;
    size_t n;
    const char *type;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = query_type(r, &type, &err)) || (rc = pipeline_list_for(api_app(), me, type, http_req_arena(r), &list, &n, &err)))
        goto done;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, render_pipeline(&list[i]));
    api_send_ok(r, 200, "Pipelines", json_pack("{s:o}", "pipelines", arr));
done:
    if (rc)
        api_send_error(r, &err);
}

/* pipelineStages: [{_id?, name, color?, position?}] */
static int read_stages(http_req *r, json_t *body, pipeline_input *in, crm_err *err)
{
    json_t *v = json_object_get(body, "pipelineStages");
    if (!json_is_array(v))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "pipelineStages", "pipelineStages must be an array of stages");
    in->nstages = json_array_size(v);
    if (in->nstages > PIPELINE_MAX_STAGES)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "pipelineStages", "A pipeline has at most %d stages",
                        PIPELINE_MAX_STAGES);
    in->stages = arena_alloc(http_req_arena(r), (in->nstages + 1) * sizeof *in->stages);
    for (size_t i = 0; i < in->nstages; i++) {
        json_t *item = json_array_get(v, i);
        stage_input *s = &in->stages[i];
        char *f = arena_printf(http_req_arena(r), "pipelineStages[%zu]", i);
        char *fname = arena_printf(http_req_arena(r), "%s.name", f), *fcolor = arena_printf(http_req_arena(r), "%s.color", f);
        s->field = f;
        s->position = -1;
        if (!json_is_object(item))
            return crm_fail(err, CRM_E_VALIDATION_FAILED, f, "%s must be an object", f);
        int rc = jin_string(item, "name", fname, 100, true, &s->name, err);
        if (rc || (rc = jin_string(item, "color", fcolor, 32, false, &s->color, err)) ||
            (rc = jin_objectid(item, "_id", false, &s->id, err)))
            return rc;
        json_t *pos = json_object_get(item, "position");
        if (pos && !json_is_null(pos)) {
            if (!json_is_integer(pos) || json_integer_value(pos) < 0 || json_integer_value(pos) > 1000)
                return crm_fail(err, CRM_E_VALIDATION_FAILED, arena_printf(http_req_arena(r), "%s.position", f),
                                "%s.position must be an integer from 0 to 1000", f);
            s->position = json_integer_value(pos);
        }
    }
    return 0;
}

static void create_pipeline(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    pipeline_input in = { 0 };
    crm_pipeline p;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = admin_only(me, &err)) || (rc = api_body_object(r, &body, &err)) ||
        (rc = jin_string(body, "name", "name", 100, true, &in.name, &err)) ||
        (rc = jin_string(body, "type", "type", 32, false, &in.type, &err)) ||
        (rc = jin_string(body, "description", "description", 500, false, &in.description, &err)) ||
        (rc = jin_bool(body, "isDefault", &in.is_default, NULL, &err)) || (rc = read_stages(r, body, &in, &err)))
        goto done;
    if (!in.type)
        in.type = PIPELINE_TYPE_CONTACT;
    if ((rc = pipeline_create(api_app(), me, &in, http_req_arena(r), &p, &err)))
        goto done;
    api_send_ok(r, 201, "Pipeline created", json_pack("{s:o}", "pipeline", render_pipeline(&p)));
done:
    if (rc)
        api_send_error(r, &err);
    json_decref(body);
}

static json_t *stage_ref(const crm_stage *s)
{
    return s ? json_pack("{s:s, s:s}", "id", s->id, "name", s->name) : json_null();
}

static void upsert_pipeline(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    pipeline_input in = { 0 };
    const char *type, *id;
    crm_pipeline p;
    stage_rename *renames;
    size_t n;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = admin_only(me, &err)) || (rc = query_type(r, &type, &err)) ||
        (rc = api_body_object(r, &body, &err)) || (rc = jin_objectid(body, "pipelineId", false, &id, &err)) ||
        (rc = jin_string(body, "name", "name", 100, false, &in.name, &err)) ||
        (rc = jin_string(body, "description", "description", 500, false, &in.description, &err)) ||
        (rc = read_stages(r, body, &in, &err)) ||
        (rc = pipeline_upsert(api_app(), me, type ? type : PIPELINE_TYPE_CONTACT, id, &in, http_req_arena(r), &p,
                              &renames, &n, &err)))
        goto done;
    json_t *migrated = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(migrated, arena_printf(http_req_arena(r), "%s -> %s", renames[i].from, renames[i].to),
                            json_integer(renames[i].contacts));
    api_send_json(r, 200, json_pack("{s:b, s:s, s:o, s:o}", "success", 1, "message", "Pipeline updated", "pipeline",
                                    render_pipeline(&p), "contactsMigrated", migrated));
done:
    if (rc)
        api_send_error(r, &err);
    json_decref(body);
}

static void delete_pipeline(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *id, *target = NULL;
    pipeline_transfer t;
    size_t len;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = admin_only(me, &err)) || (rc = api_path_id(r, "id", &id, &err)))
        goto done;
    http_req_body(r, &len);   /* the body is optional here */
    if (len && ((rc = api_body_object(r, &body, &err)) || (rc = jin_objectid(body, "targetPipelineId", false, &target, &err))))
        goto done;
    if (!target && (rc = qin_id(r, "targetPipelineId", &target, &err)))
        goto done;
    if ((rc = pipeline_remove(api_app(), me, id, target, http_req_arena(r), &t, &err)))
        goto done;
    api_send_json(r, 200, json_pack("{s:b, s:s, s:s, s:I, s:o, s:o}", "success", 1, "message", "Pipeline deleted",
                                    "pipelineId", id, "recordsTransferred", (json_int_t)t.records, "movedToPipeline",
                                    t.stage ? json_pack("{s:s, s:s}", "id", t.target.id, "name", t.target.name)
                                            : json_null(),
                                    "movedToStage", stage_ref(t.stage)));
done:
    if (rc)
        api_send_error(r, &err);
    json_decref(body);
}

static void reassign_stage(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *source_id, *target_id;
    crm_stage source, target;
    int64_t moved;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = admin_only(me, &err)) || (rc = api_body_object(r, &body, &err)) ||
        (rc = jin_objectid(body, "sourceStageId", true, &source_id, &err)) ||
        (rc = jin_objectid(body, "targetStageId", true, &target_id, &err)) ||
        (rc = stage_reassign(api_app(), me, source_id, target_id, http_req_arena(r), &source, &target, &moved, &err)))
        api_send_error(r, &err);
    else
        api_send_json(r, 200, json_pack("{s:b, s:I, s:o, s:o}", "success", 1, "recordsTransferred", (json_int_t)moved,
                                        "sourceStage", stage_ref(&source), "targetStage", stage_ref(&target)));
    json_decref(body);
}

const http_route api_pipeline_routes[] = {
    { "GET", "/api/pipelines", get_pipeline },
    { "GET", "/api/pipelines/list", list_pipelines },
    { "POST", "/api/pipelines", upsert_pipeline },
    { "POST", "/api/pipelines/create", create_pipeline },
    { "POST", "/api/pipelines/stages/reassign", reassign_stage },
    { "DELETE", "/api/pipelines/:id", delete_pipeline },
};
const size_t api_pipeline_nroutes = sizeof api_pipeline_routes / sizeof api_pipeline_routes[0];
