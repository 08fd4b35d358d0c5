/* Application setup (store, migrations, token secret) and small helpers every service uses. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "service/app.h"
#include "lib/password.h"
#include "lib/random.h"
#include "lib/timefmt.h"

#define META_JWT_SECRET "jwt_secret"

static int store_secret(store_conn *c, void *arg)
{
    char **hex = arg;
    arena *a = arena_new();
    char *existing = NULL;
    /* Another process may have created it first: keep the one already there. */
    int rc = c->ops->meta_get(c, META_JWT_SECRET, a, &existing);
    if (rc == 0 && existing && strlen(existing) == JWT_SECRET_LEN * 2)
        memcpy(*hex, existing, JWT_SECRET_LEN * 2 + 1);
    else
        rc = c->ops->meta_set(c, META_JWT_SECRET, *hex);
    arena_destroy(a);
    return rc;
}

static int load_secret(crm_app *app, char *err, size_t errlen)
{
    char hexbuf[JWT_SECRET_LEN * 2 + 1], *hex = hexbuf;
    unsigned char key[JWT_SECRET_LEN];
    random_bytes(key, sizeof key);
    sodium_bin2hex(hexbuf, sizeof hexbuf, key, sizeof key);
    if (app->st->ops->write(app->st, store_secret, &hex) != 0) {
        snprintf(err, errlen, "cannot read or store the token secret in the database");
        return -1;
    }
    size_t n = 0;
    if (sodium_hex2bin(app->jwt_secret, sizeof app->jwt_secret, hexbuf, strlen(hexbuf), NULL, &n, NULL) != 0 ||
        n != JWT_SECRET_LEN) {
        snprintf(err, errlen, "the token secret kept in the database is corrupt");
        return -1;
    }
    return 0;
}

int app_open(crm_app *app, const char *db_url, const char *secret_override, char *err, size_t errlen)
{
    memset(app, 0, sizeof *app);
    app->token_ttl_s = 24 * 3600;
    if (random_init() != 0) {
        snprintf(err, errlen, "cannot initialise libsodium");
        return -1;
    }
    app->st = store_open(db_url, err, errlen);
    if (!app->st)
        return -1;
    if (app->st->ops->migrate(app->st) != 0) {
        snprintf(err, errlen, "cannot migrate the database schema of '%s'", db_url);
        goto fail;
    }
    if (secret_override && *secret_override) {
        crypto_hash_sha256(app->jwt_secret, (const unsigned char *)secret_override, strlen(secret_override));
        return 0;
    }
    if (load_secret(app, err, errlen) == 0)
        return 0;
fail:
    app_close(app);
    return -1;
}

void app_close(crm_app *app)
{
    if (app->st)
        app->st->ops->close(app->st);
    app->st = NULL;
    sodium_memzero(app->jwt_secret, sizeof app->jwt_secret);
}

int app_reader(crm_app *app, store_conn **c, crm_err *err)
{
    *c = app->st->ops->reader(app->st);
    return *c ? 0 : crm_fail(err, CRM_E_UNAVAILABLE, NULL, NULL);
}

int app_write(crm_app *app, store_work_fn fn, void *arg, crm_err *err)
{
    int64_t t0 = time_now_us();
    int rc = app->st->ops->write(app->st, fn, arg);
    hist_observe(&app->write_ms, (double)(time_now_us() - t0) / 1000.0);
    /* A unit that failed records its own details; a bare code came from the store itself. */
    if (rc < 0 && err->code == 0)
        crm_fail(err, -rc, NULL, NULL);
    return rc;
}

bool caller_is_admin_of(const crm_user *me, const char *org_id)
{
    return me->role == ROLE_SUPERADMIN || (me->role == ROLE_ADMIN && strcmp(me->org_id, org_id) == 0);
}

int require_org_member(const crm_user *me, crm_err *err)
{
    if (me->role == ROLE_SUPERADMIN || !me->org_id[0])
        return crm_fail(err, CRM_E_FORBIDDEN, NULL, "This endpoint acts inside an organization");
    return 0;
}
