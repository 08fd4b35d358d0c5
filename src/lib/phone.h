/* Phone-number normalization to E.164 through libphonenumber (a C face on the C++ library). */
#ifndef CRM_PHONE_H
#define CRM_PHONE_H

#include <stdbool.h>
#include <stddef.h>

#define PHONE_E164_MAX 17  /* '+' and at most 15 digits, plus NUL */

enum phone_result {
    PHONE_OK = 0,
    PHONE_EMPTY,            /* nothing but blanks */
    PHONE_NOT_A_NUMBER,     /* letters or junk that cannot be a number */
    PHONE_INVALID_COUNTRY,  /* no '+' and no usable default region, or unknown calling code */
    PHONE_TOO_SHORT,
    PHONE_TOO_LONG,
    PHONE_INVALID,          /* parses but is not a valid number for its region */
};

/* Parses `input` (any human format, vanity letters allowed) with `region` (ISO 3166-1 alpha-2)
 * for numbers written without '+', validates it, and writes the E.164 form into out. */
enum phone_result phone_normalize(const char *input, const char *region, char out[PHONE_E164_MAX]);
const char *phone_result_message(enum phone_result r);   /* a short human sentence */
bool phone_region_supported(const char *region);         /* e.g. "US", "GB"; case-sensitive */

#endif
