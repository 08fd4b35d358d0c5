/* §5.5: bulk operations by query — count, move, delete (a job) and export. The filter comes as a
 * JSON body, or on GET as query parameters (stageIds=a,b and advancedParams as JSON text). */
#include <stdio.h>
#include <string.h>
#include "api/routes.h"
#include "lib/timefmt.h"
#include "service/bulk.h"
#include "service/bulk_job.h"
#include "service/contact_export.h"

#define LABEL_MAX_CHARS 100
#define SEARCH_MAX_CHARS 200

static int read_date(json_t *obj, const char *key, const char *field, bool end, int64_t *out, crm_err *err)
{
    json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v);
    *out = 0;
    if (!v || json_is_null(v) || (s && !*s))
        return 0;
    if (!s || !time_parse_iso8601(s, out))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s must be an ISO-8601 date or time", field);
    if (end && strlen(s) == 10)
        *out += 86400000 - 1;   /* a date alone as the end covers that day */
    return 0;
}

static int read_advanced(json_t *adv, bulk_filter *f, crm_err *err)
{
    int rc;
    if (!adv || json_is_null(adv))
        return 0;
    if (!json_is_object(adv))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "advancedParams", "advancedParams must be an object");
    if ((rc = read_date(adv, "createdAfter", "advancedParams.createdAfter", false, &f->created_after, err)) ||
        (rc = read_date(adv, "createdBefore", "advancedParams.createdBefore", true, &f->created_before, err)) ||
        (rc = jin_string(adv, "source", "advancedParams.source", LABEL_MAX_CHARS, false, &f->source, err)) ||
        (rc = jin_string(adv, "search", "advancedParams.search", SEARCH_MAX_CHARS, false, &f->search, err)))
        return rc;
    if (f->created_after && f->created_before && f->created_after > f->created_before)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "advancedParams.createdBefore",
                        "advancedParams.createdBefore is before createdAfter");
    if (f->source && !*f->source)
        f->source = NULL;
    return 0;
}

/* The shared filter from a JSON object (a body, or the query parameters made into one). */
static int read_filter(http_req *r, json_t *obj, bulk_filter *f, crm_err *err)
{
    arena *a = http_req_arena(r);
    json_t *stages = json_object_get(obj, "stageIds");
    const char *type;
    int rc;
    if ((rc = jin_bool(obj, "orgWide", &f->org_wide, NULL, err)) ||
        (rc = jin_string(obj, "pipelineType", "pipelineType", LABEL_MAX_CHARS, false, &type, err)) ||
        (rc = jin_string(obj, "ownerFilter", "ownerFilter", LABEL_MAX_CHARS, false, &f->owner_filter, err)) ||
        (rc = read_advanced(json_object_get(obj, "advancedParams"), f, err)))
        return rc;
    if (type && strcmp(type, "Contact") != 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "pipelineType", "pipelineType must be Contact");
    if (f->owner_filter && strcmp(f->owner_filter, "owned") != 0 && strcmp(f->owner_filter, "unowned") != 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "ownerFilter", "ownerFilter must be owned or unowned");
    if (stages && !json_is_null(stages)) {
        if (!json_is_array(stages) || json_array_size(stages) > BULK_MAX_STAGES)
            return crm_fail(err, CRM_E_VALIDATION_FAILED, "stageIds", "stageIds must be an array of at most %d ids",
                            BULK_MAX_STAGES);
        const char **ids = arena_alloc(a, (json_array_size(stages) + 1) * sizeof *ids);
        for (size_t i = 0; i < json_array_size(stages); i++) {
            ids[i] = json_string_value(json_array_get(stages, i));
            if (!ids[i] || !objectid_valid(ids[i])) {
                const char *field = arena_printf(a, "stageIds[%zu]", i);
                return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s must be a 24-character hex id", field);
            }
        }
        f->stage_ids = ids;
        f->nstages = json_array_size(stages);
    }
    return 0;
}

/* GET's filter: stageIds=a,b (or repeated JSON array text), advancedParams JSON text (malformed:
 * ignored, as Tether does), orgWide=true, ownerFilter, pipelineType. */
