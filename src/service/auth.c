/* Authentication: Argon2id password login, HS256 JWTs, hashed personal API keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "service/auth.h"
#include "service/account_cache.h"
#include "lib/email.h"
#include "lib/password.h"
#include "lib/timefmt.h"

#define APIKEY_PREFIX "tk_live_"

int auth_login(crm_app *app, const char *email, const char *password, arena *a,
               crm_user *user, char **token, crm_err *err)
{
    store_conn *c;
    char norm[EMAIL_MAX + 1];
    int rc = app_reader(app, &c, err);
    if (rc)
        return rc;

    bool found = false;
    if (email_normalize(email, norm)) {
        rc = c->ops->user_get_by_email(c, norm, a, user);
        if (rc && rc != -CRM_E_NOT_FOUND)
            return crm_fail(err, -rc, NULL, NULL);
        found = rc == 0;
    }
    /* Verify even when there is no such user, so both failures cost the same. */
    bool good = password_verify(found ? user->password_hash : NULL, password);
    if (!found || !good || user->login_disabled)
        return crm_fail(err, CRM_E_UNAUTHORIZED, NULL, "Invalid email or password");

    int64_t now = time_now_ms() / 1000;
    jwt_claims cl = { .iat = now, .exp = now + app->token_ttl_s, .ver = user->token_version };
    memcpy(cl.sub, user->id, sizeof cl.sub);
    memcpy(cl.org, user->org_id, sizeof cl.org);
    snprintf(cl.role, sizeof cl.role, "%s", crm_role_name(user->role));
    char *t = jwt_issue(&cl, app->jwt_secret);
    if (!t)
        return crm_fail(err, CRM_E_INTERNAL, NULL, NULL);
    *token = arena_strdup(a, t);
    free(t);
    return 0;
}

int auth_authenticate(crm_app *app, const char *authorization, arena *a, crm_user *me, crm_err *err)
{
    static const char bearer[] = "Bearer ";
    store_conn *c;
    int rc;

    if (!authorization || strncasecmp(authorization, bearer, sizeof bearer - 1) != 0)
        return crm_fail(err, CRM_E_UNAUTHORIZED, NULL, "Missing bearer token");
    const char *tok = authorization + sizeof bearer - 1;
    while (*tok == ' ')
        tok++;
    if ((rc = app_reader(app, &c, err)))
        return rc;

    if (strncmp(tok, APIKEY_PREFIX, sizeof APIKEY_PREFIX - 1) == 0) {
        char h[APIKEY_HASH_HEX];
        apikey_hash(tok, h);
        rc = account_cache_apikey_user(app, c, h, a, me);
    } else {
        jwt_claims cl;
        if (jwt_verify_memo(tok, app->jwt_secret, time_now_ms() / 1000, &cl) != JWT_OK)
            return crm_fail(err, CRM_E_UNAUTHORIZED, NULL, "Invalid or expired token");
        rc = account_cache_user(app, c, cl.sub, a, me);
        if (rc == 0 && (me->token_version != cl.ver || strcmp(me->org_id, cl.org) != 0))
            return crm_fail(err, CRM_E_UNAUTHORIZED, NULL, "This token has been revoked");
    }
    if (rc == -CRM_E_NOT_FOUND)
        return crm_fail(err, CRM_E_UNAUTHORIZED, NULL, "Invalid or revoked credentials");
    if (rc)
        return crm_fail(err, -rc, NULL, NULL);
    if (me->login_disabled)
        return crm_fail(err, CRM_E_UNAUTHORIZED, NULL, "This user is disabled");
    return 0;
}

bool auth_still_valid(crm_app *app, const char *user_id, const char *org_id, int64_t token_version)
{
    store_conn *c = app->st->ops->reader(app->st);
    arena *a = arena_new();
    crm_user u;
    int rc = c ? c->ops->user_get(c, user_id, a, &u) : -CRM_E_UNAVAILABLE;
    bool ok = rc == -CRM_E_UNAVAILABLE ||
              (rc == 0 && !u.login_disabled && u.token_version == token_version && strcmp(u.org_id, org_id) == 0);
    arena_destroy(a);
    return ok;
}

bool auth_is_apikey(const char *authorization)
{
    static const char bearer[] = "Bearer ";
    if (!authorization || strncasecmp(authorization, bearer, sizeof bearer - 1) != 0)
        return false;
    const char *tok = authorization + sizeof bearer - 1;
    while (*tok == ' ')
        tok++;
    return strncmp(tok, APIKEY_PREFIX, sizeof APIKEY_PREFIX - 1) == 0;
}

struct apikey_work {
    const char *user_id;
    const char *hash;
};

static int set_apikey(store_conn *c, void *arg)
{
    struct apikey_work *w = arg;
    return c->ops->user_set_apikey(c, w->user_id, w->hash);
}

int auth_regenerate_apikey(crm_app *app, const crm_user *me, arena *a, char **key, crm_err *err)
{
    char k[APIKEY_MAX], h[APIKEY_HASH_HEX];
    apikey_new(k);
    apikey_hash(k, h);
    struct apikey_work w = { me->id, h };
    int rc = app_write(app, set_apikey, &w, err);
    if (rc)
        return rc;
    *key = arena_strdup(a, k);
    return 0;
}
