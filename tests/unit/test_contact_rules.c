/* service/contact_rules: how a create's or an update's keys become the contact's fields, with
 * the error (code, field, value) each bad entry gets. The checks against other records run in
 * the API tests (tests/api/test_contacts_*.py), where the store is real. */
#include <string.h>

#include "lib/arena.h"
#include "service/contact_rules.h"
#include "tap.h"

static arena *a;
static crm_user me = {.id = "aaaaaaaaaaaaaaaaaaaaaaaa", .org_id = "bbbbbbbbbbbbbbbbbbbbbbbb"};

static contact_value_input v(const char *value, int primary, const char *field)
{
    return (contact_value_input){.value = value, .is_primary = primary, .field = field};
}

/* Applies in to ct (a new contact when ct is zeroed) with region US; the error code or 0. */
static int apply(const contact_input *in, crm_contact *ct, crm_err *err)
{
    memset(err, 0, sizeof *err);
    return contact_apply_input(in, "US", &me, a, ct, err);
}

static void test_phones(void)
{
    crm_contact ct = {0};
    crm_err err;
    contact_value_input p[] = {v("(416) 555-0100", -1, "phoneNumber[0].value"), v("+44 20 7946 0958", 1, "phoneNumber[1].value")};
    contact_value_input s[] = {v("212-555-0199", -1, "secondaryPhoneNumber[0].value")};
    contact_input in = {.given = CK_PHONES | CK_SECONDARY, .phones = p, .nphones = 2, .secondary = s, .nsecondary = 1};
    is_int(apply(&in, &ct, &err), 0, "two numbers and a secondary");
    is_int(ct.nphones, 2, "two in phoneNumber");
    is_str(ct.phones[0].e164, "+14165550100", "national format with the region's country");
    is_str(ct.phones[1].e164, "+442079460958", "international format kept");
    ok(!ct.phones[0].is_primary && ct.phones[1].is_primary, "the one marked primary is");
    is_int(ct.nsecondary, 1, "one secondary");
    ok(!ct.secondary[0].is_primary, "a secondary number is never primary");

    crm_contact fresh = {0};
    contact_value_input unmarked[] = {v("4165550100", -1, "phoneNumber[0].value"), v("4165550101", -1, "phoneNumber[1].value")};
    in = (contact_input){.given = CK_PHONES, .phones = unmarked, .nphones = 2};
    is_int(apply(&in, &fresh, &err), 0, "none marked");
    ok(fresh.phones[0].is_primary && !fresh.phones[1].is_primary, "none marked: the first is primary");

    contact_value_input two[] = {v("4165550100", 1, "phoneNumber[0].value"), v("4165550101", 1, "phoneNumber[1].value")};
    in = (contact_input){.given = CK_PHONES, .phones = two, .nphones = 2};
    is_int(apply(&in, &fresh, &err), -CRM_E_VALIDATION_FAILED, "two primaries");
    is_str(err.field, "phoneNumber", "the error names the list");

    contact_value_input bad[] = {v("4165550100", -1, "phoneNumber[0].value"), v("12", -1, "phoneNumber[1].value")};
    in = (contact_input){.given = CK_PHONES, .phones = bad, .nphones = 2};
    is_int(apply(&in, &fresh, &err), -CRM_E_VALIDATION_FAILED, "an invalid number");
    is_str(err.field, "phoneNumber[1].value", "at its field");

    contact_value_input rep[] = {v("+1 416 555 0100", -1, "phoneNumber[0].value")};
    contact_value_input rep2[] = {v("416.555.0100", -1, "secondaryPhoneNumber[0].value")};
    in = (contact_input){.given = CK_PHONES | CK_SECONDARY, .phones = rep, .nphones = 1, .secondary = rep2, .nsecondary = 1};
    is_int(apply(&in, &fresh, &err), -CRM_E_VALIDATION_FAILED, "one number in both lists, in two formats");
    is_str(err.field, "secondaryPhoneNumber[0].value", "the later entry is the error's field");
    is_str(err.value, "+14165550100", "its value is the normalized number");

    in = (contact_input){.given = CK_PHONES, .phones = NULL, .nphones = 0};
    is_int(apply(&in, &fresh, &err), -CRM_E_VALIDATION_FAILED, "an empty phoneNumber");
    is_str(err.field, "phoneNumber", "needs at least one number");

    contact_value_input many[CONTACT_MAX_PHONES + 1];
    char nums[CONTACT_MAX_PHONES + 1][24];   /* room for any int, as -O1 cannot bound i */
    for (int i = 0; i <= CONTACT_MAX_PHONES; i++) {
        snprintf(nums[i], sizeof nums[i], "41655501%02d", i);
        many[i] = v(nums[i], -1, "phoneNumber[i].value");
    }
    in = (contact_input){.given = CK_PHONES, .phones = many, .nphones = CONTACT_MAX_PHONES + 1};
    is_int(apply(&in, &fresh, &err), -CRM_E_VALIDATION_FAILED, "more than the most numbers a contact has");
    in.nphones = CONTACT_MAX_PHONES;
    is_int(apply(&in, &fresh, &err), 0, "exactly the most is fine");

    /* An update that gives only the secondary list keeps the primary list as it is. */
    contact_value_input sec[] = {v("2125550199", -1, "secondaryPhoneNumber[0].value")};
    in = (contact_input){.given = CK_SECONDARY, .secondary = sec, .nsecondary = 1};
    is_int(apply(&in, &ct, &err), 0, "secondary only");
    is_int(ct.nphones, 2, "phoneNumber untouched");
    is_str(ct.phones[1].e164, "+442079460958", "with its numbers");
    ok(ct.phones[1].is_primary, "and its primary");
    is_str(ct.secondary[0].e164, "+12125550199", "the new secondary");
    contact_value_input clash[] = {v("+442079460958", -1, "secondaryPhoneNumber[0].value")};
    in = (contact_input){.given = CK_SECONDARY, .secondary = clash, .nsecondary = 1};
    is_int(apply(&in, &ct, &err), -CRM_E_VALIDATION_FAILED, "a secondary that repeats a kept number");
    is_str(err.field, "secondaryPhoneNumber[0].value", "is refused at its field");
}

