/* The per-thread cache of users and organizations (service/account_cache.c), on a real SQLite
 * file and the real services: a token's user and a request's organization are read once and then
 * served from the cache, as is the user an API key names, and every write to a user (disable,
 * password change, profile edit, API key) or an organization (timezone) is seen by the very next
 * request on the same thread. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/log.h"
#include "lib/objectid.h"
#include "service/auth.h"
#include "service/orgs.h"
#include "service/account_cache.h"
#include "service/users.h"
#include "tap.h"
#include "temp_app.h"

static crm_app *app;

static int authenticate(const char *token, arena *a, crm_user *me, crm_err *err)
{
    char header[1024];
    snprintf(header, sizeof header, "Bearer %s", token);
    memset(err, 0, sizeof *err);
    return auth_authenticate(app, header, a, me, err);
}

/* Changes a name behind the services' back, as another program on the file would. */
static void rename_raw_in(const char *path, const char *sql, const char *id, const char *name)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        abort();
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        abort();
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void rename_raw(const char *path, const char *user_id, const char *name)
{
    rename_raw_in(path, "UPDATE users SET full_name = ?1 WHERE id = ?2", user_id, name);
}

/* The organization cache: served without a read, and a timezone change is seen at once. */
static void test_orgs(const char *path, const crm_user *admin, const char *org_id)
{
    arena *a = arena_new();
    store_conn *c;
    crm_err e = {0};
    crm_org got, out;
    is_int(app_reader(app, &c, &e), 0, "a reader");
    is_int(account_cache_org(app, c, org_id, a, &got), 0, "the organization is read");
    is_str(got.name, "Cache Org", "its name");
    rename_raw_in(path, "UPDATE organizations SET name = ?1 WHERE id = ?2", org_id, "Renamed Org");
    is_int(account_cache_org(app, c, org_id, a, &got), 0, "read again");
    is_str(got.name, "Cache Org", "from the cache: no read while no account changed");
    is_int(org_set_timezone(app, admin, org_id, "Europe/Paris", a, &out, &e), 0, "the timezone changes");
    is_int(account_cache_org(app, c, org_id, a, &got), 0, "read again");
    is_str(got.timezone, "Europe/Paris", "the new timezone is seen at once");
    is_str(got.name, "Renamed Org", "and the row as it is now");
    objectid ghost;
    objectid_new(ghost);
    is_int(account_cache_org(app, c, ghost, a, &got), -CRM_E_NOT_FOUND, "an unknown organization is NOT_FOUND");
    arena_destroy(a);
}

