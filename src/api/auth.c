/* §2: login (throttled), token check and API key rotation. */
#include <ctype.h>
#include <stdio.h>
#include "api/routes.h"
#include "api/api.h"
#include "service/auth.h"
#include "service/render.h"
#include "service/throttle.h"
#include "lib/email.h"

/* The account a login names, for throttling: the normalized email, or (for what is no email)
 * the text lower-cased, so that "A@x.io" and "a@x.io " count as one account. */
static void account_key(const char *email, char out[EMAIL_MAX + 1])
{
    if (email_normalize(email, out))
        return;
    size_t i = 0;
    for (; email[i] && i < EMAIL_MAX; i++)
        out[i] = (char)tolower((unsigned char)email[i]);
    out[i] = '\0';
}

static void login(http_req *r)
{
    crm_err err = { 0 };
    json_t *body = NULL;
    const char *email, *password;
    crm_user user;
    char *token;
    char account[EMAIL_MAX + 1], address[NETADDR_KEY_MAX];
    bool counted = false;
    unsigned wait_s;
    int rc;

    if ((rc = api_body_object(r, &body, &err)) ||
        (rc = jin_string(body, "email", "email", 254, true, &email, &err)) ||
        (rc = jin_string(body, "password", "password", 1024, true, &password, &err)))
        goto done;
    /* Throttled before the password is hashed: a refused guess costs no Argon2 work. */
    if (api_throttle()) {
        account_key(email, account);
        api_client_key(r, address);
        if (!throttle_login_begin(api_throttle(), account, address, &wait_s)) {
            char text[16];
            snprintf(text, sizeof text, "%u", wait_s);
            http_reply_header(r, "Retry-After", text);
            rc = crm_fail(&err, CRM_E_RATE_LIMITED, NULL, "Too many failed logins; retry in %u s", wait_s);
            goto done;
        }
        counted = true;
    }
    rc = auth_login(api_app(), email, password, http_req_arena(r), &user, &token, &err);
    if (counted)
        throttle_login_end(api_throttle(), account, address,
                           rc == 0 ? THROTTLE_SUCCESS : err.code == CRM_E_UNAUTHORIZED ? THROTTLE_FAILURE : THROTTLE_NEITHER);
    if (rc)
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
