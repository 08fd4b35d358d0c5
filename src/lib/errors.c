/* The error catalogue's tables (generated from CRM_ERROR_LIST) and the helpers that fill
 * struct crm_err. */
#include "lib/errors.h"

#include <stdio.h>
#include <string.h>

/* Index 0 is CRM_OK; lookups of it or of anything unknown fall back to INTERNAL. */
#define ROW_STATUS(name, status, code, message) [CRM_E_##name] = status,
#define ROW_CODE(name, status, code, message) [CRM_E_##name] = code,
#define ROW_MESSAGE(name, status, code, message) [CRM_E_##name] = message,
static const int statuses[CRM_E__COUNT] = {CRM_ERROR_LIST(ROW_STATUS)};
static const char *const codes[CRM_E__COUNT] = {CRM_ERROR_LIST(ROW_CODE)};
static const char *const messages[CRM_E__COUNT] = {CRM_ERROR_LIST(ROW_MESSAGE)};
#undef ROW_STATUS
#undef ROW_CODE
#undef ROW_MESSAGE

static int known(int code)
{
    /* Negating INT_MIN overflows; treat anything that far out as unknown. */
    if (code < -(int)CRM_E__COUNT || code > (int)CRM_E__COUNT)
        return CRM_E_INTERNAL;
    if (code < 0)
        code = -code;
    if (code <= CRM_OK || code >= CRM_E__COUNT)
        return CRM_E_INTERNAL;
    return code;
}

int crm_error_status(int code)
{
    return statuses[known(code)];
}

const char *crm_error_code(int code)
{
    return codes[known(code)];
}

const char *crm_error_message(int code)
{
    return messages[known(code)];
}

/* Truncation must not split a UTF-8 sequence: these strings end up in JSON replies, and
 * jansson refuses invalid UTF-8. Cuts a dangling partial sequence off the end of dst. */
static void drop_partial_tail(char *dst)
{
    size_t n = strlen(dst), i = n, need;
    unsigned char lead;
    while (i > 0 && n - i < 4 && ((unsigned char)dst[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return;
    lead = (unsigned char)dst[i - 1];
    if (lead < 0x80)
        return;
    need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if ((i - 1) + need > n)
        dst[i - 1] = '\0';
}

static void copy(char *dst, size_t cap, const char *src)
{
    if (snprintf(dst, cap, "%s", src ? src : "") >= (int)cap)
        drop_partial_tail(dst);
}

int crm_fail(crm_err *err, int code, const char *field, const char *fmt, ...)
{
    int c = known(code);
    if (err) {
        err->code = c;
        copy(err->field, sizeof err->field, field);
        err->value[0] = '\0';
        err->contact_id[0] = '\0';
        err->message[0] = '\0';
        if (fmt) {
            va_list ap;
            va_start(ap, fmt);
            if (vsnprintf(err->message, sizeof err->message, fmt, ap) >= (int)sizeof err->message)
                drop_partial_tail(err->message);
            va_end(ap);
        }
    }
    return -c;
}

void crm_err_set_value(crm_err *err, const char *value)
{
    if (err)
        copy(err->value, sizeof err->value, value);
}

void crm_err_set_contact(crm_err *err, const char *contact_id)
{
    if (err)
        copy(err->contact_id, sizeof err->contact_id, contact_id);
}