int main(void)
{
    temp_app t;
    temp_app_open(&t);
    app = &t.app;
    const char *path = t.path;
    arena *a = arena_new();
    crm_err e = {0};
    crm_user root = {.role = ROLE_SUPERADMIN}, admin, me, rep;
    crm_org org;
    org_input oi = {.name = "Cache Org", .timezone = "UTC", .default_country = "US",
                    .admin = {.full_name = "First Name", .email = "admin@cache.test", .password = "admin-pass-1"}};
    is_int(org_create(app, &root, &oi, a, &org, &admin, &e), 0, "org_create");
    char *token = NULL;
    crm_user logged;
    is_int(auth_login(app, "admin@cache.test", "admin-pass-1", a, &logged, &token, &e), 0, "login");
    char *tok = strdup(token);
    test_orgs(path, &admin, org.id);

    is_int(authenticate(tok, a, &me, &e), 0, "the token authenticates");
    is_str(me.full_name, "First Name", "its user");
    uint64_t v0 = app->st->ops->accounts_version(app->st);

    /* A change the store did not make is not seen: the user came from the cache. */
    rename_raw(path, admin.id, "Renamed Behind");
    is_int(authenticate(tok, a, &me, &e), 0, "authenticates again");
    is_str(me.full_name, "First Name", "from the cache: no read while no user changed");

    /* Any write to a user through the store is seen by the next authentication. */
    user_input ui = {.full_name = "Sales Rep", .email = "rep@cache.test", .password = "rep-pass-12",
                     .access_role = "SALES_REP"};
    is_int(user_create(app, &admin, &ui, a, &rep, &e), 0, "another user is created");
    ok(app->st->ops->accounts_version(app->st) != v0, "accounts_version moved");
    is_int(authenticate(tok, a, &me, &e), 0, "authenticates");
    is_str(me.full_name, "Renamed Behind", "read again after a user write");

    profile_input pi = {.full_name = "Edited Name", .login_disabled = -1};
    crm_user edited;
    is_int(user_profile_update(app, &admin, &pi, a, &edited, &e), 0, "a profile edit");
    is_int(authenticate(tok, a, &me, &e), 0, "authenticates");
    is_str(me.full_name, "Edited Name", "the edit is seen at once");

    /* Disabling the user refuses its token at once, and enabling lets it in again. */
    profile_input off = {.id = rep.id, .login_disabled = 1};
    char *rep_token = NULL;
    crm_user rep_logged;
    is_int(auth_login(app, "rep@cache.test", "rep-pass-12", a, &rep_logged, &rep_token, &e), 0, "the rep logs in");
    char *rtok = strdup(rep_token);
    is_int(authenticate(rtok, a, &me, &e), 0, "the rep's token authenticates (and is cached)");
    is_int(user_profile_update(app, &admin, &off, a, &edited, &e), 0, "the admin disables the rep");
    is_int(authenticate(rtok, a, &me, &e), -CRM_E_UNAUTHORIZED, "the rep's next request is refused");

    /* A password change revokes the tokens issued before it. */
    is_int(authenticate(tok, a, &me, &e), 0, "the admin's token still works");
    profile_input pw = {.password = "a-new-password", .login_disabled = -1};
    is_int(user_profile_update(app, &admin, &pw, a, &edited, &e), 0, "the admin changes its password");
    is_int(authenticate(tok, a, &me, &e), -CRM_E_UNAUTHORIZED, "the old token is refused at once");

    /* An API key: which user it names is remembered; a new key refuses the old one at once. */
    crm_user admin_now;
    char *t3 = NULL, *key = NULL;
    is_int(auth_login(app, "admin@cache.test", "a-new-password", a, &admin_now, &t3, &e), 0, "the admin logs in");
    is_int(auth_regenerate_apikey(app, &admin_now, a, &key, &e), 0, "the admin makes an API key");
    char *key1 = strdup(key);
    is_int(authenticate(key1, a, &me, &e), 0, "the key authenticates");
    is_str(me.id, admin.id, "as the admin");
    rename_raw(path, admin.id, "Key Behind");
    is_int(authenticate(key1, a, &me, &e), 0, "authenticates again");
    is_str(me.full_name, "Edited Name", "from the cache: no read while no account changed");
    is_int(auth_regenerate_apikey(app, &admin_now, a, &key, &e), 0, "the admin makes a new key");
    is_int(authenticate(key1, a, &me, &e), -CRM_E_UNAUTHORIZED, "the old key is refused at once");
    is_int(authenticate(key, a, &me, &e), 0, "the new one authenticates");
    is_str(me.full_name, "Key Behind", "read again after the account write");
    char ghost_key[80];
    snprintf(ghost_key, sizeof ghost_key, "%s", key);
    ghost_key[strlen(ghost_key) - 1] ^= 1;
    is_int(authenticate(ghost_key, a, &me, &e), -CRM_E_UNAUTHORIZED, "a key one character off is refused");
    is_int(authenticate(ghost_key, a, &me, &e), -CRM_E_UNAUTHORIZED, "and again (it is not remembered)");
    free(key1);

    /* More users than slots: each is still right. */
    char email[64], *tokens[ACCOUNT_CACHE_SLOTS + 3], *keys[ACCOUNT_CACHE_SLOTS + 3];
    objectid ids[ACCOUNT_CACHE_SLOTS + 3];
    crm_user made, l;
    for (int i = 0; i < ACCOUNT_CACHE_SLOTS + 3; i++) {
        crm_user now_admin;
        char *t2 = NULL, *k2 = NULL;
        is_int(auth_login(app, "admin@cache.test", "a-new-password", a, &now_admin, &t2, &e), 0, "login again");
        snprintf(email, sizeof email, "user%d@cache.test", i);
        user_input u = {.full_name = "Many", .email = email, .password = "many-pass-1", .access_role = "SALES_REP"};
        user_create(app, &now_admin, &u, a, &made, &e);
        memcpy(ids[i], made.id, sizeof ids[i]);
        tokens[i] = keys[i] = NULL;
        if (auth_login(app, email, "many-pass-1", a, &l, &tokens[i], &e) == 0)
            tokens[i] = strdup(tokens[i]);
        if (auth_regenerate_apikey(app, &made, a, &k2, &e) == 0)
            keys[i] = strdup(k2);
    }
    int good = 0, good_keys = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < ACCOUNT_CACHE_SLOTS + 3; i++) {
            good += tokens[i] && authenticate(tokens[i], a, &me, &e) == 0 && strcmp(me.full_name, "Many") == 0;
            good_keys += keys[i] && authenticate(keys[i], a, &me, &e) == 0 && strcmp(me.id, ids[i]) == 0;
        }
    is_int(good, 2 * (ACCOUNT_CACHE_SLOTS + 3), "more users than slots, twice over: every one authenticates as itself");
    is_int(good_keys, 2 * (ACCOUNT_CACHE_SLOTS + 3), "and more API keys than slots: each names its own user");
    for (int i = 0; i < ACCOUNT_CACHE_SLOTS + 3; i++) {
        free(tokens[i]);
        free(keys[i]);
    }

    free(tok);
    free(rtok);
    arena_destroy(a);
    ok(temp_app_close(&t), "the temp dir is removed");
    return tap_done();
}
