/* Names of the access roles as the API spells them, of delivery states as stored, and lookups on records. */
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

static const char *const state_names[] = {
    [DELIVERY_PENDING] = "pending", [DELIVERY_SUCCEEDED] = "succeeded", [DELIVERY_FAILED] = "failed",
};

const char *crm_delivery_state_name(crm_delivery_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : NULL;
}

crm_delivery_state crm_delivery_state_parse(const char *s)
{
    for (size_t i = 0; s && i < sizeof state_names / sizeof state_names[0]; i++)
        if (strcmp(s, state_names[i]) == 0)
            return (crm_delivery_state)i;
    return DELIVERY_FAILED;   /* the stores' CHECK constraints keep anything else out */
}

int64_t *crm_import_count(crm_import *imp, const char *status)
{
    return strcmp(status, "created") == 0   ? &imp->created
           : strcmp(status, "updated") == 0 ? &imp->updated
           : strcmp(status, "skipped") == 0 ? &imp->skipped
                                            : &imp->failed;
}

const crm_verification *crm_contact_method(const crm_contact *ct, const char *type, const char *value)
{
    for (size_t i = 0; i < ct->nmethods; i++)
        if (strcmp(ct->methods[i].type, type) == 0 && strcmp(ct->methods[i].value, value) == 0)
            return &ct->methods[i].v;
    return NULL;
}
