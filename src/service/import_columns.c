/* Header matching for CSV imports: a folded header (letters and digits, lower case) is looked up
 * in a table of the names spreadsheets and other CRMs give each field; a trailing number
 * ("Phone 2", "email1": the columns of our own export) names the same field. */
#include <ctype.h>
#include <string.h>
#include "service/import_columns.h"

static const struct {
    const char *name;
    import_field field;
} names[] = {
    { "firstname", IMPORT_FIRST_NAME },   { "first", IMPORT_FIRST_NAME },      { "givenname", IMPORT_FIRST_NAME },
    { "fname", IMPORT_FIRST_NAME },       { "forename", IMPORT_FIRST_NAME },   { "lastname", IMPORT_LAST_NAME },
    { "last", IMPORT_LAST_NAME },         { "surname", IMPORT_LAST_NAME },     { "familyname", IMPORT_LAST_NAME },
    { "lname", IMPORT_LAST_NAME },        { "phone", IMPORT_PHONE },           { "phonenumber", IMPORT_PHONE },
    { "phonenumbers", IMPORT_PHONE },     { "phoneno", IMPORT_PHONE },         { "mobile", IMPORT_PHONE },
    { "mobilephone", IMPORT_PHONE },      { "mobilenumber", IMPORT_PHONE },    { "mobileno", IMPORT_PHONE },
    { "cell", IMPORT_PHONE },             { "cellphone", IMPORT_PHONE },       { "cellnumber", IMPORT_PHONE },
    { "telephone", IMPORT_PHONE },        { "telephonenumber", IMPORT_PHONE }, { "tel", IMPORT_PHONE },
    { "workphone", IMPORT_PHONE },        { "homephone", IMPORT_PHONE },       { "otherphone", IMPORT_PHONE },
    { "businessphone", IMPORT_PHONE },    { "primaryphone", IMPORT_PHONE },    { "secondaryphone", IMPORT_PHONE },
    { "secondaryphonenumber", IMPORT_PHONE }, { "email", IMPORT_EMAIL },       { "emails", IMPORT_EMAIL },
    { "emailaddress", IMPORT_EMAIL },     { "emailaddresses", IMPORT_EMAIL },  { "mail", IMPORT_EMAIL },
    { "workemail", IMPORT_EMAIL },        { "personalemail", IMPORT_EMAIL },   { "otheremail", IMPORT_EMAIL },
    { "primaryemail", IMPORT_EMAIL },     { "status", IMPORT_STATUS },         { "leadstatus", IMPORT_STATUS },
    { "stage", IMPORT_STATUS },           { "pipelineid", IMPORT_PIPELINE_ID }, { "source", IMPORT_SOURCE },
    { "leadsource", IMPORT_SOURCE },      { "process", IMPORT_PROCESS },
};

void import_header_fold(const char *header, char *out, size_t outlen)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)header; *p && n + 1 < outlen; p++)
        if (*p < 0x80 && isalnum(*p))
            out[n++] = (char)tolower(*p);
    out[n] = '\0';
}

static import_field lookup(const char *folded)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, folded) == 0)
            return names[i].field;
    return IMPORT_IGNORED;
}

import_field import_field_of_header(const char *header)
{
    char folded[128];
    import_header_fold(header, folded, sizeof folded);
    import_field f = lookup(folded);
    if (f != IMPORT_IGNORED)
        return f;
    /* "Phone 2", "email1": a numbered column of a field with several entries */
    size_t n = strlen(folded);
    while (n > 0 && isdigit((unsigned char)folded[n - 1]))
        n--;
    if (n == 0 || n == strlen(folded))
        return IMPORT_IGNORED;
    folded[n] = '\0';
    f = lookup(folded);
    return f == IMPORT_PHONE || f == IMPORT_EMAIL ? f : IMPORT_IGNORED;
}

int import_field_by_name(const char *name)
{
    char folded[128];
    import_header_fold(name, folded, sizeof folded);
    if (!*folded || strcmp(folded, "ignore") == 0)
        return IMPORT_IGNORED;
    import_field f = lookup(folded);
    return f == IMPORT_IGNORED ? -1 : (int)f;
}

const char *import_field_key(import_field f)
{
    switch (f) {
    case IMPORT_FIRST_NAME: return "firstName";
    case IMPORT_LAST_NAME: return "lastName";
    case IMPORT_PHONE: return "phoneNumber";
    case IMPORT_EMAIL: return "email";
    case IMPORT_STATUS: return "status";
    case IMPORT_PIPELINE_ID: return "pipelineId";
    case IMPORT_SOURCE: return "source";
    case IMPORT_PROCESS: return "process";
    case IMPORT_IGNORED: break;
    }
    return NULL;
}