static int read_query_filter(http_req *r, json_t **held, bulk_filter *f, crm_err *err)
{
    json_t *obj = *held = json_object();
    const char *v;
    int rc;
    if ((v = http_req_query(r, "stageIds")) && *v) {
        json_t *arr = json_array();
        char *copy = arena_strdup(http_req_arena(r), v), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            json_array_append_new(arr, json_string(tok));
        json_object_set_new(obj, "stageIds", arr);
    }
    if ((v = http_req_query(r, "advancedParams"))) {
        json_t *adv = json_loads(v, JSON_REJECT_DUPLICATES, NULL);
        if (json_is_object(adv))
            json_object_set_new(obj, "advancedParams", adv);
        else
            json_decref(adv);
    }
    if ((v = http_req_query(r, "orgWide")))
        json_object_set_new(obj, "orgWide", strcmp(v, "true") == 0 ? json_true() : json_false());
    const char *keys[] = { "ownerFilter", "pipelineType" };
    for (size_t i = 0; i < 2; i++)
        if ((v = http_req_query(r, keys[i])) && (rc = qin_text(r, keys[i], LABEL_MAX_CHARS, &v, err)) == 0)
            json_object_set_new(obj, keys[i], json_string(v));
        else if (v)
            goto done;
    rc = read_filter(r, obj, f, err);   /* f's strings point into obj: the caller keeps it */
done:
    return rc;
}

static void query_count(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    bulk_filter f = { 0 };
    int64_t count;
    if (api_authenticate(r, &me, &err) || bulk_require_role(me, &err) || api_body_object(r, &body, &err) ||
        read_filter(r, body, &f, &err) ||
        bulk_count(api_app(), me, &f, &count, &err))
        api_send_error(r, &err);
    else
        api_send_json(r, 200, json_pack("{s:b, s:I}", "success", 1, "count", (json_int_t)count));
    json_decref(body);
}

static void query_move(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    bulk_filter f = { 0 };
    const char *stage_id, *status;
    int64_t matched, modified;
    if (api_authenticate(r, &me, &err) || bulk_require_role(me, &err) || api_body_object(r, &body, &err) ||
        read_filter(r, body, &f, &err) ||
        jin_objectid(body, "targetStageId", true, &stage_id, &err) ||
        jin_string(body, "targetStatus", "targetStatus", LABEL_MAX_CHARS, true, &status, &err) ||
        bulk_move(api_app(), me, &f, stage_id, status, &matched, &modified, &err)) {
        api_send_error(r, &err);
    } else {
        char *msg = arena_printf(http_req_arena(r), "Successfully moved %lld contact(s)", (long long)modified);
        api_send_json(r, 200, json_pack("{s:b, s:s, s:I, s:I}", "success", 1, "message", msg, "modifiedCount",
                                        (json_int_t)modified, "matchedCount", (json_int_t)matched));
    }
    json_decref(body);
}

static void query_delete(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    bulk_filter f = { 0 };
    objectid job_id;
    if (api_authenticate(r, &me, &err) || bulk_require_role(me, &err) || api_body_object(r, &body, &err) ||
        read_filter(r, body, &f, &err) ||
        bulk_delete_start(api_app(), me, &f, job_id, &err))
        api_send_error(r, &err);
    else
        api_send_json(r, 202, json_pack("{s:b, s:s, s:s}", "success", 1, "jobId", job_id, "message",
                                        "Bulk delete started"));
    json_decref(body);
}

static void get_job(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id;
    crm_bulk_job job;
    if (api_authenticate(r, &me, &err) || bulk_require_role(me, &err) || api_path_id(r, "jobId", &id, &err) ||
        bulk_job_read(api_app(), me, id, http_req_arena(r), &job, &err)) {
        api_send_error(r, &err);
        return;
    }
    json_t *reply = json_pack("{s:b, s:s, s:s, s:I, s:I}", "success", 1, "jobId", job.id, "status", job.state,
                              "processed", (json_int_t)job.processed, "total", (json_int_t)job.total);
    if (job.error)
        json_object_set_new(reply, "error", json_string(job.error));
    api_send_json(r, 200, reply);
}

static void query_export(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    bulk_filter f = { 0 };
    contact_query *qs;
    size_t nq;
    contact_export *x;
    json_t *held = NULL;
    int rc = api_authenticate(r, &me, &err) || bulk_require_role(me, &err) ||
             read_query_filter(r, &held, &f, &err) ||
             bulk_queries(api_app(), me, &f, http_req_arena(r), &qs, &nq, &err) ||
             contact_export_open_tether(api_app(), me, qs, nq, &x, &err);
    json_decref(held);   /* the export copied what it keeps */
    if (rc)
        api_send_error(r, &err);
    else
        api_send_export(r, x);
}

const http_route api_bulk_routes[] = {
    { "POST", "/api/contacts/query-count", query_count },
    { "PUT", "/api/contacts/query-bulk-move", query_move },
    { "DELETE", "/api/contacts/query-bulk-delete", query_delete },
    { "GET", "/api/contacts/bulk-job/:jobId", get_job },
    { "GET", "/api/contacts/query-bulk-export", query_export },
};
const size_t api_bulk_nroutes = sizeof api_bulk_routes / sizeof api_bulk_routes[0];
