/* PostgreSQL store: installation settings, organizations and their provisioned numbers. */
#include <stdio.h>
#include <string.h>

#include "lib/errors.h"
#include "store/pg/pg_impl.h"

/* In a unit of work the setting is locked until the unit ends: a unit that reads it to decide
 * what to write (the webhook dispatcher's cursor) runs one at a time across servers. */
int pg_meta_get(store_conn *sc, const char *key, arena *a, char **value)
{
    pg_params p = {0};
    PGresult *r;
    pg_conn *c = pg_of(sc);
    pg_p_text(&p, key);
    int rc = pg_exec(c, c->in_unit ? PG_META_GET_FOR_UPDATE : PG_META_GET, &p, &r);
    if (rc)
        return rc;
    rc = PQntuples(r) ? 0 : -CRM_E_NOT_FOUND;
    if (rc == 0)
        *value = pg_col_str(a, r, 0, 0);
    PQclear(r);
    return rc;
}

int pg_meta_set(store_conn *sc, const char *key, const char *value)
{
    pg_params p = {0};
    pg_p_text(&p, key);
    pg_p_text(&p, value);
    return pg_exec(pg_of(sc), PG_META_SET, &p, NULL);
}

static void org_params(pg_params *p, const crm_org *o)
{
    pg_p_text(p, o->id);
    pg_p_text(p, o->name);
    pg_p_text(p, o->phone_number);
    pg_p_text(p, o->address);
    pg_p_text(p, o->timezone);
    pg_p_text(p, o->default_country);
}

int pg_org_insert(store_conn *sc, const crm_org *o)
{
    pg_params p = {0};
    org_params(&p, o);
    pg_p_int(&p, o->created_at);
    pg_p_int(&p, o->updated_at);
    pg_of(sc)->accounts = true;
    return pg_exec(pg_of(sc), PG_ORG_INSERT, &p, NULL);
}

int pg_org_get(store_conn *sc, const char *org_id, arena *a, crm_org *out)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    int rc = pg_exec(pg_of(sc), PG_ORG_GET, &p, &r);
    if (rc)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return -CRM_E_NOT_FOUND;
    }
    memset(out, 0, sizeof *out);
    pg_col_id(r, 0, 0, out->id);
    out->name = pg_col_str(a, r, 0, 1);
    out->phone_number = pg_col_str(a, r, 0, 2);
    out->address = pg_col_str(a, r, 0, 3);
    out->timezone = pg_col_str(a, r, 0, 4);
    pg_col_copy(r, 0, 5, out->default_country, sizeof out->default_country);
    out->created_at = pg_col_int(r, 0, 6);
    out->updated_at = pg_col_int(r, 0, 7);
    PQclear(r);
    return 0;
}

int pg_org_update(store_conn *sc, const crm_org *o)
{
    pg_params p = {0};
    PGresult *r;
    org_params(&p, o);
    pg_p_int(&p, o->updated_at);
    pg_of(sc)->accounts = true;
    int rc = pg_exec(pg_of(sc), PG_ORG_UPDATE, &p, &r);
    if (rc)
        return rc;
    rc = pg_changed(r) ? 0 : -CRM_E_NOT_FOUND;
    PQclear(r);
    return rc;
}

int pg_org_phone_list(store_conn *sc, const char *org_id, arena *a, crm_org_phone **out, size_t *n)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    int rc = pg_exec(pg_of(sc), PG_ORG_PHONE_LIST, &p, &r);
    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    int rows = PQntuples(r);
    *out = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof **out);
    for (int i = 0; i < rows; i++) {
        crm_org_phone *ph = &(*out)[i];
        pg_col_copy(r, i, 0, ph->e164, sizeof ph->e164);
        ph->provider = pg_col_str(a, r, i, 1);
        pg_col_id(r, i, 2, ph->target_user_id);
        ph->is_default = pg_col_bool(r, i, 3);
        ph->is_inbound_enabled = pg_col_bool(r, i, 4);
        ph->created_at = pg_col_int(r, i, 5);
    }
    *n = (size_t)rows;
    PQclear(r);
    return 0;
}

int pg_org_phone_insert(store_conn *sc, const char *org_id, const crm_org_phone *ph)
{
    pg_params p = {0};
    pg_p_text(&p, org_id);
    pg_p_text(&p, ph->e164);
    pg_p_text(&p, ph->provider);
    pg_p_id(&p, ph->target_user_id);
    pg_p_bool(&p, ph->is_default);
    pg_p_bool(&p, ph->is_inbound_enabled);
    pg_p_int(&p, ph->created_at);
    return pg_exec(pg_of(sc), PG_ORG_PHONE_INSERT, &p, NULL);
}

int pg_org_phone_delete(store_conn *sc, const char *org_id, const char *e164)
{
    int64_t n = pg_run2(pg_of(sc), PG_ORG_PHONE_DELETE, org_id, e164);
    return n < 0 ? (int)n : n ? 0 : -CRM_E_NOT_FOUND;
}

/* In a unit of work, the number's lock is taken first: no contact or provisioning of the same
 * number can commit between this check and the end of the unit. The unit's check also reads who
 * holds the number, under the same lock: the service asks that next (pg_phone_owner), and the
 * answer cannot change while the lock is held. */
int pg_number_check(pg_conn *c, const char *org_id, const char *e164)
{
    pg_params p = {0};
    PGresult *r;
    int rc = pg_lock(c, PG_LOCK_NUMBER, org_id, e164, NULL);
    if (rc)
        return rc;
    pg_p_text(&p, org_id);
    pg_p_text(&p, e164);
    if ((rc = pg_exec(c, c->in_unit ? PG_NUMBER_STATE : PG_ORG_PHONE_RESERVED, &p, &r)))
        return rc;
    rc = pg_col_bool(r, 0, 0) ? 1 : 0;
    if (c->in_unit) {
        snprintf(c->number_org, sizeof c->number_org, "%s", org_id);
        snprintf(c->number_e164, sizeof c->number_e164, "%s", e164);
        pg_col_id(r, 0, 1, c->number_owner);
        c->number_reserved = rc == 1;
        c->number_known = true;
    }
    PQclear(r);
    return rc;
}

/* A check that went ahead with the unit's pipeline read (pg_pipeline.c) is answered from what it
 * read, if no statement ran since. */
int pg_org_phone_reserved(store_conn *sc, const char *org_id, const char *e164)
{
    pg_conn *c = pg_of(sc);
    if (c->in_unit && c->number_known && strcmp(c->number_org, org_id) == 0 && strcmp(c->number_e164, e164) == 0)
        return c->number_reserved ? 1 : 0;
    return pg_number_check(c, org_id, e164);
}

void pg_number_check_ahead(store_conn *sc, const char *org_id, const char *e164)
{
    pg_conn *c = pg_of(sc);
    c->ahead = c->in_unit && strlen(e164) < sizeof c->ahead_e164;
    snprintf(c->ahead_org, sizeof c->ahead_org, "%s", org_id);
    snprintf(c->ahead_e164, sizeof c->ahead_e164, "%s", e164);
}
