/* Names of the access roles as the API spells them. */
#include <string.h>
#include "model/model.h"

static const char *const role_names[] = {
    [ROLE_SUPERADMIN] = "SUPERADMIN",
    [ROLE_ADMIN] = "ADMIN",
    [ROLE_DEPARTMENT_HEAD] = "DEPARTMENT_HEAD",
    [ROLE_SALES_REP] = "SALES_REP",
};

const char *crm_role_name(crm_role r)
{
    return (unsigned)r < sizeof role_names / sizeof role_names[0] ? role_names[r] : "SALES_REP";
}

bool crm_role_parse(const char *s, crm_role *out)
{
    for (size_t i = 0; s && i < sizeof role_names / sizeof role_names[0]; i++) {
        if (strcmp(s, role_names[i]) == 0) {
            *out = (crm_role)i;
            return true;
        }
    }
    return false;
}
