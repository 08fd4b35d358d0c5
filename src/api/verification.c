/* §5.6: verification of contacts and of their numbers and emails. */
#include <string.h>
#include "lib/timefmt.h"
#include "api/routes.h"
#include "service/contacts.h"
#include "service/render.h"

#define SOURCE_MAX_CHARS 100
#define VALUE_MAX_CHARS 254

static void send_contact(http_req *r, const char *message, const crm_contact *ct)
{
    char etag[48];
    contact_etag(ct, etag);
    http_reply_header(r, "ETag", etag);
    api_send_contact(r, message, ct);
}

/* verifiedAt: an ISO-8601 time after 1970, null (unverify), or absent (now). */
static int read_verified_at(json_t *body, int64_t *at, crm_err *err)
{
    json_t *v = json_object_get(body, "verifiedAt");
    *at = time_now_ms();
    if (!v)
        return 0;
    if (json_is_null(v)) {
        *at = 0;
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s || !time_parse_iso8601(s, at) || *at <= 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "verifiedAt", "verifiedAt must be an ISO-8601 time or null");
    return 0;
}

static void set_verified(http_req *r, bool verify)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *id, *source = NULL;
    crm_contact ct;
    int rc;
    /* The role first: a body is not worth reading for a caller that may not do this. */
    if ((rc = api_authenticate(r, &me, &err)) || (rc = require_org_member(me, &err)) ||
        (rc = me->role == ROLE_ADMIN ? 0 : crm_fail(&err, CRM_E_FORBIDDEN, NULL, "Only an ADMIN may do this")) ||
        (rc = api_path_id(r, "id", &id, &err)))
        goto done;
    /* verify takes an optional body; unverify takes none (one sent is ignored, if it is JSON). */
    size_t len;
    http_req_body(r, &len);
    if (len && (rc = api_body_object(r, &body, &err)))
        goto done;
    if (verify && body &&
        (rc = jin_string(body, "verificationSource", "verificationSource", SOURCE_MAX_CHARS, false, &source, &err)))
        goto done;
    rc = contact_set_verified(api_app(), me, id, verify, source && *source ? source : NULL,
                              http_req_header(r, "If-Match"), http_req_arena(r), &ct, &err);
done:
    if (rc)
        api_send_error(r, &err);
    else
        send_contact(r, verify ? "Contact verified" : "Contact unverified", &ct);
    json_decref(body);
}

static void verify_contact(http_req *r)
{
    set_verified(r, true);
}

static void unverify_contact(http_req *r)
{
    set_verified(r, false);
}

static void verify_method(http_req *r, contact_method_input *in, json_t *body, const crm_user *me, const char *id,
                          crm_err *err)
{
    crm_contact ct;
    int rc = read_verified_at(body, &in->at, err);
    if (rc == 0)
        rc = contact_verify_method(api_app(), me, id, in, http_req_header(r, "If-Match"), http_req_arena(r), &ct, err);
    if (rc)
        api_send_error(r, err);
    else
        send_contact(r, in->at ? "Contact method verified" : "Contact method unverified", &ct);
}

/* PATCH /api/contacts/{id}/phone-number/verify {phoneNumber, verifiedAt|null} */
static void verify_phone(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *id;
    contact_method_input in = { .type = "phone", .field = "phoneNumber" };
    if (api_authenticate(r, &me, &err) || require_org_member(me, &err) || api_path_id(r, "id", &id, &err) ||
        api_body_object(r, &body, &err) ||
        jin_string(body, "phoneNumber", "phoneNumber", VALUE_MAX_CHARS, true, &in.value, &err))
        api_send_error(r, &err);
    else
        verify_method(r, &in, body, me, id, &err);
    json_decref(body);
}

/* PATCH /api/contacts/{id}/verify-contact-methods {type, value, verifiedAt|null, verificationSource?} */
static void verify_contact_method(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *id;
    contact_method_input in = { .field = "value" };
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = require_org_member(me, &err)) ||
        (rc = api_path_id(r, "id", &id, &err)) || (rc = api_body_object(r, &body, &err)) ||
        (rc = jin_string(body, "type", "type", 10, true, &in.type, &err)))
        goto done;
    if (strcmp(in.type, "phone") != 0 && strcmp(in.type, "email") != 0) {
        rc = crm_fail(&err, CRM_E_VALIDATION_FAILED, "type", "type must be \"phone\" or \"email\"");
        goto done;
    }
    if ((rc = jin_string(body, "value", "value", VALUE_MAX_CHARS, true, &in.value, &err)) ||
        (rc = jin_string(body, "verificationSource", "verificationSource", SOURCE_MAX_CHARS, false, &in.source, &err)))
        goto done;
    if (in.source && !*in.source)
        in.source = NULL;   /* an empty source is no source */
    verify_method(r, &in, body, me, id, &err);
done:
    if (rc)
        api_send_error(r, &err);
    json_decref(body);
}

const http_route api_verification_routes[] = {
    { "PATCH", "/api/contacts/:id/verify", verify_contact },
    { "PATCH", "/api/contacts/:id/unverify", unverify_contact },
    { "PATCH", "/api/contacts/:id/phone-number/verify", verify_phone },
    { "PATCH", "/api/contacts/:id/verify-contact-methods", verify_contact_method },
};
const size_t api_verification_nroutes = sizeof api_verification_routes / sizeof api_verification_routes[0];
