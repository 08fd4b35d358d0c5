/* SQLite store: installation settings (meta), organizations and their provisioned numbers. */
#include <string.h>

#include "lib/errors.h"
#include "store/sqlite/sqlite_impl.h"

int sq_meta_get(store_conn *sc, const char *key, arena *a, char **value)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_META_GET);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, key);
    int rc = sq_step(c, SQ_META_GET);
    if (rc == 1) {
        *value = sq_col_str(a, st, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_NOT_FOUND;
    }
    sq_done(st);
    return rc;
}

int sq_meta_set(store_conn *sc, const char *key, const char *value)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_META_SET);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, key);
    sq_bind_text(st, 2, value);
    int rc = sq_step(c, SQ_META_SET);
    sq_done(st);
    return rc < 0 ? rc : 0;
}

/* Binds the mutable columns of an organization as ?2..?6 (the same slots in insert and update). */
static void bind_org_fields(sqlite3_stmt *st, const crm_org *o)
{
    sq_bind_text(st, 2, o->name);
    sq_bind_text(st, 3, o->phone_number);
    sq_bind_text(st, 4, o->address);
    sq_bind_text(st, 5, o->timezone);
    sq_bind_text(st, 6, o->default_country);
}

int sq_org_insert(store_conn *sc, const crm_org *o)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_ORG_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, o->id);
    bind_org_fields(st, o);
    sqlite3_bind_int64(st, 7, o->created_at);
    sqlite3_bind_int64(st, 8, o->updated_at);
    int rc = sq_step(c, SQ_ORG_INSERT);
    c->accounts_touched = true;
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_org_get(store_conn *sc, const char *org_id, arena *a, crm_org *out)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_ORG_GET);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    int rc = sq_step(c, SQ_ORG_GET);
    if (rc == 1) {
        memset(out, 0, sizeof *out);
        sq_col_id(st, 0, out->id);
        out->name = sq_col_str(a, st, 1);
        out->phone_number = sq_col_str(a, st, 2);
        out->address = sq_col_str(a, st, 3);
        out->timezone = sq_col_str(a, st, 4);
        sq_col_copy(st, 5, out->default_country, sizeof out->default_country);
        out->created_at = sqlite3_column_int64(st, 6);
        out->updated_at = sqlite3_column_int64(st, 7);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_NOT_FOUND;
    }
    sq_done(st);
    return rc;
}

int sq_org_update(store_conn *sc, const crm_org *o)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_ORG_UPDATE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, o->id);
    bind_org_fields(st, o);
    sqlite3_bind_int64(st, 7, o->updated_at);
    int rc = sq_step(c, SQ_ORG_UPDATE);
    c->accounts_touched = true;
    sq_done(st);
    if (rc < 0)
        return rc;
    return sqlite3_changes(c->db) ? 0 : -CRM_E_NOT_FOUND;
}

int sq_org_phone_list(store_conn *sc, const char *org_id, arena *a, crm_org_phone **out, size_t *n)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_ORG_PHONE_LIST);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    int rc;
    while ((rc = sq_step(c, SQ_ORG_PHONE_LIST)) == 1) {
        *out = sq_grow(a, *out, &cap, *n, sizeof **out);
        crm_org_phone *p = &(*out)[(*n)++];
        memset(p, 0, sizeof *p);
        sq_col_copy(st, 0, p->e164, sizeof p->e164);
        p->provider = sq_col_str(a, st, 1);
        sq_col_id(st, 2, p->target_user_id);
        p->is_default = sqlite3_column_int(st, 3) != 0;
        p->is_inbound_enabled = sqlite3_column_int(st, 4) != 0;
        p->created_at = sqlite3_column_int64(st, 5);
    }
    sq_done(st);
    if (rc < 0) {
        *out = NULL;
        *n = 0;
        return rc;
    }
    return 0;
}

int sq_org_phone_insert(store_conn *sc, const char *org_id, const crm_org_phone *p)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_ORG_PHONE_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, p->e164);
    sq_bind_text(st, 3, p->provider);
    sq_bind_id(st, 4, p->target_user_id);
    sqlite3_bind_int(st, 5, p->is_default);
    sqlite3_bind_int(st, 6, p->is_inbound_enabled);
    sqlite3_bind_int64(st, 7, p->created_at);
    int rc = sq_step(c, SQ_ORG_PHONE_INSERT);
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_org_phone_delete(store_conn *sc, const char *org_id, const char *e164)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_ORG_PHONE_DELETE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, e164);
    int rc = sq_step(c, SQ_ORG_PHONE_DELETE);
    sq_done(st);
    if (rc < 0)
        return rc;
    return sqlite3_changes(c->db) ? 0 : -CRM_E_NOT_FOUND;
}

int sq_org_phone_reserved(store_conn *sc, const char *org_id, const char *e164)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_ORG_PHONE_RESERVED);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, e164);
    int rc = sq_step(c, SQ_ORG_PHONE_RESERVED);
    if (rc == 1)
        rc = sqlite3_column_int(st, 0) != 0;
    else if (rc == 0)
        rc = -CRM_E_UNAVAILABLE;   /* SELECT EXISTS always answers one row */
    sq_done(st);
    return rc;
}
