/* PostgreSQL store: users. Emails are stored lower-cased and unique across the installation. */
#include <string.h>

#include "lib/errors.h"
#include "store/pg/pg_impl.h"

static int read_user(const PGresult *r, int row, arena *a, crm_user *out)
{
    memset(out, 0, sizeof *out);
    pg_col_id(r, row, 0, out->id);
    pg_col_id(r, row, 1, out->org_id);
    out->email = pg_col_str(a, r, row, 2);
    out->full_name = pg_col_str(a, r, row, 3);
    out->password_hash = pg_col_str(a, r, row, 4);
    out->phone_number = pg_col_str(a, r, row, 5);
    out->designation = pg_col_str(a, r, row, 6);
    out->sinch_phone_number = pg_col_str(a, r, row, 7);
    if (!crm_role_parse(PQgetvalue(r, row, 8), &out->role))
        return -CRM_E_UNAVAILABLE;
    out->login_disabled = pg_col_bool(r, row, 9);
    out->token_version = pg_col_int(r, row, 10);
    out->created_at = pg_col_int(r, row, 11);
    out->updated_at = pg_col_int(r, row, 12);
    return 0;
}

static int get_one(store_conn *sc, pg_stmt_id id, const char *key, arena *a, crm_user *out)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, key);
    int rc = pg_exec(pg_of(sc), id, &p, &r);
    if (rc)
        return rc;
    rc = PQntuples(r) ? read_user(r, 0, a, out) : -CRM_E_NOT_FOUND;
    PQclear(r);
    return rc;
}

int pg_user_get(store_conn *c, const char *user_id, arena *a, crm_user *out)
{
    return get_one(c, PG_USER_GET, user_id, a, out);
}

int pg_user_get_for_update(store_conn *c, const char *user_id, arena *a, crm_user *out)
{
    return get_one(c, pg_of(c)->in_unit ? PG_USER_GET_FOR_UPDATE : PG_USER_GET, user_id, a, out);
}

int pg_user_get_by_email(store_conn *c, const char *email, arena *a, crm_user *out)
{
    return get_one(c, PG_USER_GET_BY_EMAIL, email, a, out);
}

int pg_user_get_by_apikey(store_conn *c, const char *apikey_hash, arena *a, crm_user *out)
{
    if (!apikey_hash || !*apikey_hash)
        return -CRM_E_NOT_FOUND;
    return get_one(c, PG_USER_GET_BY_APIKEY, apikey_hash, a, out);
}

int pg_user_list(store_conn *sc, const char *org_id, arena *a, crm_user **out, size_t *n)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    int rc = pg_exec(pg_of(sc), PG_USER_LIST, &p, &r);
    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    int rows = PQntuples(r);
    *out = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof **out);
    for (int i = 0; i < rows && rc == 0; i++)
        rc = read_user(r, i, a, &(*out)[i]);
    *n = rc ? 0 : (size_t)rows;
    PQclear(r);
    return rc;
}

static void user_params(pg_params *p, const crm_user *u)
{
    pg_p_text(p, u->email);
    pg_p_text(p, u->full_name);
    pg_p_text(p, u->password_hash);
    pg_p_text(p, u->phone_number);
    pg_p_text(p, u->designation);
    pg_p_text(p, u->sinch_phone_number);
    pg_p_text(p, crm_role_name(u->role));
    pg_p_bool(p, u->login_disabled);
    pg_p_int(p, u->token_version);
}

int pg_user_insert(store_conn *sc, const crm_user *u)
{
    pg_params p = {0};
    pg_p_text(&p, u->id);
    pg_p_id(&p, u->org_id);
    user_params(&p, u);
    pg_p_int(&p, u->created_at);
    pg_p_int(&p, u->updated_at);
    pg_of(sc)->accounts = true;
    return pg_exec(pg_of(sc), PG_USER_INSERT, &p, NULL);
}

int pg_user_update(store_conn *sc, const crm_user *u)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, u->id);
    user_params(&p, u);
    pg_p_int(&p, u->updated_at);
    pg_p_id(&p, u->org_id);
    pg_of(sc)->accounts = true;
    int rc = pg_exec(pg_of(sc), PG_USER_UPDATE, &p, &r);
    if (rc)
        return rc;
    rc = pg_changed(r) ? 0 : -CRM_E_NOT_FOUND;
    PQclear(r);
    return rc;
}

int pg_user_set_apikey(store_conn *sc, const char *user_id, const char *apikey_hash)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, user_id);
    pg_p_text(&p, apikey_hash);
    pg_of(sc)->accounts = true;
    int rc = pg_exec(pg_of(sc), PG_USER_SET_APIKEY, &p, &r);
    if (rc)
        return rc;
    rc = pg_changed(r) ? 0 : -CRM_E_NOT_FOUND;
    PQclear(r);
    return rc;
}

int pg_user_count_role(store_conn *sc, crm_role role, int64_t *n)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, crm_role_name(role));
    int rc = pg_exec(pg_of(sc), PG_USER_COUNT_ROLE, &p, &r);
    if (rc)
        return rc;
    *n = pg_col_int(r, 0, 0);
    PQclear(r);
    return 0;
}