static void test_emails_and_strings(void)
{
    crm_contact ct = {0};
    crm_err err;
    contact_value_input e[] = {v("Jane.Doe@Example.COM", -1, "email[0]"), v("jd@example.org", 1, "email[1]")};
    contact_input in = {.given = CK_EMAILS | CK_FIRST_NAME | CK_SOURCE, .emails = e, .nemails = 2,
                        .first_name = "Jane", .source = "web"};
    is_int(apply(&in, &ct, &err), 0, "two emails");
    is_str(ct.emails[0].value, "jane.doe@example.com", "lower-cased");
    ok(!ct.emails[0].is_primary && ct.emails[1].is_primary, "the marked one is primary");
    is_str(ct.first_name, "Jane", "first name copied");
    is_str(ct.source, "web", "source copied");
    ok(ct.last_name == NULL && ct.process == NULL, "keys not given stay unset");

    contact_value_input dup[] = {v("a@example.com", -1, "email[0]"), v("A@EXAMPLE.com", -1, "email[1]")};
    in = (contact_input){.given = CK_EMAILS, .emails = dup, .nemails = 2};
    is_int(apply(&in, &ct, &err), -CRM_E_VALIDATION_FAILED, "the same address in two cases");
    is_str(err.field, "email[1]", "the repeat is the error's field");

    contact_value_input bad[] = {v("not-an-address", -1, "email")};
    in = (contact_input){.given = CK_EMAILS, .emails = bad, .nemails = 1};
    is_int(apply(&in, &ct, &err), -CRM_E_VALIDATION_FAILED, "an invalid address");
    is_str(err.field, "email", "at its field");
    is_int(ct.nemails, 2, "a failed apply leaves the emails as they were");

    in = (contact_input){.given = CK_EMAILS, .emails = NULL, .nemails = 0};
    is_int(apply(&in, &ct, &err), 0, "an empty list");
    is_int(ct.nemails, 0, "clears the emails");
}

