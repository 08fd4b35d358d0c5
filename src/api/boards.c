/* §5.4: Tether's board endpoints — POST /api/contacts (every stage), /api/contacts/statuses (the
 * same, paged by stage name) and /api/contacts/status (one stage). */
#include <string.h>
#include "api/routes.h"
#include "lib/timefmt.h"
#include "service/boards.h"
#include "service/render.h"

#define BOARD_DEFAULT_SIZE 20
#define STATUS_DEFAULT_SIZE 50
#define LABEL_MAX_CHARS 100
#define SEARCH_MAX_CHARS 200
#define PAGE_MAX 1000000
#define MAX_STAGE_KEYS 200   /* a pipeline keeps at most 200 stages */

/* An integer in [min, max] at key (absent or null: def). */
static int body_int(json_t *body, const char *key, const char *field, int64_t min, int64_t max, int64_t def,
                    int64_t *out, crm_err *err)
{
    json_t *v = json_object_get(body, key);
    *out = def;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s must be an integer from %lld to %lld", field,
                        (long long)min, (long long)max);
    *out = json_integer_value(v);
    return 0;
}

/* Deep offsets cost a scan of every row before them (as GET /api/contacts). */
static int check_offset(int64_t page, int64_t size, const char *field, crm_err *err)
{
    if ((page - 1) * size > API_OFFSET_MAX)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s * size may not pass %d rows", field, API_OFFSET_MAX);
    return 0;
}

/* {stage id or name: page} at key. */
static int read_pages(http_req *r, json_t *body, const char *key, board_input *in, crm_err *err)
{
    arena *a = http_req_arena(r);
    json_t *v = json_object_get(body, key), *page;
    const char *stage;
    int rc;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v) || json_object_size(v) > MAX_STAGE_KEYS)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, key, "%s must be an object of at most %d stage: page entries",
                        key, MAX_STAGE_KEYS);
    board_page *pages = arena_alloc(a, (json_object_size(v) + 1) * sizeof *pages);
    json_object_foreach(v, stage, page) {
        board_page *p = &pages[in->npages++];
        p->stage = stage;
        p->field = arena_printf(a, "%s.%s", key, stage);
        if ((rc = body_int(v, stage, p->field, 1, PAGE_MAX, 1, &p->page, err)) ||
            (rc = check_offset(p->page, in->size, p->field, err)))
            return rc;
    }
    in->pages = pages;
    return 0;
}

/* An array of at most max strings (each ObjectIds when ids) at key. */
static int read_strings(http_req *r, json_t *body, const char *key, size_t max, bool ids, const char *const **out,
                        size_t *n, crm_err *err)
{
    arena *a = http_req_arena(r);
    json_t *v = json_object_get(body, key);
    int rc;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v) || json_array_size(v) > max)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, key, "%s must be an array of at most %zu entries", key, max);
    const char **list = arena_alloc(a, (json_array_size(v) + 1) * sizeof *list);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *field = arena_printf(a, "%s[%zu]", key, i);
        if ((rc = jin_check_string(json_array_get(v, i), field, LABEL_MAX_CHARS, &list[i], err)))
            return rc;
        if (ids && !objectid_valid(list[i]))
            return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s must be a 24-character hex id", field);
    }
    *out = list;
    *n = json_array_size(v);
    return 0;
}

/* {start, end} (an object here, not JSON text): ISO-8601 instants or dates; a date alone as end
 * covers that day. */
static int read_range(json_t *body, const char *key, board_input *in, crm_err *err)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, key, "%s must be an object {start, end}", key);
    const char *names[2] = { "start", "end" };
    int64_t *outs[2] = { &in->created_from, &in->created_to };
    for (int i = 0; i < 2; i++) {
        json_t *e = json_object_get(v, names[i]);
        const char *s = json_string_value(e);
        *outs[i] = 0;
        if (!e || json_is_null(e) || (s && !*s))
            continue;
        if (!s || !time_parse_iso8601(s, outs[i]))
            return crm_fail(err, CRM_E_VALIDATION_FAILED, key, "%s.%s must be an ISO-8601 date or time", key, names[i]);
        if (i == 1 && strlen(s) == 10)
            *outs[i] += 86400000 - 1;
    }
    if (in->created_from && in->created_to && in->created_from > in->created_to)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, key, "%s.start is after %s.end", key, key);
    return 0;
}

/* The filters every board endpoint takes. */
static int read_common(json_t *body, board_input *in, crm_err *err)
{
    const char *type;
    int rc;
    if ((rc = jin_objectid(body, "pipelineId", false, &in->pipeline_id, err)) ||
        (rc = jin_string(body, "pipelineType", "pipelineType", LABEL_MAX_CHARS, false, &type, err)) ||
        (rc = jin_string(body, "search", "search", SEARCH_MAX_CHARS, false, &in->search, err)) ||
        (rc = jin_string(body, "source", "source", LABEL_MAX_CHARS, false, &in->source, err)) ||
        (rc = jin_string(body, "ownerFilter", "ownerFilter", 32, false, &in->owner_filter, err)))
        return rc;
    if (type && strcmp(type, "Contact") != 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "pipelineType", "pipelineType must be Contact");
    if (in->source && !*in->source)
        in->source = NULL;
    return 0;
}

