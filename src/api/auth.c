/* §2: login, token check and API key rotation. */
#include "api/routes.h"
#include "api/api.h"
#include "service/auth.h"
#include "service/render.h"

static void login(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    const char *email, *password;
    crm_user user;
    char *token;
    int rc;

    if ((rc = api_body_object(r, &body, &err)) ||
        (rc = jin_string(body, "email", "email", 254, true, &email, &err)) ||
        (rc = jin_string(body, "password", "password", 1024, true, &password, &err)) ||
        (rc = auth_login(api_app(), email, password, http_req_arena(r), &user, &token, &err)))
        goto done;
    api_send_json(r, 200, json_pack("{s:s, s:o}", "token", token, "user", render_login_user(&user)));
done:
    if (rc)
        api_send_error(r, &err);
    json_decref(body);
}

static void verify_token(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    if (api_authenticate(r, &me, &err))
        api_send_error(r, &err);
    else
        api_send_json(r, 200, json_pack("{s:s}", "message", "Token is good"));
}

static void regenerate_apikey(http_req *r)
{
    crm_err err = { 0 };
    crm_user *me;
    char *key;
    if (api_authenticate(r, &me, &err) || auth_regenerate_apikey(api_app(), me, http_req_arena(r), &key, &err))
        api_send_error(r, &err);
    else
        api_send_ok(r, 200, "API key regenerated", json_pack("{s:s}", "apiKey", key));
}

const http_route api_auth_routes[] = {
    { "POST", "/api/auth/login", login },
    { "GET", "/api/auth/verify-token", verify_token },
    { "POST", "/api/user/api-key/regenerate", regenerate_apikey },
};
const size_t api_auth_nroutes = sizeof api_auth_routes / sizeof api_auth_routes[0];
