/* Unit tests for service/import_columns: CSV headers as spreadsheets, other CRMs and our own
 * export name them, matched to contact fields; and the field names a mapping may use. */
#include "service/import_columns.h"
#include "tap.h"

int main(void)
{
    static const struct {
        const char *header;
        import_field want;
    } cases[] = {
        { "First Name", IMPORT_FIRST_NAME },  { "first_name", IMPORT_FIRST_NAME }, { "FIRSTNAME", IMPORT_FIRST_NAME },
        { "firstName", IMPORT_FIRST_NAME },   { " Given-Name ", IMPORT_FIRST_NAME }, { "Last Name", IMPORT_LAST_NAME },
        { "surname", IMPORT_LAST_NAME },      { "Phone", IMPORT_PHONE },          { "Phone Number", IMPORT_PHONE },
        { "phone_number", IMPORT_PHONE },     { "Mobile", IMPORT_PHONE },         { "Mobile Phone", IMPORT_PHONE },
        { "Cell #", IMPORT_PHONE },           { "Tel.", IMPORT_PHONE },           { "phone1", IMPORT_PHONE },
        { "Phone 2", IMPORT_PHONE },          { "secondaryPhoneNumber", IMPORT_PHONE }, { "E-mail", IMPORT_EMAIL },
        { "Email Address", IMPORT_EMAIL },    { "email2", IMPORT_EMAIL },         { "EMAILS", IMPORT_EMAIL },
        { "Status", IMPORT_STATUS },          { "stage", IMPORT_STATUS },         { "Lead Status", IMPORT_STATUS },
        { "pipelineId", IMPORT_PIPELINE_ID }, { "Lead Source", IMPORT_SOURCE },   { "source", IMPORT_SOURCE },
        { "Process", IMPORT_PROCESS },        { "_id", IMPORT_IGNORED },          { "createdAt", IMPORT_IGNORED },
        { "Notes", IMPORT_IGNORED },          { "pipeline", IMPORT_IGNORED },     { "assignees", IMPORT_IGNORED },
        { "", IMPORT_IGNORED },               { "123", IMPORT_IGNORED },          { "status2", IMPORT_IGNORED },
        { "Téléphone", IMPORT_IGNORED },      { "first name 2", IMPORT_IGNORED },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_int(import_field_of_header(cases[i].header), cases[i].want, "header \"%s\"", cases[i].header);

    is_int(import_field_by_name("firstName"), IMPORT_FIRST_NAME, "mapping: firstName");
    is_int(import_field_by_name("phoneNumber"), IMPORT_PHONE, "mapping: phoneNumber");
    is_int(import_field_by_name("mobile"), IMPORT_PHONE, "mapping: mobile");
    is_int(import_field_by_name("emails"), IMPORT_EMAIL, "mapping: emails");
    is_int(import_field_by_name("pipelineId"), IMPORT_PIPELINE_ID, "mapping: pipelineId");
    is_int(import_field_by_name(""), IMPORT_IGNORED, "mapping: \"\" leaves the column out");
    is_int(import_field_by_name("ignore"), IMPORT_IGNORED, "mapping: ignore");
    is_int(import_field_by_name("shoeSize"), -1, "mapping: no such field");
    is_int(import_field_by_name("phone3"), -1, "mapping: a numbered column is no field name");

    is_str(import_field_key(IMPORT_PHONE), "phoneNumber", "the body key of phones");
    is_str(import_field_key(IMPORT_EMAIL), "email", "of emails");
    ok(import_field_key(IMPORT_IGNORED) == NULL, "none for an ignored column");
    char out[8];
    import_header_fold("Ab-C d_E!fGhIj", out, sizeof out);
    is_str(out, "abcdefg", "folded, cut to the buffer");
    return tap_done();
}