static json_t *stage_maps(const crm_pipeline *p, json_t **by_id)
{
    json_t *by_name = json_object();
    *by_id = json_object();
    for (size_t i = 0; i < p->nstages; i++) {
        if (!p->stages[i].is_active)
            continue;
        json_object_set_new(by_name, p->stages[i].name, json_string(p->stages[i].id));
        json_object_set_new(*by_id, p->stages[i].id, json_string(p->stages[i].name));
    }
    return by_name;
}

static json_t *contacts_json(const board_bucket *b)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < b->n; i++)
        json_array_append_new(arr, render_contact(&b->contacts[i]));
    return arr;
}

static void send_board(http_req *r, const crm_pipeline *p, const board_bucket *b, size_t n)
{
    json_t *data = json_object(), *by_id, *by_name = stage_maps(p, &by_id);
    for (size_t i = 0; i < n; i++)
        json_object_set_new(data, b[i].stage->name,
                            json_pack("{s:o, s:I}", "contacts", contacts_json(&b[i]), "total", (json_int_t)b[i].total));
    api_send_json(r, 200, json_pack("{s:b, s:O, s:o, s:o, s:o}", "success", 1, "data", data, "dataByStatus", data,
                                    "stageIdByName", by_name, "stageNameById", by_id));
}

static void run_board(http_req *r, bool statuses)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    board_input in = { 0 };
    crm_pipeline p;
    board_bucket *b;
    size_t n;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = require_org_member(me, &err)) ||
        (rc = api_body_object(r, &body, &err)) || (rc = read_common(body, &in, &err)) ||
        (rc = body_int(body, "size", "size", 1, 200, BOARD_DEFAULT_SIZE, &in.size, &err)) ||
        (rc = read_pages(r, body, statuses ? "pages" : "page", &in, &err)))
        goto done;
    if (!statuses) {
        in.status_field = "status";
        if ((rc = jin_string(body, "status", "status", LABEL_MAX_CHARS, false, &in.status, &err)) ||
            (rc = read_strings(r, body, "stages", MAX_STAGE_KEYS, false, &in.stages, &in.nstages, &err)) ||
            (rc = read_strings(r, body, "owner", BOARD_MAX_OWNERS, true, &in.owners, &in.nowners, &err)) ||
            (rc = read_range(body, json_object_get(body, "createdDateRange") ? "createdDateRange" : "dateRange", &in,
                             &err)))
            goto done;
    }
    if ((rc = board_load(api_app(), me, &in, http_req_arena(r), &p, &b, &n, &err)))
        goto done;
    send_board(r, &p, b, n);
done:
    if (rc)
        api_send_error(r, &err);
    json_decref(body);
}

static void board(http_req *r)
{
    run_board(r, false);
}

static void board_statuses(http_req *r)
{
    run_board(r, true);
}

static void board_status(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    board_input in = { .status_field = "status" };
    int64_t page;
    crm_pipeline p;
    board_bucket *b;
    size_t n;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = require_org_member(me, &err)) ||
        (rc = api_body_object(r, &body, &err)) || (rc = read_common(body, &in, &err)) ||
        (rc = jin_string(body, "status", "status", LABEL_MAX_CHARS, true, &in.status, &err)) ||
        (rc = jin_objectid(body, "pipelineStage", false, &in.stage_id, &err)) ||
        (rc = body_int(body, "size", "size", 1, 200, STATUS_DEFAULT_SIZE, &in.size, &err)) ||
        (rc = body_int(body, "page", "page", 1, PAGE_MAX, 1, &page, &err)) ||
        (rc = check_offset(page, in.size, "page", &err)))
        goto done;
    board_page one = { in.status, page, "page" };
    in.pages = &one;
    in.npages = 1;
    if ((rc = board_load(api_app(), me, &in, http_req_arena(r), &p, &b, &n, &err)))
        goto done;
    json_t *by_id, *by_name = stage_maps(&p, &by_id);
    api_send_json(r, 200, json_pack("{s:b, s:o, s:I, s:s, s:s, s:o, s:o}", "success", 1, "data", contacts_json(&b[0]),
                                    "total", (json_int_t)b[0].total, "status", b[0].stage->name, "pipelineStage",
                                    b[0].stage->id, "stageIdByName", by_name, "stageNameById", by_id));
done:
    if (rc)
        api_send_error(r, &err);
    json_decref(body);
}

const http_route api_board_routes[] = {
    { "POST", "/api/contacts", board },
    { "POST", "/api/contacts/statuses", board_statuses },
    { "POST", "/api/contacts/status", board_status },
};
const size_t api_board_nroutes = sizeof api_board_routes / sizeof api_board_routes[0];
