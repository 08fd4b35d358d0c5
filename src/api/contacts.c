/* §5: contacts — creation and reads. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "lib/timefmt.h"
#include "api/routes.h"
#include "service/contacts.h"
#include "service/render.h"
#include "service/render_text.h"

#define NAME_MAX_CHARS 200
#define LABEL_MAX_CHARS 100
#define EMAIL_MAX_CHARS 254
#define PHONE_MAX_CHARS 64
/* About the length of a contact's JSON with a few numbers and emails: most replies of one
 * contact fit the first buffer. */
#define CONTACT_TEXT_CAP 2048

static char *field_name(arena *a, const char *key, size_t i, bool object)
{
    return arena_printf(a, object ? "%s[%zu].value" : "%s[%zu]", key, i);
}

/* A list of phones or emails: a single string, or an array of strings or {value, isPrimary}. */
static int read_values(arena *a, json_t *body, const char *key, size_t max_chars, size_t max_items,
                       contact_value_input **out, size_t *n, crm_err *err)
{
    json_t *v = json_object_get(body, key);
    int rc;

    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        contact_value_input *one = arena_alloc(a, sizeof *one);
        one->is_primary = -1;
        one->field = key;
        if ((rc = jin_check_string(v, key, max_chars, &one->value, err)))
            return rc;
        if (!*one->value && strcmp(key, "email") == 0)
            return 0;   /* an empty email is no email */
        *out = one;
        *n = 1;
        return 0;
    }
    if (!json_is_array(v))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, key, "%s must be a string or an array", key);
    size_t count = json_array_size(v);
    if (count > max_items)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, key, "%s has more than %zu entries", key, max_items);
    contact_value_input *list = arena_alloc(a, (count + 1) * sizeof *list);
    for (size_t i = 0; i < count; i++) {
        json_t *item = json_array_get(v, i);
        contact_value_input *e = &list[i];
        e->is_primary = -1;
        if (json_is_string(item)) {
            e->field = field_name(a, key, i, false);
            rc = jin_check_string(item, e->field, max_chars, &e->value, err);
        } else if (json_is_object(item)) {
            bool primary = false, given = false;
            e->field = field_name(a, key, i, true);
            rc = jin_string(item, "value", e->field, max_chars, true, &e->value, err);
            if (rc == 0 && (rc = jin_bool(item, "isPrimary", &primary, &given, err)) != 0)
                snprintf(err->field, sizeof err->field, "%s[%zu].isPrimary", key, i);
            else if (given)
                e->is_primary = primary;
        } else {
            const char *f = arena_printf(a, "%s[%zu]", key, i);
            rc = crm_fail(err, CRM_E_VALIDATION_FAILED, f, "%s must be a string or {value, isPrimary}", f);
        }
        if (rc)
            return rc;
    }
    *out = list;
    *n = count;
    return 0;
}

static int read_assignees(arena *a, json_t *body, contact_input *in, crm_err *err)
{
    json_t *v = json_object_get(body, "assignees");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "assignees", "assignees must be an array of user ids");
    size_t n = json_array_size(v);
    if (n > 50)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "assignees", "assignees has more than 50 entries");
    in->assignees = arena_alloc(a, (n + 1) * sizeof *in->assignees);
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(v, i));
        if (!id || !objectid_valid(id)) {
            const char *f = arena_printf(a, "assignees[%zu]", i);
            return crm_fail(err, CRM_E_VALIDATION_FAILED, f, "%s must be a 24-character hex user id", f);
        }
        for (size_t j = 0; j < in->nassignees; j++)
            if (strcmp(in->assignees[j], id) == 0)
                goto next;   /* the same user twice is one assignee */
        in->assignees[in->nassignees++] = id;
    next:;
    }
    return 0;
}

/* Sets a `given` bit for every known key present in the body, null included. */
static unsigned given_keys(json_t *body)
{
    static const struct { const char *key; unsigned bit; } keys[] = {
        { "phoneNumber", CK_PHONES },   { "secondaryPhoneNumber", CK_SECONDARY }, { "email", CK_EMAILS },
        { "firstName", CK_FIRST_NAME }, { "lastName", CK_LAST_NAME },             { "process", CK_PROCESS },
        { "source", CK_SOURCE },        { "status", CK_STATUS },                  { "pipelineStage", CK_STAGE },
        { "pipelineId", CK_PIPELINE },
    };
    unsigned given = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_object_get(body, keys[i].key))
            given |= keys[i].bit;
    if (json_is_array(json_object_get(body, "assignees")))
        given |= CK_ASSIGNEES;
    return given;
}

