/* Unit tests for lib/errors: the catalogue tables generated from CRM_ERROR_LIST and crm_fail. */
#include <limits.h>
#include <string.h>

#include "lib/errors.h"
#include "tap.h"

static const struct {
    int code, status;
    const char *name;
} table[] = {
    {CRM_E_BAD_REQUEST, 400, "bad_request"},
    {CRM_E_INVALID_JSON, 400, "invalid_json"},
    {CRM_E_VALIDATION_FAILED, 400, "validation_failed"},
    {CRM_E_STAGE_NOT_FOUND, 400, "stage_not_found"},
    {CRM_E_STAGE_MISMATCH, 400, "stage_mismatch"},
    {CRM_E_UNAUTHORIZED, 401, "unauthorized"},
    {CRM_E_FORBIDDEN, 403, "forbidden"},
    {CRM_E_NOT_FOUND, 404, "not_found"},
    {CRM_E_PIPELINE_NOT_FOUND, 404, "pipeline_not_found"},
    {CRM_E_METHOD_NOT_ALLOWED, 405, "method_not_allowed"},
    {CRM_E_PHONE_TAKEN, 409, "phone_taken"},
    {CRM_E_PHONE_RESERVED, 409, "phone_reserved"},
    {CRM_E_EMAIL_TAKEN, 409, "email_taken"},
    {CRM_E_NAME_TAKEN, 409, "name_taken"},
    {CRM_E_PRECONDITION_FAILED, 412, "precondition_failed"},
    {CRM_E_PAYLOAD_TOO_LARGE, 413, "payload_too_large"},
    {CRM_E_HEADERS_TOO_LARGE, 431, "headers_too_large"},
    {CRM_E_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type"},
    {CRM_E_IDEMPOTENCY_KEY_REUSED, 422, "idempotency_key_reused"},
    {CRM_E_RATE_LIMITED, 429, "rate_limited"},
    {CRM_E_INTERNAL, 500, "internal"},
    {CRM_E_UNAVAILABLE, 503, "unavailable"},
};

static void test_catalogue(void)
{
    size_t n = sizeof table / sizeof table[0];
    is_int(n, CRM_E__COUNT - 1, "the test table covers every code");
    for (size_t i = 0; i < n; i++) {
        int c = table[i].code;
        is_int(crm_error_status(c), table[i].status, "%s → %d", table[i].name, table[i].status);
        is_str(crm_error_code(c), table[i].name, "code string of entry %zu", i);
        is_int(crm_error_status(-c), table[i].status, "-%s → same status", table[i].name);
        is_str(crm_error_code(-c), table[i].name, "negated entry %zu → same code string", i);
        ok(crm_error_message(c) && crm_error_message(c)[0], "%s has a message", table[i].name);
        ok(crm_error_message(c) == crm_error_message(-c), "%s message same when negated",
           table[i].name);
    }
    is_str(crm_error_message(CRM_E_NOT_FOUND), "No such record", "message text comes from the list");
}

static void test_unknown(void)
{
    static const int unknown[] = {0, CRM_E__COUNT, -CRM_E__COUNT, 999, -999, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        int c = unknown[i];
        is_int(crm_error_status(c), 500, "unknown %d → 500", c);
        is_str(crm_error_code(c), "internal", "unknown %d → internal", c);
        is_str(crm_error_message(c), crm_error_message(CRM_E_INTERNAL), "unknown %d → internal message", c);
    }
}

static void test_fail(void)
{
    crm_err e;
    char longer[600];
    memset(&e, 0, sizeof e);
    crm_err_set_value(&e, "+14165550100");
    crm_err_set_contact(&e, "0123456789abcdef01234567");
    is_int(crm_fail(&e, CRM_E_PHONE_TAKEN, "phoneNumber[0].value", "number %d taken", 1),
           -CRM_E_PHONE_TAKEN, "crm_fail returns -code");
    is_int(e.code, CRM_E_PHONE_TAKEN, "code recorded positive");
    is_str(e.field, "phoneNumber[0].value", "field copied");
    is_str(e.message, "number 1 taken", "message formatted");
    is_str(e.value, "", "crm_fail clears value");
    is_str(e.contact_id, "", "crm_fail clears contact_id");

    crm_err_set_value(&e, "+14165550100");
    crm_err_set_contact(&e, "0123456789abcdef01234567");
    is_str(e.value, "+14165550100", "value set");
    is_str(e.contact_id, "0123456789abcdef01234567", "contact set");

    is_int(crm_fail(&e, -CRM_E_NOT_FOUND, NULL, NULL), -CRM_E_NOT_FOUND, "negated code accepted");
    is_int(e.code, CRM_E_NOT_FOUND, "stored positive");
    is_str(e.field, "", "NULL field → \"\"");
    is_str(e.message, "", "NULL fmt → \"\" (catalogue default applies)");

    is_int(crm_fail(&e, 12345, "x", "y"), -CRM_E_INTERNAL, "unknown code becomes internal");
    is_int(e.code, CRM_E_INTERNAL, "stored as internal");
    is_int(crm_fail(NULL, CRM_E_FORBIDDEN, "f", "m"), -CRM_E_FORBIDDEN, "NULL err is allowed");

    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    crm_fail(&e, CRM_E_VALIDATION_FAILED, longer, "%s", longer);
    is_int(strlen(e.field), sizeof e.field - 1, "long field truncated to fit");
    is_int(strlen(e.message), sizeof e.message - 1, "long message truncated to fit");
    crm_err_set_value(&e, longer);
    is_int(strlen(e.value), sizeof e.value - 1, "long value truncated");
    crm_err_set_contact(&e, longer);
    is_int(strlen(e.contact_id), 24, "long contact id truncated to 24");

    /* 126 ASCII bytes then "é" (2 bytes): 128 bytes do not fit in 127, and the cut must not
     * leave half of the é behind. */
    memset(longer, 'b', 126);
    strcpy(longer + 126, "\xc3\xa9zz");
    crm_fail(&e, CRM_E_VALIDATION_FAILED, longer, "%s", longer);
    is_int(strlen(e.field), 126, "truncation drops a split UTF-8 sequence");
    is_int(strlen(e.message), 130, "message that fits keeps all of it");
    memset(longer, 'c', 253);
    strcpy(longer + 253, "x\xe2\x82\xac");   /* the '€' starts at byte 254 of 255 */
    crm_fail(&e, CRM_E_VALIDATION_FAILED, NULL, "%s", longer);
    is_int(strlen(e.message), 254, "message truncation drops a split 3-byte sequence");
    memset(longer, 'd', 125);
    strcpy(longer + 125, "\xc3\xa9");         /* exactly fits: 127 bytes */
    crm_fail(&e, CRM_E_VALIDATION_FAILED, longer, NULL);
    is_int(strlen(e.field), 127, "a sequence that fits whole is kept");
}

int main(void)
{
    test_catalogue();
    test_unknown();
    test_fail();
    return tap_done();
}