static void test_assignees(void)
{
    crm_contact ct = {0};
    crm_err err;
    contact_input in = {.given = CK_FIRST_NAME, .first_name = "A"};
    is_int(apply(&in, &ct, &err), 0, "no assignees given on a new contact");
    is_int(ct.nassignees, 1, "one assignee");
    is_str(ct.assignees[0], me.id, "the caller");
    const char *ids[] = {"cccccccccccccccccccccccc", "dddddddddddddddddddddddd"};
    in = (contact_input){.given = CK_ASSIGNEES, .assignees = ids, .nassignees = 2};
    is_int(apply(&in, &ct, &err), 0, "assignees given");
    is_int(ct.nassignees, 2, "replace the list");
    is_str(ct.assignees[1], ids[1], "in order");
    in = (contact_input){.given = CK_LAST_NAME, .last_name = "B"};
    is_int(apply(&in, &ct, &err), 0, "an update without assignees");
    is_int(ct.nassignees, 2, "keeps them");
}

static void test_verifications_follow_values(void)
{
    crm_contact ct = {0};
    crm_err err;
    contact_value_input p[] = {v("4165550100", -1, "phoneNumber[0].value"), v("4165550101", -1, "phoneNumber[1].value")};
    contact_value_input e[] = {v("a@example.com", -1, "email[0]")};
    contact_input in = {.given = CK_PHONES | CK_EMAILS, .phones = p, .nphones = 2, .emails = e, .nemails = 1};
    is_int(apply(&in, &ct, &err), 0, "a contact with two numbers and an email");
    crm_method_verification m[] = {{.type = "phone", .value = "+14165550100", .v = {.at = 1}},
                                   {.type = "phone", .value = "+14165550101", .v = {.at = 2}},
                                   {.type = "email", .value = "a@example.com", .v = {.at = 3}}};
    ct.methods = m;
    ct.nmethods = 3;
    ok(contact_holds_value(&ct, "phone", "+14165550101"), "holds its second number");
    ok(!contact_holds_value(&ct, "phone", "+14165550199"), "not another");
    ok(contact_holds_value(&ct, "email", "a@example.com"), "holds its email");
    ok(!contact_holds_value(&ct, "email", "+14165550100"), "a number is not an email");

    /* The first number re-entered in another format, the second dropped, the email kept. */
    contact_value_input q[] = {v("+1 (416) 555-0100", -1, "phoneNumber[0].value"), v("4165550102", -1, "phoneNumber[1].value")};
    in = (contact_input){.given = CK_PHONES, .phones = q, .nphones = 2};
    is_int(apply(&in, &ct, &err), 0, "an update of the numbers");
    is_int(ct.nmethods, 2, "the dropped number's verification goes");
    ok(ct.methods[0].v.at == 1 && strcmp(ct.methods[0].value, "+14165550100") == 0, "the re-entered number stays verified");
    ok(ct.methods[1].v.at == 3, "the email's stays");
    is_str(contact_phone_field(&ct, 1, a), "phoneNumber[1].value", "field of a primary-list number");
    ct.nsecondary = 1;
    ct.secondary = ct.phones + 1;
    ct.nphones = 1;
    is_str(contact_phone_field(&ct, 1, a), "secondaryPhoneNumber[0].value", "field of a secondary number");
}

int main(void)
{
    a = arena_new();
    test_phones();
    test_emails_and_strings();
    test_assignees();
    test_verifications_follow_values();
    arena_destroy(a);
    return tap_done();
}