int api_contact_input_read(json_t *body, bool phones_required, arena *a, contact_input *in, crm_err *err)
{
    int rc;
    json_t *phones = json_object_get(body, "phoneNumber");
    in->given = given_keys(body);
    if ((phones_required && !phones) || (phones && json_is_null(phones)))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "phoneNumber is required");
    if ((rc = read_values(a, body, "phoneNumber", PHONE_MAX_CHARS, CONTACT_MAX_PHONES, &in->phones, &in->nphones, err)) ||
        (rc = read_values(a, body, "secondaryPhoneNumber", PHONE_MAX_CHARS, CONTACT_MAX_PHONES, &in->secondary,
                          &in->nsecondary, err)) ||
        (rc = read_values(a, body, "email", EMAIL_MAX_CHARS, CONTACT_MAX_EMAILS, &in->emails, &in->nemails, err)) ||
        (rc = jin_string(body, "firstName", "firstName", NAME_MAX_CHARS, false, &in->first_name, err)) ||
        (rc = jin_string(body, "lastName", "lastName", NAME_MAX_CHARS, false, &in->last_name, err)) ||
        (rc = jin_string(body, "process", "process", LABEL_MAX_CHARS, false, &in->process, err)) ||
        (rc = jin_string(body, "source", "source", LABEL_MAX_CHARS, false, &in->source, err)) ||
        (rc = jin_string(body, "status", "status", LABEL_MAX_CHARS, false, &in->status, err)) ||
        (rc = jin_objectid(body, "pipelineStage", false, &in->stage_id, err)) ||
        (rc = jin_objectid(body, "pipelineId", false, &in->pipeline_id, err)) ||
        (rc = read_assignees(a, body, in, err)))
        return rc;
    return 0;
}

/* Idempotency-Key: 1 to 255 visible ASCII characters; the body is identified by its SHA-256. */
static int read_idempotency(http_req *r, contact_input *in, crm_err *err)
{
    const char *key = http_req_header(r, "Idempotency-Key");
    if (!key)
        return 0;
    size_t len = strlen(key);
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            len = 0;
    if (len == 0 || len > IDEMPOTENCY_KEY_MAX)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "Idempotency-Key",
                        "Idempotency-Key must be 1 to 255 visible ASCII characters");
    size_t blen;
    const char *body = http_req_body(r, &blen);
    unsigned char digest[crypto_hash_sha256_BYTES];
    char *hex = arena_alloc(http_req_arena(r), sizeof digest * 2 + 1);
    crypto_hash_sha256(digest, (const unsigned char *)body, blen);
    sodium_bin2hex(hex, sizeof digest * 2 + 1, digest, sizeof digest);
    in->idempotency_key = key;
    in->request_hash = hex;
    return 0;
}

static void create_contact(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    contact_input in = { 0 };
    int status;
    char *reply;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = require_org_member(me, &err)) ||
        (rc = api_body_object(r, &body, &err)) || (rc = api_contact_input_read(body, true, http_req_arena(r), &in, &err)) ||
        (rc = read_idempotency(r, &in, &err)) ||
        (rc = contact_create(api_app(), me, &in, http_req_arena(r), &status, &reply, &err)))
        api_send_error(r, &err);
    else   /* the reply is text in the request's arena (a replay's too) */
        http_reply_in_arena(r, status, "application/json", reply, strlen(reply));
    json_decref(body);
}

void api_send_contact(http_req *r, const char *message, const crm_contact *ct)
{
    jw_writer w;
    api_ok_begin(r, &w, message, CONTACT_TEXT_CAP);
    jw_object_begin(&w);
    jw_key(&w, "contact");
    render_text_contact(&w, ct);
    jw_object_end(&w);
    if (!api_ok_send(r, 200, &w))
        api_send_ok(r, 200, message, json_pack("{s:o}", "contact", render_contact(ct)));
}

static void set_etag(http_req *r, const crm_contact *ct)
{
    char etag[48];
    contact_etag(ct, etag);
    http_reply_header(r, "ETag", etag);
}

