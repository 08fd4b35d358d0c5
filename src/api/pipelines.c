/* §4: reading pipelines. */
#include "api/routes.h"
#include "service/pipelines.h"
#include "service/render.h"

static void get_pipeline(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    crm_pipeline p;
    const char *type = http_req_query(r, "type");
    const char *id = http_req_query(r, "pipelineId");
    int rc;

    if ((rc = api_authenticate(r, &me, &err)))
        goto done;
    if (type && !pipeline_type_valid(type)) {
        rc = crm_fail(&err, CRM_E_VALIDATION_FAILED, "type", "type must be Contact or Application");
        goto done;
    }
    if (id && !objectid_valid(id)) {
        rc = crm_fail(&err, CRM_E_VALIDATION_FAILED, "pipelineId", "pipelineId must be a 24-character hex id");
        goto done;
    }
    if ((rc = pipeline_read(api_app(), me, type ? type : PIPELINE_TYPE_CONTACT, id, http_req_arena(r), &p, &err)))
        goto done;
    api_send_json(r, 200, json_pack("{s:o}", "pipeline", render_pipeline(&p)));
done:
    if (rc)
        api_send_error(r, &err);
}

const http_route api_pipeline_routes[] = {
    { "GET", "/api/pipelines", get_pipeline },
};
const size_t api_pipeline_nroutes = sizeof api_pipeline_routes / sizeof api_pipeline_routes[0];
