/* Reading requests: JSON bodies, credentials, path ids and typed fields, each failing with the
 * documented error and the name of the field at fault. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api/api.h"
#include "service/auth.h"
#include "service/throttle.h"
#include "lib/utf8.h"

/* A body must be JSON: a missing Content-Type is read as JSON, any other type is refused. */
static bool content_type_json(const char *ct)
{
    static const char want[] = "application/json";
    if (!ct)
        return true;
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, want, sizeof want - 1) != 0)
        return false;
    ct += sizeof want - 1;
    while (*ct == ' ')
        ct++;
    return *ct == '\0' || *ct == ';';
}

int api_body_object(http_req *r, json_t **body, crm_err *err)
{
    size_t len;
    const char *text = http_req_body(r, &len);
    json_error_t jerr;

    *body = NULL;
    if (len > 0 && !content_type_json(http_req_header(r, "Content-Type")))
        return crm_fail(err, CRM_E_UNSUPPORTED_MEDIA_TYPE, NULL, "Send the body as application/json");
    /* NUL inside strings is let through so that the field check can name the field. */
    *body = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!*body)
        return crm_fail(err, CRM_E_INVALID_JSON, NULL, "The body is not valid JSON: %s at line %d column %d",
                        jerr.text, jerr.line, jerr.column);
    if (!json_is_object(*body)) {
        json_decref(*body);
        *body = NULL;
        return crm_fail(err, CRM_E_INVALID_JSON, NULL, "The body must be a JSON object");
    }
    return 0;
}

void api_client_key(http_req *r, char out[NETADDR_KEY_MAX])
{
    netaddr_client_key(http_req_peer(r), out);
}

static void header_uint(http_req *r, const char *name, unsigned v)
{
    char text[16];
    snprintf(text, sizeof text, "%u", v);
    http_reply_header(r, name, text);
}

/* Counts the request against its credential: a user's JWTs share one bucket, its API key (an
 * integration, which may burst) has another. Headers of draft-ietf-httpapi-ratelimit-headers. */
static int limit_request(http_req *r, const crm_user *u, crm_err *err)
{
    throttle_status st;
    char key[64], policy[32];
    if (!api_throttle())
        return 0;
    snprintf(key, sizeof key, "%s:%s", u->id, auth_is_apikey(http_req_header(r, "Authorization")) ? "key" : "jwt");
    bool ok = throttle_request(api_throttle(), key, &st);
    if (st.limit == 0)
        return 0;   /* off */
    header_uint(r, "RateLimit-Limit", st.limit);
    header_uint(r, "RateLimit-Remaining", st.remaining);
    header_uint(r, "RateLimit-Reset", st.reset_s);
    snprintf(policy, sizeof policy, "%u;w=%u", st.limit, st.window_s);
    http_reply_header(r, "RateLimit-Policy", policy);
    if (ok)
        return 0;
    header_uint(r, "Retry-After", st.retry_after_s);
    return crm_fail(err, CRM_E_RATE_LIMITED, NULL, "Too many requests with this credential: %u per %u s; retry in %u s",
                    st.limit, st.window_s, st.retry_after_s);
}

int api_authenticate(http_req *r, crm_user **me, crm_err *err)
{
    *me = http_req_user(r);
    if (*me)
        return 0;
    crm_user *u = arena_alloc(http_req_arena(r), sizeof *u);
    int rc = auth_authenticate(api_app(), http_req_header(r, "Authorization"), http_req_arena(r), u, err);
    if (rc || (rc = limit_request(r, u, err)))
        return rc;
    http_req_set_user(r, u);
    *me = u;
    return 0;
}

int api_path_id(http_req *r, const char *param, const char **id, crm_err *err)
{
    *id = http_req_param(r, param);
    if (!*id || !objectid_valid(*id))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, param, "%s must be a 24-character hex id", param);
    return 0;
}

int jin_check_string(json_t *v, const char *field, size_t max_chars, const char **out, crm_err *err)
{
    if (!json_is_string(v))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s must be a string", field);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len || !utf8_valid(s, len))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s must be UTF-8 text without NUL", field);
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7f)
            return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s must not hold control characters", field);
    if (max_chars && utf8_length(s, len) > max_chars)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s is longer than %zu characters", field, max_chars);
    *out = s;
    return 0;
}

int jin_string(json_t *obj, const char *key, const char *field, size_t max_chars, bool required,
               const char **out, crm_err *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s is required", field);
        return 0;
    }
    return jin_check_string(v, field, max_chars, out, err);
}

int jin_bool(json_t *obj, const char *key, bool *out, bool *given, crm_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (given)
        *given = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, key, "%s must be true or false", key);
    *out = json_is_true(v);
    if (given)
        *given = true;
    return 0;
}

int jin_objectid(json_t *obj, const char *key, bool required, const char **out, crm_err *err)
{
    int rc = jin_string(obj, key, key, 0, required, out, err);
    if (rc == 0 && *out && !objectid_valid(*out))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, key, "%s must be a 24-character hex id", key);
    return rc;
}

int qin_int(http_req *r, const char *name, int64_t min, int64_t max, int64_t def, int64_t *out, crm_err *err)
{
    const char *s = http_req_query(r, name);
    char *end;
    *out = def;
    if (!s)
        return 0;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || !isdigit((unsigned char)s[*s == '-']) || v < min || v > max)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, name, "%s must be an integer from %lld to %lld", name,
                        (long long)min, (long long)max);
    *out = v;
    return 0;
}

int qin_id(http_req *r, const char *name, const char **out, crm_err *err)
{
    *out = http_req_query(r, name);
    if (*out && !objectid_valid(*out))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, name, "%s must be a 24-character hex id", name);
    return 0;
}

int qin_text(http_req *r, const char *name, size_t max, const char **out, crm_err *err)
{
    *out = http_req_query(r, name);
    if (*out && (!utf8_valid(*out, strlen(*out)) || utf8_length(*out, strlen(*out)) > max))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, name, "%s must be UTF-8 text of at most %zu characters", name,
                        max);
    return 0;
}

int qin_page(http_req *r, const char *size_name, int64_t def_size, int64_t *page, int64_t *size, crm_err *err)
{
    int rc;
    if ((rc = qin_int(r, "page", 1, 1000000, 1, page, err)) || (rc = qin_int(r, size_name, 1, 200, def_size, size, err)))
        return rc;
    /* Deep offsets cost a scan of every row before them: past this, keyset paging is the way. */
    if ((*page - 1) * *size > API_OFFSET_MAX)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "page", "page * %s may not pass %d rows; page with after= instead",
                        size_name, API_OFFSET_MAX);
    return 0;
}