static void get_contact(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id;
    crm_contact ct;
    if (api_authenticate(r, &me, &err) || api_path_id(r, "id", &id, &err) ||
        contact_read(api_app(), me, id, http_req_arena(r), &ct, &err)) {
        api_send_error(r, &err);
        return;
    }
    set_etag(r, &ct);
    api_send_contact(r, "Contact", &ct);
}

/* dateRange={"start","end"}: ISO-8601 instants or dates; a date alone as `end` covers that day. */
static int read_date_range(http_req *r, contact_list_input *in, crm_err *err)
{
    const char *text = http_req_query(r, "dateRange");
    json_t *j;
    int rc = 0;
    if (!text)
        return 0;
    j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j)) {
        rc = crm_fail(err, CRM_E_VALIDATION_FAILED, "dateRange", "dateRange must be a JSON object {\"start\",\"end\"}");
        goto done;
    }
    const char *keys[2] = { "start", "end" };
    int64_t *outs[2] = { &in->created_from, &in->created_to };
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(j, keys[i]);
        const char *s = json_string_value(v);
        if (!v || json_is_null(v))
            continue;
        if (!s || !time_parse_iso8601(s, outs[i])) {
            rc = crm_fail(err, CRM_E_VALIDATION_FAILED, "dateRange", "dateRange.%s must be an ISO-8601 date or time",
                          keys[i]);
            goto done;
        }
        if (i == 1 && strlen(s) == 10)
            *outs[i] += 86400000 - 1;
    }
    if (in->created_from && in->created_to && in->created_from > in->created_to)
        rc = crm_fail(err, CRM_E_VALIDATION_FAILED, "dateRange", "dateRange.start is after dateRange.end");
done:
    json_decref(j);
    return rc;
}

int api_contact_filters(http_req *r, contact_list_input *in, crm_err *err)
{
    int rc;
    if ((rc = qin_text(r, "search", 200, &in->search, err)) ||
        (rc = qin_text(r, "status", LABEL_MAX_CHARS, &in->status, err)) ||
        (rc = qin_text(r, "source", LABEL_MAX_CHARS, &in->source, err)) ||
        (rc = qin_text(r, "ownerFilter", 32, &in->owner_filter, err)) ||
        (rc = qin_id(r, "pipelineStage", &in->stage_id, err)) || (rc = qin_id(r, "pipelineId", &in->pipeline_id, err)))
        return rc;
    return read_date_range(r, in, err);
}

/* The list as jansson prints it, for the page api_ok_send refuses (see api.h). */
static void send_contacts_jansson(http_req *r, const crm_contact *rows, size_t n, int64_t total,
                                  const contact_list_input *in, const char *next)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, render_contact(&rows[i]));
    api_send_ok(r, 200, "Contacts",
                json_pack("{s:o, s:I, s:I, s:I, s:o}", "contacts", arr, "total", (json_int_t)total, "page",
                          (json_int_t)in->page, "size", (json_int_t)in->size, "nextCursor", json_str_or_null(next)));
}

static void list_contacts(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    contact_list_input in = { 0 };
    crm_contact *rows;
    size_t n;
    int64_t total;
    char *next;
    int rc;

    if ((rc = api_authenticate(r, &me, &err)) || (rc = qin_page(r, "size", 50, &in.page, &in.size, &err)) ||
        (rc = api_contact_filters(r, &in, &err)) || (rc = qin_text(r, "after", 100, &in.after, &err)) ||
        (rc = contact_list(api_app(), me, &in, http_req_arena(r), &rows, &n, &total, &next, &err))) {
        api_send_error(r, &err);
        return;
    }
    jw_writer w;
    api_ok_begin(r, &w, "Contacts", CONTACT_TEXT_CAP * (n + 1));
    jw_object_begin(&w);
    jw_key(&w, "contacts");
    jw_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        render_text_contact(&w, &rows[i]);
    jw_array_end(&w);
    jw_key(&w, "total");
    jw_int(&w, total);
    jw_key(&w, "page");
    jw_int(&w, in.page);
    jw_key(&w, "size");
    jw_int(&w, in.size);
    jw_key(&w, "nextCursor");
    jw_string_or_null(&w, next);
    jw_object_end(&w);
    if (!api_ok_send(r, 200, &w))
        send_contacts_jansson(r, rows, n, total, &in, next);
}

