/* Which contact field a column of an imported CSV file fills: by its header, matched case- and
 * punctuation-insensitively ("First Name", "first_name", "FIRSTNAME"), or by a mapping the
 * client gives. Pure functions, unit-tested on their own (tests/unit/test_import_columns.c). */
#ifndef CRM_IMPORT_COLUMNS_H
#define CRM_IMPORT_COLUMNS_H

#include <stddef.h>

typedef enum import_field {
    IMPORT_IGNORED = 0,
    IMPORT_FIRST_NAME,
    IMPORT_LAST_NAME,
    IMPORT_PHONE,        /* every phone column adds a number; the first is the primary */
    IMPORT_EMAIL,        /* every email column adds an address; the first is the primary */
    IMPORT_STATUS,
    IMPORT_PIPELINE_ID,
    IMPORT_SOURCE,
    IMPORT_PROCESS,
} import_field;

/* The field a header names, IMPORT_IGNORED when none ("Notes", "_id", "createdAt"...). */
import_field import_field_of_header(const char *header);

/* The field a mapping value names: a contact key as POST /api/contact spells it ("firstName",
 * "phoneNumber", "emails"...) or a header-like spelling of one; "" or "ignore" is IMPORT_IGNORED;
 * -1 when it names no field. */
int import_field_by_name(const char *name);

/* The key of POST /api/contact that a field fills ("firstName", "phoneNumber", "email"...). */
const char *import_field_key(import_field f);

/* header with every character that is not an ASCII letter or digit left out, letters in
 * lower case, into out (at most outlen bytes with the NUL). */
void import_header_fold(const char *header, char *out, size_t outlen);

#endif
