/* §3: users of an organization and the caller's profile. */
#include "api/routes.h"
#include "service/render.h"

static void create_user(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me, user;
    user_input in = { 0 };
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = api_body_object(r, &body, &err)) ||
        (rc = api_read_user_input(body, "", &in, &err)) ||
        (rc = user_create(api_app(), me, &in, http_req_arena(r), &user, &err)))
        api_send_error(r, &err);
    else
        api_send_ok(r, 201, "User created", json_pack("{s:o}", "user", render_user(&user)));
    json_decref(body);
}

static void list_users(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me, *users;
    size_t n;
    if (api_authenticate(r, &me, &err) || user_list(api_app(), me, http_req_arena(r), &users, &n, &err)) {
        api_send_error(r, &err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, render_user(&users[i]));
    api_send_json(r, 200, arr);
}

static void get_profile(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me, user;
    if (api_authenticate(r, &me, &err) || user_profile_get(api_app(), me, http_req_arena(r), &user, &err))
        api_send_error(r, &err);
    else
        api_send_ok(r, 200, "Profile", json_pack("{s:o}", "user", render_user(&user)));
}

/* Optional nullable string: absent → unchanged, null → cleared (when allowed), else the value. */
static int read_nullable(json_t *body, const char *key, size_t max, const char **out, bool *cleared, crm_err *err)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (cleared)
        *cleared = v && json_is_null(v);
    return jin_string(body, key, key, max, false, out, err);
}

static void update_profile(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    crm_user *me, user;
    profile_input in = { .login_disabled = -1 };
    bool disabled, given;
    int rc;
    if ((rc = api_authenticate(r, &me, &err)) || (rc = api_body_object(r, &body, &err)) ||
        (rc = jin_objectid(body, "id", false, &in.id, &err)) ||
        (rc = read_nullable(body, "fullName", 200, &in.full_name, NULL, &err)) ||
        (rc = read_nullable(body, "email", 254, &in.email, NULL, &err)) ||
        (rc = read_nullable(body, "password", 1024, &in.password, NULL, &err)) ||
        (rc = read_nullable(body, "phoneNumber", 64, &in.phone_number, &in.clear_phone, &err)) ||
        (rc = read_nullable(body, "designation", 200, &in.designation, &in.clear_designation, &err)) ||
        (rc = read_nullable(body, "sinchPhoneNumber", 64, &in.sinch_phone_number, &in.clear_sinch, &err)) ||
        (rc = read_nullable(body, "accessRole", 32, &in.access_role, NULL, &err)) ||
        (rc = jin_bool(body, "loginDisabled", &disabled, &given, &err)))
        goto done;
    if (given)
        in.login_disabled = disabled;
    rc = user_profile_update(api_app(), me, &in, http_req_arena(r), &user, &err);
done:
    if (rc)
        api_send_error(r, &err);
    else
        api_send_ok(r, 200, "Profile updated", json_pack("{s:o}", "user", render_user(&user)));
    json_decref(body);
}

const http_route api_user_routes[] = {
    { "POST", "/api/users", create_user },
    { "GET", "/api/user/list", list_users },
    { "GET", "/api/user/profile", get_profile },
    { "PUT", "/api/user/profile", update_profile },
};
const size_t api_user_nroutes = sizeof api_user_routes / sizeof api_user_routes[0];
