/* Reply envelopes: success {success, message, data} and the error envelope of API.md §1. */
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "lib/log.h"

void api_send_json(http_req *r, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        abort();   /* out of memory: see DESIGN.md */
    http_reply(r, status, "application/json", text, strlen(text));
    free(text);
}

void api_send_ok(http_req *r, int status, const char *message, json_t *data)
{
    api_send_json(r, status, json_pack("{s:b, s:s, s:o}", "success", 1, "message", message,
                                       "data", data ? data : json_null()));
}

void api_ok_begin(http_req *r, jw_writer *w, const char *message, size_t cap)
{
    jw_init(w, http_req_arena(r), cap);
    jw_object_begin(w);
    jw_key(w, "success");
    jw_bool(w, true);
    jw_key(w, "message");
    jw_string(w, message);
    jw_key(w, "data");
}

bool api_ok_send(http_req *r, int status, jw_writer *w)
{
    size_t len;
    jw_object_end(w);
    if (jw_refused(w))
        return false;
    char *text = jw_text(w, &len);
    http_reply_in_arena(r, status, "application/json", text, len);
    return true;
}

void api_send_error(http_req *r, const crm_err *err)
{
    int code = err->code ? err->code : CRM_E_INTERNAL;
    int status = crm_error_status(code);
    json_t *body = json_pack("{s:b, s:s, s:s}", "success", 0, "error", crm_error_code(code), "message",
                             err->message[0] && status < 500 ? err->message : crm_error_message(code));
    if (err->field[0])
        json_object_set_new(body, "field", json_string(err->field));
    if (err->value[0])
        json_object_set_new(body, "value", json_string(err->value));
    if (err->contact_id[0])
        json_object_set_new(body, "contactId", json_string(err->contact_id));
    if (status >= 500)
        log_error("request %s failed: %s%s%s", http_req_id(r), crm_error_code(code),
                  err->message[0] ? ": " : "", err->message);
    if (code == CRM_E_UNAUTHORIZED)
        http_reply_header(r, "WWW-Authenticate", "Bearer");
    /* Storage is away (restarting, failing over): the server reconnects on its own. */
    if (code == CRM_E_UNAVAILABLE)
        http_reply_header(r, "Retry-After", "1");
    api_send_json(r, status, body);
}

void api_send_code(http_req *r, int code, const char *field, const char *message)
{
    crm_err err = { 0 };
    crm_fail(&err, code, field, "%s", message ? message : "");
    api_send_error(r, &err);
}

void api_on_http_error(http_req *r, int status)
{
    switch (status) {
    case 400: api_send_code(r, CRM_E_BAD_REQUEST, NULL, http_req_problem(r)); break;
    case 404: api_send_code(r, CRM_E_NOT_FOUND, NULL, "No such endpoint"); break;
    case 405: api_send_code(r, CRM_E_METHOD_NOT_ALLOWED, NULL, NULL); break;
    case 413:
        if (http_req_body_max(r) == HTTP_BODY_MAX)
            api_send_code(r, CRM_E_PAYLOAD_TOO_LARGE, NULL, NULL);
        else
            api_send_code(r, CRM_E_PAYLOAD_TOO_LARGE, NULL,
                          arena_printf(http_req_arena(r), "The request body is larger than %zu MiB",
                                       http_req_body_max(r) >> 20));
        break;
    case 431: api_send_code(r, CRM_E_HEADERS_TOO_LARGE, NULL, NULL); break;
    case 429: api_send_code(r, CRM_E_RATE_LIMITED, NULL, http_req_problem(r)); break;
    default: api_send_code(r, CRM_E_INTERNAL, NULL, NULL); break;
    }
}
