/* SQLite store: users. Emails are lower-cased by the SQL itself (insert, update and lookup), so
 * the unique index compares them case-insensitively whatever the caller passed. */
#include <string.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "store/sqlite/sqlite_impl.h"

/* Reads a row of SQ_USER_COLS. Returns 0, or UNAVAILABLE for a role this crmd does not know. */
static int read_user(sqlite3_stmt *st, arena *a, crm_user *u)
{
    memset(u, 0, sizeof *u);
    sq_col_id(st, 0, u->id);
    sq_col_id(st, 1, u->org_id);
    u->email = sq_col_str(a, st, 2);
    u->full_name = sq_col_str(a, st, 3);
    u->password_hash = sq_col_str(a, st, 4);
    u->phone_number = sq_col_str(a, st, 5);
    u->designation = sq_col_str(a, st, 6);
    u->sinch_phone_number = sq_col_str(a, st, 7);
    const char *role = (const char *)sqlite3_column_text(st, 8);
    if (!crm_role_parse(role, &u->role)) {
        log_error("store: user %s has an unknown role '%s'", u->id, role ? role : "");
        return -CRM_E_UNAVAILABLE;
    }
    u->login_disabled = sqlite3_column_int(st, 9) != 0;
    u->token_version = sqlite3_column_int64(st, 10);
    u->created_at = sqlite3_column_int64(st, 11);
    u->updated_at = sqlite3_column_int64(st, 12);
    return 0;
}

/* Runs a lookup that binds one text parameter and answers at most one user. */
static int get_one(store_conn *sc, sq_stmt_id id, const char *key, arena *a, crm_user *out)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, id);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, key);
    int rc = sq_step(c, id);
    if (rc == 1)
        rc = read_user(st, a, out);
    else if (rc == 0)
        rc = -CRM_E_NOT_FOUND;
    sq_done(st);
    return rc;
}

int sq_user_get(store_conn *c, const char *user_id, arena *a, crm_user *out)
{
    return get_one(c, SQ_USER_GET, user_id, a, out);
}

int sq_user_get_by_email(store_conn *c, const char *email, arena *a, crm_user *out)
{
    return get_one(c, SQ_USER_GET_BY_EMAIL, email, a, out);
}

int sq_user_get_by_apikey(store_conn *c, const char *apikey_hash, arena *a, crm_user *out)
{
    if (!apikey_hash || !*apikey_hash)
        return -CRM_E_NOT_FOUND;
    return get_one(c, SQ_USER_GET_BY_APIKEY, apikey_hash, a, out);
}

int sq_user_insert(store_conn *sc, const crm_user *u)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_USER_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, u->id);
    sq_bind_id(st, 2, u->org_id);
    sq_bind_text(st, 3, u->email);
    sq_bind_text(st, 4, u->full_name);
    sq_bind_text(st, 5, u->password_hash);
    sq_bind_text(st, 6, u->phone_number);
    sq_bind_text(st, 7, u->designation);
    sq_bind_text(st, 8, u->sinch_phone_number);
    sq_bind_text(st, 9, crm_role_name(u->role));
    sqlite3_bind_int(st, 10, u->login_disabled);
    sqlite3_bind_int64(st, 11, u->token_version);
    sqlite3_bind_int64(st, 12, u->created_at);
    sqlite3_bind_int64(st, 13, u->updated_at);
    int rc = sq_step(c, SQ_USER_INSERT);
    c->accounts_touched = true;
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_user_list(store_conn *sc, const char *org_id, arena *a, crm_user **out, size_t *n)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_USER_LIST);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_id(st, 1, org_id);
    int rc;
    while ((rc = sq_step(c, SQ_USER_LIST)) == 1) {
        *out = sq_grow(a, *out, &cap, *n, sizeof **out);
        if ((rc = read_user(st, a, &(*out)[*n])))
            break;
        (*n)++;
    }
    sq_done(st);
    if (rc < 0) {
        *out = NULL;
        *n = 0;
        return rc;
    }
    return 0;
}

int sq_user_update(store_conn *sc, const crm_user *u)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_USER_UPDATE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, u->id);
    sq_bind_text(st, 2, u->email);
    sq_bind_text(st, 3, u->full_name);
    sq_bind_text(st, 4, u->password_hash);
    sq_bind_text(st, 5, u->phone_number);
    sq_bind_text(st, 6, u->designation);
    sq_bind_text(st, 7, u->sinch_phone_number);
    sq_bind_text(st, 8, crm_role_name(u->role));
    sqlite3_bind_int(st, 9, u->login_disabled);
    sqlite3_bind_int64(st, 10, u->token_version);
    sqlite3_bind_int64(st, 11, u->updated_at);
    sq_bind_id(st, 12, u->org_id);   /* a user never moves between organizations */
    int rc = sq_step(c, SQ_USER_UPDATE);
    c->accounts_touched = true;
    sq_done(st);
    if (rc < 0)
        return rc;
    return sqlite3_changes(c->db) ? 0 : -CRM_E_NOT_FOUND;
}

int sq_user_set_apikey(store_conn *sc, const char *user_id, const char *apikey_hash)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_USER_SET_APIKEY);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, user_id);
    sq_bind_id(st, 2, apikey_hash);   /* NULL or "": no key */
    int rc = sq_step(c, SQ_USER_SET_APIKEY);
    c->accounts_touched = true;
    sq_done(st);
    if (rc < 0)
        return rc;
    return sqlite3_changes(c->db) ? 0 : -CRM_E_NOT_FOUND;
}

int sq_user_count_role(store_conn *sc, crm_role role, int64_t *n)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_USER_COUNT_ROLE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, crm_role_name(role));
    int rc = sq_step(c, SQ_USER_COUNT_ROLE);
    if (rc == 1) {
        *n = sqlite3_column_int64(st, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_UNAVAILABLE;
    }
    sq_done(st);
    return rc;
}