static void find_by_phone(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *phone;
    crm_contact ct;
    if (api_authenticate(r, &me, &err) || api_body_object(r, &body, &err) ||
        jin_string(body, "phoneNumber", "phoneNumber", PHONE_MAX_CHARS, true, &phone, &err) ||
        contact_find_by_phone(api_app(), me, phone, http_req_arena(r), &ct, &err))
        api_send_error(r, &err);
    else
        api_send_contact(r, "Contact", &ct);
    json_decref(body);
}

static void patch_contact(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *id;
    contact_input in = { 0 };
    crm_contact ct;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = api_path_id(r, "id", &id, &err)) ||
        (rc = api_body_object(r, &body, &err)) || (rc = api_contact_input_read(body, false, http_req_arena(r), &in, &err)) ||
        (rc = contact_update(api_app(), me, id, &in, http_req_header(r, "If-Match"), http_req_arena(r), &ct, &err))) {
        api_send_error(r, &err);
    } else {
        set_etag(r, &ct);
        api_send_ok(r, 200, "Contact updated successfully",
                    json_pack("{s:o, s:s}", "contact", render_contact(&ct), "message", "Contact updated successfully"));
    }
    json_decref(body);
}

/* Tether's board move: {_id, status?, pipelineStage?, pipelineId?, fromHistoryModal?}. */
static void move_contact(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *id;
    contact_input in = { 0 };
    crm_contact ct;
    bool quiet = false;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = api_body_object(r, &body, &err)) ||
        (rc = jin_objectid(body, "_id", true, &id, &err)) ||
        (rc = jin_bool(body, "fromHistoryModal", &quiet, NULL, &err)) ||
        (rc = api_contact_input_read(body, false, http_req_arena(r), &in, &err)) ||
        (rc = contact_move_stage(api_app(), me, id, &in, quiet, http_req_arena(r), &ct, &err))) {
        api_send_error(r, &err);
    } else {
        set_etag(r, &ct);
        api_send_json(r, 200, json_pack("{s:b, s:s, s:o}", "success", 1, "message", "Contact updated successfully",
                                        "contact", render_contact(&ct)));
    }
    json_decref(body);
}

static void send_deleted(http_req *r, int64_t n)
{
    api_send_json(r, 200, json_pack("{s:b, s:s, s:I}", "success", 1, "message", "Contacts deleted", "deletedCount",
                                    (json_int_t)n));
}

static void delete_contact(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id;
    int64_t n;
    if (api_authenticate(r, &me, &err) || api_path_id(r, "id", &id, &err) ||
        contact_delete(api_app(), me, &id, 1, true, &n, &err))
        api_send_error(r, &err);
    else
        send_deleted(r, n);
}

#define BULK_DELETE_MAX 1000

static void bulk_delete(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    int64_t n;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = api_body_object(r, &body, &err)))
        goto done;
    json_t *ids = json_object_get(body, "contactIds");
    size_t count = json_array_size(ids);
    if (!json_is_array(ids) || count == 0 || count > BULK_DELETE_MAX) {
        rc = crm_fail(&err, CRM_E_VALIDATION_FAILED, "contactIds", "contactIds must be an array of 1 to %d ids",
                      BULK_DELETE_MAX);
        goto done;
    }
    const char **list = arena_alloc(http_req_arena(r), count * sizeof *list);
    for (size_t i = 0; i < count; i++) {
        list[i] = json_string_value(json_array_get(ids, i));
        if (!list[i] || !objectid_valid(list[i])) {
            const char *f = arena_printf(http_req_arena(r), "contactIds[%zu]", i);
            rc = crm_fail(&err, CRM_E_VALIDATION_FAILED, f, "%s must be a 24-character hex id", f);
            goto done;
        }
    }
    if ((rc = contact_delete(api_app(), me, list, count, false, &n, &err)))
        goto done;
    send_deleted(r, n);
done:
    if (rc)
        api_send_error(r, &err);
    json_decref(body);
}

const http_route api_contact_routes[] = {
    { "POST", "/api/contact", create_contact },
    { "GET", "/api/contacts", list_contacts },
    { "POST", "/api/contacts/phoneNumber", find_by_phone },
    { "PUT", "/api/contact", move_contact },
    { "DELETE", "/api/contacts/bulk-delete", bulk_delete },
    { "GET", "/api/contacts/:id", get_contact },
    { "PATCH", "/api/contacts/:id", patch_contact },
    { "DELETE", "/api/contacts/:id", delete_contact },
};
const size_t api_contact_nroutes = sizeof api_contact_routes / sizeof api_contact_routes[0];
