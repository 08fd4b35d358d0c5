/* §3: organizations, their timezone and their provisioned numbers. */
#include "api/api.h"
#include "api/routes.h"
#include "service/orgs.h"
#include "service/render.h"

#define NAME_MAX_CHARS 200
#define TEXT_MAX_CHARS 500

/* Reads the user fields shared by adminDetails and POST /api/users; prefix names nested fields. */
int api_read_user_input(json_t *obj, const char *prefix, user_input *u, crm_err *err)
{
    char f[7][64];
    const char *keys[7] = { "fullName", "email", "password", "phoneNumber", "designation", "sinchPhoneNumber",
                            "accessRole" };
    const char **outs[7] = { &u->full_name, &u->email, &u->password, &u->phone_number, &u->designation,
                             &u->sinch_phone_number, &u->access_role };
    const size_t max[7] = { NAME_MAX_CHARS, 254, 1024, 64, NAME_MAX_CHARS, 64, 32 };
    for (int i = 0; i < 7; i++) {
        snprintf(f[i], sizeof f[i], "%s%s", prefix, keys[i]);
        int rc = jin_string(obj, keys[i], f[i], max[i], i < 3, outs[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

static void create_org(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me, admin;
    crm_org org;
    org_input in = { 0 };
    int rc;

    if ((rc = api_authenticate(r, &me, &err)))
        goto done;
    if (me->role != ROLE_SUPERADMIN) {
        rc = crm_fail(&err, CRM_E_FORBIDDEN, NULL, "Only a SUPERADMIN may create organizations");
        goto done;
    }
    if ((rc = api_body_object(r, &body, &err)))
        goto done;
    json_t *details = json_object_get(body, "adminDetails");
    if (!json_is_object(details)) {
        rc = crm_fail(&err, CRM_E_VALIDATION_FAILED, "adminDetails", "adminDetails must be an object");
        goto done;
    }
    if ((rc = jin_string(body, "name", "name", NAME_MAX_CHARS, true, &in.name, &err)) ||
        (rc = jin_string(body, "phoneNumber", "phoneNumber", 64, false, &in.phone_number, &err)) ||
        (rc = jin_string(body, "address", "address", TEXT_MAX_CHARS, false, &in.address, &err)) ||
        (rc = jin_string(body, "timezone", "timezone", 64, false, &in.timezone, &err)) ||
        (rc = jin_string(body, "defaultCountry", "defaultCountry", 2, false, &in.default_country, &err)) ||
        (rc = api_read_user_input(details, "adminDetails.", &in.admin, &err)) ||
        (rc = org_create(api_app(), me, &in, http_req_arena(r), &org, &admin, &err)))
        goto done;
    api_send_ok(r, 201, "Organization created",
                json_pack("{s:o, s:o}", "organization", render_org(&org), "admin", render_user(&admin)));
done:
    if (rc)
        api_send_error(r, &err);
    json_decref(body);
}

static void get_org(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id;
    crm_org org;
    if (api_authenticate(r, &me, &err) || api_path_id(r, "id", &id, &err) ||
        org_read(api_app(), me, id, http_req_arena(r), &org, &err))
        api_send_error(r, &err);
    else
        api_send_ok(r, 200, "Organization", json_pack("{s:o}", "organization", render_org(&org)));
}

static void set_timezone(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *id, *tz;
    crm_org org;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = api_path_id(r, "id", &id, &err)) ||
        (rc = api_body_object(r, &body, &err)) ||
        (rc = jin_string(body, "timezone", "timezone", 64, true, &tz, &err)) ||
        (rc = org_set_timezone(api_app(), me, id, tz, http_req_arena(r), &org, &err)))
        api_send_error(r, &err);
    else
        api_send_ok(r, 200, "Timezone updated", json_pack("{s:o}", "organization", render_org(&org)));
    json_decref(body);
}

static void list_phones(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    const char *id;
    crm_org_phone *phones;
    size_t n;
    if (api_authenticate(r, &me, &err) || api_path_id(r, "id", &id, &err) ||
        org_phone_list(api_app(), me, id, http_req_arena(r), &phones, &n, &err)) {
        api_send_error(r, &err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, render_org_phone(&phones[i]));
    api_send_ok(r, 200, "Phone numbers", json_pack("{s:o}", "phoneNumbers", arr));
}

static void add_phone(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *id;
    crm_org_phone out;
    org_phone_input in = { .is_default = true, .is_inbound_enabled = true };
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = api_path_id(r, "id", &id, &err)) ||
        (rc = api_body_object(r, &body, &err)) ||
        (rc = jin_string(body, "phoneNumber", "phoneNumber", 64, true, &in.phone_number, &err)) ||
        (rc = jin_string(body, "provider", "provider", 32, true, &in.provider, &err)) ||
        (rc = jin_objectid(body, "targetUserId", false, &in.target_user_id, &err)) ||
        (rc = jin_bool(body, "isDefault", &in.is_default, NULL, &err)) ||
        (rc = jin_bool(body, "isInboundEnabled", &in.is_inbound_enabled, NULL, &err)) ||
        (rc = org_phone_add(api_app(), me, id, &in, http_req_arena(r), &out, &err)))
        api_send_error(r, &err);
    else
        api_send_ok(r, 201, "Phone number provisioned", json_pack("{s:o}", "phoneNumber", render_org_phone(&out)));
    json_decref(body);
}

static void remove_phone(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me;
    const char *id, *number;
    char e164[PHONE_E164_MAX];
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = api_path_id(r, "id", &id, &err)) ||
        (rc = api_body_object(r, &body, &err)) ||
        (rc = jin_string(body, "phoneNumber", "phoneNumber", 64, true, &number, &err)) ||
        (rc = org_phone_remove(api_app(), me, id, number, e164, &err)))
        api_send_error(r, &err);
    else
        api_send_ok(r, 200, "Phone number removed", json_pack("{s:s}", "phoneNumber", e164));
    json_decref(body);
}

const http_route api_org_routes[] = {
    { "POST", "/api/organizations", create_org },
    { "GET", "/api/organizations/:id", get_org },
    { "PUT", "/api/organizations/:id/timezone", set_timezone },
    { "GET", "/api/organizations/:id/phone-numbers", list_phones },
    { "POST", "/api/organizations/:id/phone-numbers", add_phone },
    { "DELETE", "/api/organizations/:id/phone-numbers", remove_phone },
};
const size_t api_org_nroutes = sizeof api_org_routes / sizeof api_org_routes[0];
