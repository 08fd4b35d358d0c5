/* The one error catalogue of crmd: machine code, HTTP status and default message.
 * Functions return 0 or -CRM_E_<NAME>; struct crm_err carries the details of one failure. */
#ifndef CRM_ERRORS_H
#define CRM_ERRORS_H

#include <stdarg.h>

#define CRM_ERROR_LIST(X)                                                                        \
    X(BAD_REQUEST, 400, "bad_request", "The request is not valid HTTP/1.1")                     \
    X(INVALID_JSON, 400, "invalid_json", "The request body is not a JSON object")                \
    X(VALIDATION_FAILED, 400, "validation_failed", "A field is missing or invalid")              \
    X(STAGE_NOT_FOUND, 400, "stage_not_found", "No active stage of the pipeline matches")        \
    X(STAGE_MISMATCH, 400, "stage_mismatch", "status and pipelineStage name different stages")   \
    X(UNAUTHORIZED, 401, "unauthorized", "Missing, invalid, expired or revoked credentials")     \
    X(FORBIDDEN, 403, "forbidden", "Your role may not do this")                                  \
    X(NOT_FOUND, 404, "not_found", "No such record")                                             \
    X(PIPELINE_NOT_FOUND, 404, "pipeline_not_found", "No such active pipeline")                  \
    X(METHOD_NOT_ALLOWED, 405, "method_not_allowed", "This path does not take that method")      \
    X(PHONE_TAKEN, 409, "phone_taken", "This phone number belongs to another contact")           \
    X(PHONE_RESERVED, 409, "phone_reserved", "This phone number is provisioned to the organization") \
    X(EMAIL_TAKEN, 409, "email_taken", "This email address is already in use")                   \
    X(NAME_TAKEN, 409, "name_taken", "This name is already in use")                              \
    X(PRECONDITION_FAILED, 412, "precondition_failed", "The record changed since you read it")   \
    X(PAYLOAD_TOO_LARGE, 413, "payload_too_large", "The request body is larger than 1 MiB")      \
    X(HEADERS_TOO_LARGE, 431, "headers_too_large", "The request head is too large")              \
    X(UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type", "The request body must be JSON")    \
    X(IDEMPOTENCY_KEY_REUSED, 422, "idempotency_key_reused", "This Idempotency-Key was used with another body") \
    X(RATE_LIMITED, 429, "rate_limited", "Too many requests")                                   \
    X(INTERNAL, 500, "internal", "Internal error")                                               \
    X(UNAVAILABLE, 503, "unavailable", "Storage is unavailable; retry")

enum crm_error {
    CRM_OK = 0,
#define CRM_ERROR_ENUM(name, status, code, message) CRM_E_##name,
    CRM_ERROR_LIST(CRM_ERROR_ENUM)
#undef CRM_ERROR_ENUM
    CRM_E__COUNT
};

/* Lookups take the positive code (CRM_E_x) or its negation; an unknown code maps to INTERNAL. */
int crm_error_status(int code);
const char *crm_error_code(int code);
const char *crm_error_message(int code);

/* Details of one failure, filled by whoever detects it. Strings are copied (and truncated). */
typedef struct crm_err {
    int code;              /* positive CRM_E_x, 0 when nothing failed */
    char field[128];       /* "phoneNumber[0].value", or "" */
    char value[128];       /* offending normalized value, or "" */
    char contact_id[25];   /* contact that holds a taken number, or "" */
    char message[256];     /* human sentence; "" means the catalogue's default */
} crm_err;

/* Records code, field (may be NULL) and a printf-style message (fmt may be NULL);
 * returns -code so callers can write `return crm_fail(err, CRM_E_X, "f", "...")`. */
int crm_fail(crm_err *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void crm_err_set_value(crm_err *err, const char *value);
void crm_err_set_contact(crm_err *err, const char *contact_id);

#endif
